import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildDockerPluginApp } from '../../src/docker-plugin/index.js';
import { buildTestApp, type TestApp } from './app.js';

export interface PluginTestApp extends TestApp {
  plugin: FastifyInstance;
  /** One call as dockerd makes it: POST /<Interface>.<Method>, a JSON body without a content type. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** The Docker plugin front door on the fake kernel (default bridge 10.200.0.1/24). */
export async function buildPluginTestApp(flags: string[] = ['--bip', '10.200.0.1/24']): Promise<PluginTestApp> {
  let made: FastifyInstance | undefined;
  const log = pino({ level: process.env.PB_TEST_LOG ?? 'silent' });
  const t = await buildTestApp({ flags, frontDoors: (controller) => [(made = buildDockerPluginApp({ controller, log }))] });
  const plugin = made!;
  await plugin.ready();
  return {
    ...t,
    plugin,
    async call(method, body) {
      const r = await plugin.inject({
        method: 'POST',
        url: `/${method}`,
        headers: { accept: 'application/vnd.docker.plugins.v1.2+json' },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
    },
    async close() {
      await plugin.close();
      await t.close();
    },
  };
}

/** A Docker-style id: 64 hex digits from a short seed. */
export const dockerId = (seed: string) => Buffer.from(seed).toString('hex').padEnd(64, '0').slice(0, 64);
