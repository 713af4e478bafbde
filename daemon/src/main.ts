import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createBuiltinRegistry, createClusterRegistry } from '@patchbay/drivers';
import { isPatchbayError } from '@patchbay/errors';
import { createRealKernel, resolveKernelBackend, type KernelBackendChoice } from '@patchbay/kernel';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { parseFlags, usage, type DaemonConfig } from './config.js';
import { createController } from './controller/index.js';
import { buildCniApp } from './cni/index.js';
import { removeDockerUserRules } from './docker-plugin/docker-user.js';
import { dockerPluginEnabled } from './docker-plugin/socket.js';
import { registerDockerRoutes } from './docker/index.js';
import { buildApp } from './http/app.js';
import { createMetrics, observedController, registerMetricsRoutes } from './metrics/index.js';
import { openDb, createStore } from './store/index.js';
import { listenAll } from './listen.js';
import { releaseMemory, tuneProcessMemory } from './memory.js';
import { testSeamsEnabled, wrapKernelForTests } from './test-seams.js';

/** PATCHBAY_KERNEL_BACKEND=ip|netlink|auto: a troubleshooting switch (default auto). */
function kernelBackendFromEnv(): KernelBackendChoice {
  const value = process.env.PATCHBAY_KERNEL_BACKEND ?? 'auto';
  if (value === 'auto' || value === 'ip' || value === 'netlink') return value;
  process.stderr.write(`patchbayd: PATCHBAY_KERNEL_BACKEND must be auto, ip or netlink, not ${JSON.stringify(value)}\n`);
  process.exit(2);
}

/**
 * A disconnect parks its veth pair for a connect of the same container to take back
 * (controller/parked-links.ts); PATCHBAY_PARK_LINKS=0 turns that off (every leave retires its pair).
 */
function parkLinksFromEnv(): boolean {
  const value = process.env.PATCHBAY_PARK_LINKS ?? '1';
  if (value === '0' || value === '1') return value === '1';
  process.stderr.write(`patchbayd: PATCHBAY_PARK_LINKS must be 0 or 1, not ${JSON.stringify(value)}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const memory = tuneProcessMemory();
  let config: DaemonConfig & { help?: boolean };
  try {
    config = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`patchbayd: ${(err as Error).message}\nSee 'patchbayd --help'.\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const log = pino({ level: config.logLevel, base: { pid: process.pid } });
  log.info(memory, 'process memory set up');
  const backend = kernelBackendFromEnv();
  const resolved = resolveKernelBackend(backend);
  if (resolved.backend === 'netlink') log.info({ nft: resolved.nft }, 'kernel backend: in-process netlink (native addon)');
  else log.warn({ reason: resolved.reason }, 'kernel backend: ip processes (the netlink addon is not in use)');
  const realKernel = createRealKernel({ log: log.child({ component: 'kernel' }), backend });
  const seams = testSeamsEnabled() ? wrapKernelForTests(realKernel) : undefined;
  if (seams) log.warn('PATCHBAY_TEST_SEAMS=1: fault and crash injection routes are enabled (tests only)');
  const kernel = seams?.kernel ?? realKernel;
  await kernel.checkTools(config.iptables ? ['ip', 'nft'] : ['ip']);

  mkdirSync(config.execRoot, { recursive: true, mode: 0o755 });
  const db = openDb(join(config.dataRoot, 'patchbay.db'));
  const store = createStore(db);
  const metrics = createMetrics();
  // Loaded only when configured: the etcd client and the plugin app cost memory an idle daemon without them should not pay.
  const cluster = config.clusterStore
    ? await (await import('./cluster/index.js')).createCluster(config, { kernel, store, log, ...(seams ? { wrapEtcd: seams.wrapEtcd } : {}) })
    : undefined;
  const registry = cluster ? createClusterRegistry() : createBuiltinRegistry();
  const controller = observedController(metrics, { kernel, backend: resolved.backend }, (kernel, hooks) =>
    createController({ store, kernel, registry, config, log, hooks, parkLinks: parkLinksFromEnv(), ...(cluster ? { cluster } : {}) }),
  );
  const eventStreams = new Set<() => void>();
  metrics.sources.eventSubscribers = () => eventStreams.size;
  if (config.cleanup) {
    await controller.cleanup();
    await removeDockerUserRules(kernel, log.child({ component: 'docker-plugin' }));
    await controller.close();
    db.close();
    log.info('cleanup done: no patchbay network, sandbox, firewall table or DOCKER-USER rule is left');
    return;
  }
  await controller.start();
  cluster?.start({
    registry,
    changes: controller.changes,
    adoptGlobal: controller.networks.adoptGlobal,
    removeMirror: (id) => controller.networks.remove(id, { mirrorOnly: true }),
  });
  const cniApp = buildCniApp({ controller, log });
  const plugin = dockerPluginEnabled(config) ? await import('./docker-plugin/index.js') : undefined;
  const pluginApp = plugin?.buildDockerPluginApp({ controller, log });
  const app = buildApp({
    controller,
    log,
    plugins: [
      (app) => registerMetricsRoutes(app, metrics),
      (app) => registerDockerRoutes(app, controller, { streams: eventStreams }),
      ...(seams ? [(app: FastifyInstance) => seams.registerRoutes(app, controller.settled)] : []),
    ],
    frontDoors: pluginApp ? [cniApp, pluginApp] : [cniApp],
  });
  const closeListeners = await listenAll(app, config, log, [{ prefix: '/cni/', app: cniApp }]);
  const closePlugin = pluginApp && plugin ? await plugin.serveDockerPlugin(pluginApp, config, log) : async () => undefined;

  let checking = false;
  const timer =
    config.firewallCheckInterval > 0
      ? setInterval(() => {
          if (checking) return;
          checking = true;
          controller
            .periodicCheck()
            .catch((err) => log.error({ err }, 'periodic check failed'))
            .finally(() => (checking = false));
        }, config.firewallCheckInterval * 1000)
      : undefined;
  timer?.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down; networks, sandboxes and endpoints stay in place');
    if (timer) clearInterval(timer);
    const listenersClosed = Promise.all([closeListeners(), closePlugin()]); // stop accepting; resolves when in-flight requests are done
    await Promise.all([app.close(), cniApp.close(), pluginApp?.close()]); // ends open event streams, which would otherwise hold their connections
    await listenersClosed;
    await controller.settled(); // retired links are deleted, not left for the next start
    await controller.close(); // DNS stops answering; the next start serves the same names again
    await cluster?.stop(); // the host's lease stays: its peers stay reachable through a restart
    db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  log.info({ hosts: config.hosts, dataRoot: config.dataRoot }, 'patchbayd ready');
  // Start-up garbage (module loading, bootstrap) is large next to the idle working set: collect it
  // once so an idle daemon stays small, and return what it freed (memory.ts).
  releaseMemory();
}

main(process.argv.slice(2)).catch((err) => {
  const message = isPatchbayError(err) ? err.message : (err as Error)?.stack ?? String(err);
  process.stderr.write(`patchbayd: ${message}\n`);
  process.exit(1);
});
