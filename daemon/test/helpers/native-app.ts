import { createBuiltinRegistry } from '@patchbay/drivers';
import { createFakeKernel, type FakeKernel } from '@patchbay/kernel';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { parseFlags } from '../../src/config.js';
import { createController, type Controller } from '../../src/controller/index.js';
import { buildApp } from '../../src/http/app.js';
import { createStore, openDb } from '../../src/store/index.js';

export interface TestApp {
  app: FastifyInstance;
  controller: Controller;
  kernel: FakeKernel;
  close(): Promise<void>;
}

/** The whole daemon on the fake kernel and an in-memory store, for API tests through app.inject(). */
export async function buildTestApp(flags: string[] = ['--bip', '10.200.0.1/24'], opts: { kernel?: FakeKernel; dbPath?: string } = {}): Promise<TestApp> {
  const kernel = opts.kernel ?? createFakeKernel();
  const log = pino({ level: 'silent' });
  const store = createStore(openDb(opts.dbPath ?? ':memory:'));
  const controller = createController({ store, kernel, registry: createBuiltinRegistry(), config: parseFlags(flags), log });
  await controller.start();
  const app = buildApp({ controller, log });
  await app.ready();
  return {
    app,
    controller,
    kernel,
    async close() {
      await app.close();
      store.db.close();
    },
  };
}
