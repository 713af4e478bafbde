import { PatchbayError } from '@patchbay/errors';
import type { NetnsRef } from '@patchbay/kernel';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../store/index.js';
import { attachLocked, detachLocked } from './attach.js';
import { connectLocked } from './connect.js';
import type { Core } from './core.js';
import { dropEndpoint, tearDownJoin } from './endpoint-drop.js';
import { insertEndpoint, type CreateEndpointInput } from './endpoint-record.js';
import { joinLocked, leaveLocked } from './join.js';
import { findEndpoint, findNetwork, findSandbox } from './lookup.js';
import { parsePortRange } from './ports.js';

export type { CreateEndpointInput } from './endpoint-record.js';

export interface ConnectInput extends Partial<CreateEndpointInput> {
  /** the interface name in the sandbox (CNI's CNI_IFNAME); default eth<N> */
  ifName?: string;
}

export interface ConnectOptions {
  /**
   * Docker's rule: a static address only on a user-defined network whose subnet the user
   * configured (dockerd refuses it elsewhere, since the address could move on restart).
   */
  staticIpNeedsUserSubnet?: boolean;
}

function checkStaticIpRule(core: Core, net: NetworkRecord, input: ConnectInput) {
  if (!input.ipv4Address && !input.ipv6Address) return;
  if (net.predefined) throw new PatchbayError('PB_ERR_INVALID_ADDRESS', 'user specified IP address is supported on user defined networks only');
  if (!core.store.poolsOf(net.id).some((p) => p.userConfigured)) {
    throw new PatchbayError('PB_ERR_INVALID_ADDRESS', 'user specified IP address is supported only when connecting to networks with user configured subnets');
  }
}

export function createEndpoints(core: Core) {
  const { store, locks, kernel } = core;

  function readyNetwork(ref: string): NetworkRecord {
    const net = findNetwork(store, ref);
    if (net.state !== 'ready') throw new PatchbayError('PB_ERR_NETWORK_NOT_FOUND', `network ${ref} not found (it is being ${net.state === 'creating' ? 'created' : 'removed'})`);
    return net;
  }

  async function portRange(): Promise<[number, number]> {
    return parsePortRange(await kernel.sysctlGet('net.ipv4.ip_local_port_range'));
  }

  async function create(netRef: string, input: CreateEndpointInput): Promise<EndpointRecord> {
    const range = await portRange();
    const ep = await insertEndpoint(core, readyNetwork(netRef), input, range);
    core.changes.publish({ type: 'endpoint.created', network: store.networkById(ep.networkId)!, endpoint: ep });
    return ep;
  }

  async function remove(netRef: string, epRef: string): Promise<void> {
    const net = findNetwork(store, netRef);
    const ep = findEndpoint(store, net, epRef);
    if (ep.sandboxId) {
      throw new PatchbayError('PB_ERR_ENDPOINT_JOINED', `endpoint ${ep.name} is joined to sandbox ${ep.sandboxId.slice(0, 12)}: leave it first`);
    }
    if (ep.hostIf) throw new PatchbayError('PB_ERR_ENDPOINT_JOINED', `endpoint ${ep.name} is attached: detach it first`);
    const released = dropEndpoint(core, net, ep);
    core.changes.publish({ type: 'endpoint.removed', network: net, endpoint: ep });
    await core.firewallSync.sync();
    await released;
  }

  async function join(netRef: string, epRef: string, sbRef: string, opts: { ifName?: string } = {}): Promise<EndpointRecord> {
    const net = readyNetwork(netRef);
    const ep = findEndpoint(store, net, epRef);
    const sb = findSandbox(store, sbRef);
    return locks.with([`sb:${sb.id}`, `ep:${ep.id}`], () => joinLocked(core, net, ep, sb, opts.ifName));
  }

  /** Attach only (see attachLocked): the container side goes to `target`, nothing is configured inside. */
  async function attach(netRef: string, epRef: string, target: { netns: NetnsRef; ifName: string }): Promise<EndpointRecord> {
    const net = readyNetwork(netRef);
    const ep = findEndpoint(store, net, epRef);
    const attached = await locks.with([`ep:${ep.id}`], () => attachLocked(core, net, ep, target));
    // its published ports go live with the link
    await core.firewallSync.sync();
    return attached;
  }

  async function detach(netRef: string, epRef: string): Promise<EndpointRecord> {
    const net = findNetwork(store, netRef);
    const ep = findEndpoint(store, net, epRef);
    const detached = await locks.with([`ep:${ep.id}`], () => detachLocked(core, net, ep));
    await core.firewallSync.sync();
    return detached;
  }

  async function leave(netRef: string, epRef: string): Promise<EndpointRecord> {
    const net = findNetwork(store, netRef);
    const ep = findEndpoint(store, net, epRef);
    if (!ep.sandboxId) throw new PatchbayError('PB_ERR_INVALID', `endpoint ${ep.name} is not joined to a sandbox`);
    const sb = findSandbox(store, ep.sandboxId);
    // the firewall holds joined endpoints' published ports: a leave without ports changes nothing there
    const hadPorts = store.hasPorts(ep.id);
    const left = await locks.with([`sb:${sb.id}`], () => leaveLocked(core, net, ep, sb));
    if (hadPorts) await core.firewallSync.sync();
    return left;
  }

  /** Create and join in one call; a failed join removes the endpoint again. */
  async function connect(netRef: string, sbRef: string, input: ConnectInput, opts: ConnectOptions = {}): Promise<EndpointRecord> {
    const net = readyNetwork(netRef);
    const sb = findSandbox(store, sbRef);
    if (opts.staticIpNeedsUserSubnet) checkStaticIpRule(core, net, input);
    const range = input.ports?.length ? await portRange() : ([0, 0] as [number, number]);
    return locks.with([`sb:${sb.id}`], () => connectLocked(core, readyNetwork(net.id), sb, { ...input, name: input.name ?? sb.name }, range));
  }

  /** Leave and delete the sandbox's endpoint; with force, a stale endpoint goes by name even without its sandbox. */
  async function disconnect(netRef: string, sbRef: string, force = false): Promise<void> {
    const net = findNetwork(store, netRef);
    let sb: SandboxRecord | undefined;
    try {
      sb = findSandbox(store, sbRef);
    } catch (err) {
      const stale = force ? store.endpointByName(net.id, sbRef) : undefined;
      if (!stale) throw err;
      if (stale.hostIf || stale.ifName) await tearDownJoin(core, net, stale);
      dropEndpoint(core, net, stale);
      core.changes.publish({ type: 'endpoint.removed', network: net, endpoint: stale });
      await core.firewallSync.sync();
      return;
    }
    const target = sb;
    let hadPorts = false;
    await locks.with([`sb:${target.id}`], async () => {
      const ep = store.endpointsInSandbox(target.id).find((e) => e.networkId === net.id);
      if (!ep) throw new PatchbayError('PB_ERR_ENDPOINT_NOT_FOUND', `container ${sbRef} is not connected to network ${net.name}`);
      // (its ports go with its row)
      hadPorts = store.hasPorts(ep.id);
      await leaveLocked(core, net, ep, target, 'deleting');
    });
    if (hadPorts) await core.firewallSync.sync();
  }

  async function leaveAll(sb: SandboxRecord): Promise<void> {
    for (const ep of store.endpointsInSandbox(sb.id)) await disconnect(ep.networkId, sb.id);
  }

  return { create, remove, join, leave, attach, detach, connect, disconnect, leaveAll };
}
