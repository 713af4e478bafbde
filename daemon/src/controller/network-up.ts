import type { NetworkDriver } from '@patchbay/drivers';
import { runSteps } from '@patchbay/kernel';
import type { NetworkRecord } from '../store/index.js';
import type { Core } from './core.js';
import { startDnsSteps } from './dns.js';
import { driverNetwork } from './driver-objects.js';
import { newId, nowRfc3339Nano } from './ids.js';
import type { CreateNetworkInput } from './networks.js';
import { lazyChild } from '../lazy-logger.js';

/**
 * A network row (state creating, its pools written) becomes ready: the driver's kernel objects,
 * then DNS on its gateway (the bridge has its address before DNS listens on it), then the row.
 * A failure rolls the steps back and leaves the row for the caller to forget.
 */
export async function bringUpNetwork(core: Core, driver: NetworkDriver, record: NetworkRecord, op: string): Promise<void> {
  const { store } = core;
  if (driver.planCreateNetwork) {
    const plan = await driver.planCreateNetwork(driverNetwork(store, record), core.driverCtx);
    record.driverState = plan.state;
    store.setNetworkDriverState(record.id, plan.state);
    await runSteps([...plan.steps, ...startDnsSteps(core, record)], lazyChild(core.log, { op, network: record.name }));
  }
  store.setNetworkState(record.id, 'ready');
  record.state = 'ready';
}

/** After the commit: the firewall follows, then the change feed hears of it. */
export async function announceNetwork(core: Core, record: NetworkRecord): Promise<void> {
  await core.firewallSync.sync();
  core.changes.publish({ type: 'network.created', network: record });
}

/** A new network's identity and settings from its create input: what local and global networks share. */
export const newNetworkFields = (input: CreateNetworkInput, driver: string, options: Record<string, string>) => ({
  // the Docker plugin's networks keep dockerd's id
  id: input.id ?? newId(),
  name: input.name,
  driver,
  created: nowRfc3339Nano(),
  internal: input.internal,
  attachable: input.attachable,
  enableIPv6: input.enableIPv6,
  ipamDriver: input.ipamDriver,
  ipamOptions: input.ipamOptions,
  options,
  labels: input.labels,
});
