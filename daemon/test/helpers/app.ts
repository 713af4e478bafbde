import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltinRegistry } from '@patchbay/drivers';
import { createFakeKernel, type FakeKernel, type FakeKernelOptions } from '@patchbay/kernel';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { parseFlags } from '../../src/config.js';
import { createController, type Controller, type ControllerDeps } from '../../src/controller/index.js';
import type { DnsServiceOptions } from '../../src/dns/index.js';
import { buildApp, type AppOptions } from '../../src/http/app.js';
import { createMetrics, observedController, registerMetricsRoutes, type Metrics } from '../../src/metrics/index.js';
import { createStore, openDb } from '../../src/store/index.js';

export interface TestApp {
  app: FastifyInstance;
  controller: Controller;
  kernel: FakeKernel;
  /** the app's metrics (GET /metrics), wired as patchbayd wires them */
  metrics: Metrics;
  /** where the app writes sandboxes' resolv.conf (its /etc/netns) */
  netnsEtc: string;
  close: () => Promise<void>;
}

/** background kernel work right after the change that asked for it (no wait for a pause) */
export const NO_PAUSE = { quietMs: 0, maxWaitMs: 0 };

/**
 * The daemon's HTTP app on a fake kernel and an in-memory store, for `app.inject()` tests.
 * `flags` are patchbayd flags (e.g. ['--bip', '10.200.0.1/24'] or ['--bridge', 'none']);
 * `plugins` receive the controller, e.g. `(app, c) => registerDockerRoutes(app, c)`.
 */
export async function buildTestApp(
  opts: {
    flags?: string[];
    kernel?: FakeKernelOptions;
    /** an existing fake kernel (e.g. to restart on the same kernel) instead of a new one */
    fake?: FakeKernel;
    /** a store file instead of an in-memory store (restart = reopen) */
    dbPath?: string;
    plugins?: ((app: FastifyInstance, controller: Controller) => void)[];
    /** collect the process metrics too (off by default: they watch the event loop and GC) */
    processMetrics?: boolean;
    /** apps served beside the native one (the CNI API), made for the controller; their routes join the OpenAPI document */
    frontDoors?: (controller: Controller) => FastifyInstance[];
    /**
     * Serve DNS with these options (a free port, the test's resolv.conf). Without them the app
     * serves none: the fake kernel's gateway addresses are on no interface a server could bind.
     */
    dns?: Partial<DnsServiceOptions>;
    /**
     * The daemon's wait for a pause before background kernel work (reaper, quieter); default none:
     * on the fake kernel it runs right after the change that asked for it, as the tests expect.
     */
    backgroundPause?: { quietMs: number; maxWaitMs: number };
    /** park left veth pairs (ControllerDeps.parkLinks; off unless asked for, as with PATCHBAY_PARK_LINKS=0) */
    parkLinks?: ControllerDeps['parkLinks'];
  } = {},
): Promise<TestApp> {
  const kernel = opts.fake ?? createFakeKernel(opts.kernel);
  const db = openDb(opts.dbPath ?? ':memory:');
  const log = pino({ level: process.env.PB_TEST_LOG ?? 'silent' });
  // sandboxes' resolv.conf files go to a directory of this app, never the host's /etc/netns
  const netnsEtc = mkdtempSync(join(tmpdir(), 'pb-netns-etc-'));
  const config = { ...parseFlags(opts.flags ?? []), netnsEtc };
  const dnsOptions = opts.dns ?? { enabled: false };
  const metrics = createMetrics({ processMetrics: opts.processMetrics ?? false });
  const controller = observedController(metrics, { kernel, backend: 'fake' }, (kernel, hooks) =>
    createController({ store: createStore(db), kernel, registry: createBuiltinRegistry(), config, log, hooks, dnsOptions, backgroundPause: opts.backgroundPause ?? NO_PAUSE, ...(opts.parkLinks ? { parkLinks: opts.parkLinks } : {}) }),
  );
  await controller.start();
  const plugins: AppOptions['plugins'] = [(app) => registerMetricsRoutes(app, metrics), ...(opts.plugins ?? []).map((p) => (app: FastifyInstance) => p(app, controller))];
  const app = buildApp({ controller, log, plugins, frontDoors: opts.frontDoors?.(controller) ?? [] });
  await app.ready();
  return {
    app,
    controller,
    kernel,
    metrics,
    netnsEtc,
    async close() {
      await app.close();
      await controller.close();
      db.close();
      rmSync(netnsEtc, { recursive: true, force: true });
    },
  };
}
