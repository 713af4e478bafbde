import { PatchbayError } from '@patchbay/errors';
import { checkIfname, runSteps, type NetnsRef } from '@patchbay/kernel';
import { DETACHED, type EndpointRecord, type NetworkRecord } from '../store/index.js';
import type { Core } from './core.js';
import { driverEndpoint, driverNetwork, joinedEndpoint } from './driver-objects.js';
import { retireLinksOf } from './join.js';
import { lazyChild } from '../lazy-logger.js';

/**
 * The first half of a join alone, for a front door whose caller configures the interface itself
 * (Docker's remote-driver Join: the container side is created in the host namespace under a
 * temporary name, and dockerd moves, renames and configures it). The endpoint records the
 * names but no sandbox.
 */
export async function attachLocked(core: Core, net: NetworkRecord, ep: EndpointRecord, target: { netns: NetnsRef; ifName: string }): Promise<EndpointRecord> {
  const { store } = core;
  // a host link of this endpoint's earlier attach may still hold its name
  await core.reaper.settled(`ep:${ep.id}`);
  const current = store.endpointById(ep.id);
  if (!current) throw new PatchbayError('PB_ERR_ENDPOINT_NOT_FOUND', `endpoint ${ep.name} not found`);
  if (current.sandboxId || current.hostIf) throw new PatchbayError('PB_ERR_ENDPOINT_JOINED', `endpoint ${ep.name} is already attached`);
  checkIfname(target.ifName, 'ifName');
  const plan = core.registry.get(net.driver).planAttach?.(driverNetwork(store, net), driverEndpoint(current), target, core.driverCtx);
  if (!plan) return current;
  store.attachEndpoint(ep.id, { ...DETACHED, ifName: target.ifName, hostIf: plan.hostIf }, 'joining');
  try {
    await runSteps(plan.steps, lazyChild(core.log, { op: 'attach', endpoint: ep.name }));
  } catch (err) {
    store.attachEndpoint(ep.id, DETACHED, 'ready');
    throw err;
  }
  store.setEndpointState(ep.id, 'ready');
  return store.endpointById(ep.id)!;
}

/** The reverse of attachLocked: the driver's leave, with no sandbox to work in. */
export async function detachLocked(core: Core, net: NetworkRecord, ep: EndpointRecord): Promise<EndpointRecord> {
  const { store } = core;
  const current = store.endpointById(ep.id);
  if (!current || current.sandboxId || !current.hostIf) throw new PatchbayError('PB_ERR_INVALID', `endpoint ${ep.name} is not attached on its own`);
  store.setEndpointState(ep.id, 'leaving');
  const steps = core.registry.get(net.driver).planLeave?.(driverNetwork(store, net), joinedEndpoint(current), undefined, core.driverCtx) ?? [];
  try {
    await runSteps(steps, lazyChild(core.log, { op: 'detach', endpoint: ep.name }));
  } catch (err) {
    store.setEndpointState(ep.id, 'ready');
    throw err;
  }
  store.attachEndpoint(ep.id, DETACHED, 'ready');
  if (steps.length > 0) retireLinksOf(core, current);
  return store.endpointById(ep.id)!;
}
