import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClusterRegistry } from '@patchbay/drivers';
import { createFakeKernel, withFaults, type FakeKernel, type FaultyKernel } from '@patchbay/kernel';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createCluster, type Cluster } from '../../src/cluster/index.js';
import { parseFlags } from '../../src/config.js';
import { createController, type Controller } from '../../src/controller/index.js';
import { NO_PAUSE } from './app.js';
import { registerDockerRoutes } from '../../src/docker/index.js';
import { buildApp } from '../../src/http/app.js';
import { createStore, openDb } from '../../src/store/index.js';

export interface ClusterTestHost {
  app: FastifyInstance;
  controller: Controller;
  cluster: Cluster;
  kernel: FakeKernel;
  /** the controller's kernel: the fake behind a fault injector (failAt the Nth mutation) */
  faults: FaultyKernel;
  address: string;
  close(): Promise<void>;
}

/**
 * One "host" of a cluster for app.inject tests: a fake kernel whose eth0 carries `address`, an
 * in-memory store, patchbayd's controller with the overlay driver, following a real etcd.
 */
export async function buildClusterHost(etcdEndpoint: string, address: string, flags: string[] = []): Promise<ClusterTestHost> {
  const kernel = createFakeKernel({ hostLinks: [{ name: 'eth0', up: true, mtu: 1500, addrs: [`${address}/24`] }] });
  const faults = withFaults(kernel);
  const dataRoot = mkdtempSync(join(tmpdir(), 'pb-cluster-host-'));
  const netnsEtc = join(dataRoot, 'netns-etc');
  const config = {
    ...parseFlags(['--bridge', 'none', '--data-root', dataRoot, '--cluster-store', `etcd://${etcdEndpoint}`, '--cluster-advertise', 'eth0', ...flags]),
    netnsEtc,
  };
  const log = pino({ level: process.env.PB_TEST_LOG ?? 'silent' });
  const db = openDb(':memory:');
  const store = createStore(db);
  const cluster = await createCluster(config, { kernel: faults.kernel, store, log });
  const registry = createClusterRegistry();
  const controller = createController({ store, kernel: faults.kernel, registry, config, log, cluster, dnsOptions: { enabled: false }, backgroundPause: NO_PAUSE });
  await controller.start();
  cluster.start({
    registry,
    changes: controller.changes,
    adoptGlobal: controller.networks.adoptGlobal,
    removeMirror: (id) => controller.networks.remove(id, { mirrorOnly: true }),
  });
  const app = buildApp({ controller, log, plugins: [(a) => registerDockerRoutes(a, controller)], frontDoors: [] });
  await app.ready();
  return {
    app,
    controller,
    cluster,
    kernel,
    faults,
    address,
    async close() {
      await app.close();
      await cluster.stop();
      await controller.close();
      db.close();
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}
