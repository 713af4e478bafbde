import { ifNameFor } from '@patchbay/drivers';
import { PatchbayError } from '@patchbay/errors';
import { checkIfname, runSteps, type IpOp, type Step } from '@patchbay/kernel';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../store/index.js';
import { driverNetwork, isUniqueViolation, type Core } from './core.js';
import { electSandboxGateway } from './gateway.js';
import { macFor, newId, nowRfc3339Nano, sandboxIfName } from './ids.js';
import { findEndpoint, findNetwork, findSandbox } from './lookup.js';
import { assignPorts, parsePortRange, type PortRequest } from './ports.js';

export interface CreateEndpointInput {
  name: string;
  ipv4Address?: string;
  ipv6Address?: string;
  macAddress?: string;
  ports?: PortRequest[];
  aliases?: string[];
  /** the interface name inside the sandbox (CNI_IFNAME); default eth<N> */
  ifName?: string;
}

export function createEndpoints(core: Core) {
  const { store, registry, ipam, locks, log, kernel } = core;

  function readyNetwork(ref: string): NetworkRecord {
    const net = findNetwork(store, ref);
    if (net.state !== 'ready') throw new PatchbayError('PB_ERR_NETWORK_NOT_FOUND', `network ${ref} not found (it is being ${net.state === 'creating' ? 'created' : 'removed'})`);
    return net;
  }

  async function portRange(): Promise<[number, number]> {
    return parsePortRange(await kernel.sysctlGet('net.ipv4.ip_local_port_range'));
  }

  /** Synchronous intent: endpoint row, addresses and ports in one transaction. */
  function insertEndpoint(net: NetworkRecord, input: CreateEndpointInput, range: [number, number], state: 'ready' | 'creating' = 'ready'): EndpointRecord {
    const driver = registry.get(net.driver);
    if (store.endpointByName(net.id, input.name)) {
      throw new PatchbayError('PB_ERR_ENDPOINT_EXISTS', `endpoint with name ${input.name} already exists in network ${net.name}`);
    }
    if ((input.ports?.length ?? 0) > 0 && (net.internal || !driver.usesIpam)) {
      throw new PatchbayError('PB_ERR_FORBIDDEN', `ports cannot be published on ${net.internal ? 'internal network' : `network driver ${net.driver}`} ${net.name}`);
    }
    if (input.ifName !== undefined) checkIfname(input.ifName, 'ifName');
    const id = newId();
    let undoAddresses = () => {};
    try {
      return store.tx(() => {
        const addrs = driver.usesIpam
          ? ipam.allocateEndpoint(net.id, net.name, { id, name: input.name }, { ipv4: input.ipv4Address, ipv6: input.ipv6Address })
          : { undo: () => {} };
        undoAddresses = addrs.undo;
        const record: EndpointRecord = {
          id,
          networkId: net.id,
          name: input.name,
          sandboxId: null,
          ifIndex: null,
          ifName: input.ifName ?? null,
          hostIf: null,
          mac: driver.usesIpam ? (input.macAddress ?? macFor(addrs.ipv4)) : null,
          ipv4: addrs.ipv4 ?? null,
          ipv6: addrs.ipv6 ?? null,
          aliases: input.aliases ?? [],
          created: nowRfc3339Nano(),
          state,
        };
        store.insertEndpoint(record);
        assignPorts(store, id, input.ports ?? [], range);
        return record;
      });
    } catch (err) {
      undoAddresses();
      if (isUniqueViolation(err)) {
        throw new PatchbayError('PB_ERR_ENDPOINT_EXISTS', `endpoint with name ${input.name} already exists in network ${net.name}`, { cause: err });
      }
      throw err;
    }
  }

  function dropEndpoint(net: NetworkRecord, ep: EndpointRecord) {
    store.tx(() => store.deleteEndpoint(ep.id));
    ipam.releaseEndpoint(net.id, net.name, [ep.ipv4, ep.ipv6]);
  }

  async function create(netRef: string, input: CreateEndpointInput): Promise<EndpointRecord> {
    const range = await portRange();
    const ep = insertEndpoint(readyNetwork(netRef), input, range);
    core.events.emit('endpoint', 'create', ep.id, { name: ep.name });
    return ep;
  }

  async function remove(netRef: string, epRef: string): Promise<void> {
    const net = findNetwork(store, netRef);
    const ep = findEndpoint(store, net, epRef);
    if (ep.sandboxId) {
      throw new PatchbayError('PB_ERR_ENDPOINT_JOINED', `endpoint ${ep.name} is joined to sandbox ${ep.sandboxId.slice(0, 12)}: leave it first`);
    }
    dropEndpoint(net, ep);
    await core.firewall.sync();
  }

  /** The sandbox's gateway candidates, with `extra` counted as joined. */
  function gatewayOf(sb: SandboxRecord, extra?: EndpointRecord, without?: string) {
    const joined = store.endpointsInSandbox(sb.id).filter((e) => e.id !== without && e.id !== extra?.id);
    if (extra) joined.push(extra);
    return electSandboxGateway(store, registry, joined);
  }

  function routeSteps(sb: SandboxRecord, gw: EndpointRecord, install: boolean): Step[] {
    const net = store.networkById(gw.networkId)!;
    const driver = registry.get(net.driver);
    const ifName = sandboxIfName(net, gw);
    const add = driver.gatewayOps?.(driverNetwork(core, net), ifName) ?? [];
    const del: IpOp[] = add.flatMap((op) => (op.op === 'route.add' ? [{ ...op, op: 'route.del' as const }] : []));
    const ensure = () => kernel.ip(sb.key, add);
    const drop = () => kernel.ip(sb.key, del, { ignoreMissing: true });
    if (add.length === 0) return [];
    return [{ name: `${install ? 'install' : 'remove'} default route via ${net.name}`, run: install ? ensure : drop, undo: install ? drop : ensure }];
  }

  async function joinLocked(net: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord): Promise<EndpointRecord> {
    const current = store.endpointById(ep.id);
    if (!current) throw new PatchbayError('PB_ERR_ENDPOINT_NOT_FOUND', `endpoint ${ep.name} not found`);
    if (current.sandboxId) throw new PatchbayError('PB_ERR_ENDPOINT_JOINED', 'another container is attached to the same network endpoint');
    const joined = store.endpointsInSandbox(sb.id);
    if (joined.some((e) => e.networkId === net.id)) {
      throw new PatchbayError('PB_ERR_ALREADY_CONNECTED', `sandbox ${sb.name} is already connected to network ${net.name}`);
    }
    const onHost = joined.some((e) => store.networkById(e.networkId)?.driver === 'host');
    if (onHost || (net.driver === 'host' && joined.length > 0)) {
      throw new PatchbayError('PB_ERR_FORBIDDEN', 'a sandbox on the host network cannot join other networks');
    }
    // a link this sandbox just left may still hold its eth<N> name until the reaper deletes it
    await core.reaper.settled(sb.id);
    const used = new Set(joined.map((e) => e.ifIndex));
    const names = new Set(joined.map((e) => sandboxIfName(store.networkById(e.networkId)!, e)));
    if (current.ifName !== null && names.has(current.ifName)) {
      throw new PatchbayError('PB_ERR_IFNAME_IN_USE', `interface ${current.ifName} already exists in sandbox ${sb.name}`);
    }
    let ifIndex = 0;
    while (used.has(ifIndex) || (current.ifName === null && names.has(ifNameFor(net, ifIndex)))) ifIndex++;
    const ifName = current.ifName ?? ifNameFor(net, ifIndex);
    const driver = registry.get(net.driver);
    const oldGw = gatewayOf(sb);
    const attached: EndpointRecord = { ...current, sandboxId: sb.id, ifIndex };
    const newGw = gatewayOf(sb, attached);
    const isGateway = newGw?.id === ep.id;
    const plan = driver.planJoin?.(driverNetwork(core, net), { id: ep.id, ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}), ...(ep.mac ? { mac: ep.mac } : {}) }, { id: sb.id, key: sb.key }, { ifIndex, ifName, isGateway }, core.driverCtx);
    const steps: Step[] = [];
    if (isGateway && oldGw) steps.push(...routeSteps(sb, oldGw, false));
    steps.push(...(plan?.steps ?? []));
    // Intent first: the row says where the endpoint is going before the kernel changes.
    // A connect keeps 'creating': recovery then removes the endpoint, not just its join.
    store.attachEndpoint(ep.id, sb.id, ifIndex, plan?.hostIf ?? null, current.state === 'creating' ? 'creating' : 'joining');
    try {
      await runSteps(steps, log.child({ op: 'join', endpoint: ep.name, sandbox: sb.name }));
    } catch (err) {
      store.attachEndpoint(ep.id, null, null, null, 'ready');
      throw err;
    }
    store.setEndpointState(ep.id, 'ready');
    await core.firewall.sync();
    core.events.emit('network', 'connect', net.id, { container: sb.containerId, name: net.name, type: net.driver });
    return store.endpointById(ep.id)!;
  }

  /** `intent` 'deleting' (a disconnect) tells recovery to remove the endpoint after the leave. */
  async function leaveLocked(net: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord, intent: 'leaving' | 'deleting' = 'leaving'): Promise<EndpointRecord> {
    const wasGateway = gatewayOf(sb)?.id === ep.id;
    const driver = registry.get(net.driver);
    store.setEndpointState(ep.id, intent);
    const leaveSteps = driver.planLeave?.(driverNetwork(core, net), { id: ep.id, hostIf: ep.hostIf }, { id: sb.id, key: sb.key }, core.driverCtx) ?? [];
    const steps: Step[] = [];
    // The route moves before the veth goes: deleting a veth has no undo, so it must be the last step.
    const next = wasGateway ? gatewayOf(sb, undefined, ep.id) : undefined;
    if (next) steps.push(...routeSteps(sb, ep, false), ...routeSteps(sb, next, true));
    steps.push(...leaveSteps);
    try {
      await runSteps(steps, log.child({ op: 'leave', endpoint: ep.name, sandbox: sb.name }));
    } catch (err) {
      store.setEndpointState(ep.id, 'ready');
      throw err;
    }
    // The leave and (for a disconnect) the endpoint's removal commit together, before the
    // retired link is handed to the reaper: a crash after this point leaves nothing half-done.
    if (intent === 'deleting') dropEndpoint(net, ep);
    else store.attachEndpoint(ep.id, null, null, null, 'ready');
    if (leaveSteps.length > 0) core.reaper.retired(sb.id);
    core.events.emit('network', 'disconnect', net.id, { container: sb.containerId, name: net.name, type: net.driver });
    return store.endpointById(ep.id) ?? { ...ep, sandboxId: null, ifIndex: null, hostIf: null };
  }

  async function join(netRef: string, epRef: string, sbRef: string): Promise<EndpointRecord> {
    const net = readyNetwork(netRef);
    const ep = findEndpoint(store, net, epRef);
    const sb = findSandbox(store, sbRef);
    return locks.with([`sb:${sb.id}`], () => joinLocked(net, ep, sb));
  }

  async function leave(netRef: string, epRef: string): Promise<EndpointRecord> {
    const net = findNetwork(store, netRef);
    const ep = findEndpoint(store, net, epRef);
    if (!ep.sandboxId) throw new PatchbayError('PB_ERR_INVALID', `endpoint ${ep.name} is not joined to a sandbox`);
    const sb = findSandbox(store, ep.sandboxId);
    const left = await locks.with([`sb:${sb.id}`], () => leaveLocked(net, ep, sb));
    await core.firewall.sync();
    return left;
  }

  /** Create and join in one call; a failed join removes the endpoint again. */
  async function connect(netRef: string, sbRef: string, input: Partial<CreateEndpointInput>): Promise<EndpointRecord> {
    const net = readyNetwork(netRef);
    const sb = findSandbox(store, sbRef);
    const range = input.ports?.length ? await portRange() : ([0, 0] as [number, number]);
    return locks.with([`sb:${sb.id}`], async () => {
      if (store.endpointsInSandbox(sb.id).some((e) => e.networkId === net.id)) {
        throw new PatchbayError('PB_ERR_ALREADY_CONNECTED', `sandbox ${sb.name} is already connected to network ${net.name}`);
      }
      const ep = insertEndpoint(readyNetwork(net.id), { ...input, name: input.name ?? sb.name }, range, 'creating');
      try {
        return await joinLocked(net, ep, sb);
      } catch (err) {
        // Only a rolled-back join leaves the endpoint unjoined; after a committed join (a failed
        // firewall sync) the endpoint stays, and the firewall drift is for reconcile.
        if (!store.endpointById(ep.id)?.sandboxId) dropEndpoint(net, ep);
        throw err;
      }
    });
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
      if (stale.hostIf) await kernel.ip(null, [{ op: 'link.del', name: stale.hostIf }], { ignoreMissing: true });
      dropEndpoint(net, stale);
      await core.firewall.sync();
      return;
    }
    const target = sb;
    await locks.with([`sb:${target.id}`], async () => {
      const ep = store.endpointsInSandbox(target.id).find((e) => e.networkId === net.id);
      if (!ep) throw new PatchbayError('PB_ERR_ENDPOINT_NOT_FOUND', `container ${sbRef} is not connected to network ${net.name}`);
      await leaveLocked(net, ep, target, 'deleting');
    });
    await core.firewall.sync();
  }

  async function leaveAll(sb: SandboxRecord): Promise<void> {
    for (const ep of store.endpointsInSandbox(sb.id)) await disconnect(ep.networkId, sb.id);
  }

  return { create, remove, join, leave, connect, disconnect, leaveAll };
}
