import { NETWORK_OPTIONS, type NetworkDriver } from '@patchbay/drivers';
import { PatchbayError } from '@patchbay/errors';
import { checkIfname, concurrentSteps, runSteps, type IpOp, type Step } from '@patchbay/kernel';
import { DETACHED, type EndpointRecord, type NetworkRecord, type SandboxRecord } from '../store/index.js';
import type { Core } from './core.js';
import { driverEndpoint, driverNetwork, driverSandbox, joinedEndpoint } from './driver-objects.js';
import { dropEndpoint, tearDownJoin } from './endpoint-drop.js';
import { electSandboxGateway } from './gateway.js';
import { resolvConfSteps } from './sandbox-dns.js';
import { lazyChild } from '../lazy-logger.js';

/** The sandbox's gateway endpoint, with `extra` counted as joined and `without` as gone. */
export function gatewayOf(core: Core, sb: SandboxRecord, extra?: EndpointRecord, without?: string) {
  const joined = core.store.endpointsInSandbox(sb.id).filter((e) => e.id !== without && e.id !== extra?.id);
  if (extra) joined.push(extra);
  return electSandboxGateway(core.store, core.registry, joined);
}

/** Steps that install (or remove) the default route through the gateway endpoint `gw`. */
function routeSteps(core: Core, sb: SandboxRecord, gw: EndpointRecord, install: boolean): Step[] {
  const net = core.store.networkById(gw.networkId)!;
  const add = gw.ifName ? (core.registry.get(net.driver).gatewayOps?.(driverNetwork(core.store, net), gw.ifName) ?? []) : [];
  if (add.length === 0) return [];
  const del: IpOp[] = add.flatMap((op) => (op.op === 'route.add' ? [{ ...op, op: 'route.del' as const }] : []));
  const ensure = () => core.kernel.ip(sb.key, add);
  const drop = () => core.kernel.ip(sb.key, del, { ignoreMissing: true });
  return [{ name: `${install ? 'install' : 'remove'} default route via ${net.name}`, run: install ? ensure : drop, undo: install ? drop : ensure }];
}

/**
 * The join's position in the sandbox and its interface name: the caller's (validated, unique in
 * the sandbox), else <prefix><N> for the first N free as a position and as a name. A driver that
 * makes no interface (null, host) gets no name.
 */
function placeInSandbox(net: NetworkRecord, driver: NetworkDriver, sb: SandboxRecord, joined: readonly EndpointRecord[], requested?: string) {
  const positions = new Set(joined.map((e) => e.ifIndex));
  const names = new Set(joined.map((e) => e.ifName));
  const makesInterface = driver.planAttach !== undefined;
  if (requested !== undefined && makesInterface) {
    checkIfname(requested, 'ifName');
    if (names.has(requested)) throw new PatchbayError('PB_ERR_INVALID_NAME', `interface name ${requested} is already taken in sandbox ${sb.name}`);
  }
  const prefix = net.options[NETWORK_OPTIONS.ifacePrefix] ?? 'eth';
  let ifIndex = 0;
  while (positions.has(ifIndex) || (requested === undefined && names.has(`${prefix}${ifIndex}`))) ifIndex++;
  return { ifIndex, ifName: makesInterface ? (requested ?? `${prefix}${ifIndex}`) : null };
}

/**
 * Both halves of a join into one of patchbay's sandboxes: attach (peer created in it as `ifName`),
 * then configure (or both in the attach's steps). A pair parked by a disconnect whose peer holds
 * `ifName` is offered to the driver if it is of this network; one it does not take back is retired
 * first (`clear`), out of the way.
 */
function planJoin(core: Core, net: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord, ifName: string | null, isGateway: boolean) {
  const driver = core.registry.get(net.driver);
  if (ifName === null) return { steps: [], clear: [], hostIf: null };
  const dnet = driverNetwork(core.store, net);
  const dep = driverEndpoint(ep);
  const spec = { ifName, isGateway };
  const holder = core.parking?.holding(sb.key, ifName);
  const offered = holder?.parked && holder.pair.network === net.id ? { parked: holder.pair } : {};
  const attach = driver.planAttach?.(dnet, dep, { netns: sb.key, ifName, configure: spec, ...offered }, core.driverCtx);
  const configure = attach?.configured ? [] : (driver.planConfigure?.(dnet, dep, driverSandbox(sb), spec, core.driverCtx) ?? []);
  const clear = holder && !attach?.takesParked ? [core.parking!.evictStep(holder.pair)] : [];
  return { steps: [...(attach?.steps ?? []), ...configure], clear, hostIf: attach?.hostIf ?? null };
}

/** The refusals of drivers whose networks are a sandbox's only one (NetworkDriver.exclusive). */
const EXCLUSIVE_REFUSALS = {
  shared: ['PB_ERR_FORBIDDEN', 'a sandbox on the host network cannot join other networks'],
  // dockerd's runconfig.ErrConflictNoNetwork
  private: ['PB_ERR_INVALID', 'container cannot be connected to multiple networks with one of the networks in private (none) mode'],
} as const;

/** Refuses a join that would put a sandbox on an exclusive network and another one; `drivers`: the joining network's and the joined ones'. */
function checkExclusive(drivers: readonly NetworkDriver[]) {
  for (const kind of ['shared', 'private'] as const) {
    const [code, message] = EXCLUSIVE_REFUSALS[kind];
    if (drivers.some((d) => d.exclusive === kind)) throw new PatchbayError(code, message);
  }
}

/** A sandbox joins a network once; `joined`: its endpoints. */
export function checkNotConnected(net: NetworkRecord, sb: SandboxRecord, joined: readonly EndpointRecord[]): void {
  if (joined.some((e) => e.networkId === net.id)) {
    throw new PatchbayError('PB_ERR_ALREADY_CONNECTED', `sandbox ${sb.name} is already connected to network ${net.name}`);
  }
}

/**
 * Where a join of `ep` puts it in the sandbox and the steps that do it (with a connect's row
 * write). `joined`: the sandbox's endpoints before the join.
 */
export function planJoinInto(core: Core, net: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord, joined: readonly EndpointRecord[], requestedIfName?: string) {
  const { store, registry } = core;
  checkNotConnected(net, sb, joined);
  const driver = registry.get(net.driver);
  if (joined.length > 0) checkExclusive([driver, ...joined.map((e) => registry.get(store.networkById(e.networkId)!.driver))]);
  const { ifIndex, ifName } = placeInSandbox(net, driver, sb, joined, requestedIfName);
  // No wait for the reaper: a leave frees the interface name in the sandbox at once (the
  // retired peer is renamed, see DriverContext.retiredLinkGroup), or a parked peer keeps it and
  // this join takes the pair back or retires it first (planJoin).
  // `ep` is not among them: a connect's row is not written yet, a join's endpoint is unjoined
  const oldGw = electSandboxGateway(store, registry, joined);
  const attached: EndpointRecord = { ...ep, sandboxId: sb.id, ifIndex, ifName };
  const isGateway = electSandboxGateway(store, registry, [...joined, attached])?.id === ep.id;
  const plan = planJoin(core, net, ep, sb, ifName, isGateway);
  const placement = { sandboxId: sb.id, ifIndex, ifName, hostIf: plan.hostIf };
  const moveRoute = isGateway && oldGw ? routeSteps(core, sb, oldGw, false) : [];
  // A crash after the link is made but before the row is written leaves a link that recovery
  // finds only if it is a host-side link with a name of the driver's own (a bridge port, not a
  // macvlan made inside the sandbox); and nothing may change before the row says why.
  const linkFirst = moveRoute.length === 0 && plan.hostIf !== null && driver.ownsLinkName?.(plan.hostIf) === true;
  /** The join's steps; `rowWrite` (a connect's) runs while the kernel makes the link where that is safe, else first. */
  const steps = (rowWrite?: Step): Step[] => {
    const [first, ...rest] = plan.steps;
    const beside = rowWrite && linkFirst ? [rowWrite] : [];
    const before = rowWrite && !linkFirst ? [rowWrite] : [];
    // the resolv.conf write needs nothing of the link: it runs while the kernel makes the link
    return [...before, ...plan.clear, ...moveRoute, ...concurrentSteps([...(first ? [first] : []), ...beside, ...resolvConfSteps(core, sb, joined, [...joined, attached])]), ...rest];
  };
  return { placement, steps };
}

/**
 * The join is done: the endpoint is ready, subscribers (DNS) hear of it (and, for a connect, of
 * the endpoint itself first), the firewall follows: of an endpoint it holds only the published
 * ports of joined ones, so a join without ports changes nothing there and waits for no sync.
 */
export async function finishJoin(core: Core, net: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord, opts: { created?: boolean } = {}): Promise<EndpointRecord> {
  core.store.setEndpointState(ep.id, 'ready');
  // published with the commit (before the firewall's await), so subscribers (DNS) change with the store
  const done = core.store.endpointById(ep.id)!;
  if (opts.created) core.changes.publish({ type: 'endpoint.created', network: net, endpoint: done });
  core.changes.publish({ type: 'endpoint.joined', network: net, sandbox: sb, endpoint: done });
  if (core.store.hasPorts(ep.id)) await core.firewallSync.sync();
  return done;
}

export async function joinLocked(core: Core, net: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord, requestedIfName?: string): Promise<EndpointRecord> {
  const { store } = core;
  // a host link of this endpoint's earlier join may still hold its name
  await core.reaper.settled(`ep:${ep.id}`);
  const current = store.endpointById(ep.id);
  if (!current) throw new PatchbayError('PB_ERR_ENDPOINT_NOT_FOUND', `endpoint ${ep.name} not found`);
  if (current.sandboxId || current.hostIf) throw new PatchbayError('PB_ERR_ENDPOINT_JOINED', 'another container is attached to the same network endpoint');
  const planned = planJoinInto(core, net, current, sb, store.endpointsInSandbox(sb.id), requestedIfName);
  // Intent first: the row says where the endpoint is going before the kernel changes.
  store.attachEndpoint(ep.id, planned.placement, 'joining');
  try {
    await runSteps(planned.steps(), lazyChild(core.log, { op: 'join', endpoint: ep.name, sandbox: sb.name }));
  } catch (err) {
    store.attachEndpoint(ep.id, DETACHED, 'ready');
    throw err;
  }
  return finishJoin(core, net, ep, sb);
}

/**
 * The leave's links go to the reaper: owned by the sandbox (deleting it waits for them) and by
 * the endpoint (its host link's name is its own: a join of it again waits for them).
 */
export function retireLinksOf(core: Core, ep: EndpointRecord, sandboxId?: string, opts: { parked?: boolean } = {}): void {
  if (sandboxId) core.reaper.retired(sandboxId);
  core.reaper.retired(`ep:${ep.id}`);
  // a parked host link may be set up again: it still wants IPv6 off
  if (ep.hostIf && !opts.parked) core.quieter.forget(ep.hostIf);
}

/** `intent` 'deleting' (a disconnect) tells recovery to remove the endpoint after the leave. */
export async function leaveLocked(core: Core, net: NetworkRecord, ep: EndpointRecord, sb: SandboxRecord, intent: 'leaving' | 'deleting' = 'leaving'): Promise<EndpointRecord> {
  const { store } = core;
  const wasGateway = gatewayOf(core, sb)?.id === ep.id;
  const driver = core.registry.get(net.driver);
  store.setEndpointState(ep.id, intent);
  // a disconnect may park the pair (parked-links.ts): the endpoint, whose host link name it keeps, goes with it
  const park = intent === 'deleting' && !sb.external && core.parking !== undefined;
  const leaveSteps = driver.planLeave?.(driverNetwork(store, net), joinedEndpoint(ep), driverSandbox(sb), core.driverCtx, { park }) ?? [];
  const steps: Step[] = [];
  // The route moves before the veth goes: deleting a veth has no undo, so it must be the last step.
  const next = wasGateway ? gatewayOf(core, sb, undefined, ep.id) : undefined;
  if (next) steps.push(...routeSteps(core, sb, ep, false), ...routeSteps(core, sb, next, true));
  const joined = store.endpointsInSandbox(sb.id);
  const resolv = resolvConfSteps(core, sb, joined, joined.filter((e) => e.id !== ep.id));
  // The file needs nothing of the links: it is written while the first leave step (the host end)
  // runs, when that step can be undone (a delete cannot: it waits for the file). The driver's own
  // steps stay in order: the peer going down loses its routes, which its undo does not bring back,
  // so it must not have run when the host end fails.
  const [first, ...rest] = leaveSteps;
  if (first?.undo) steps.push(...concurrentSteps([...resolv, first]), ...rest);
  else steps.push(...resolv, ...leaveSteps);
  try {
    await runSteps(steps, lazyChild(core.log, { op: 'leave', endpoint: ep.name, sandbox: sb.name }));
  } catch (err) {
    store.setEndpointState(ep.id, 'ready');
    throw err;
  }
  // The leave and (for a disconnect) the endpoint's removal commit together, before the
  // retired link is handed to the reaper: a crash after this point leaves nothing half-done.
  const released = intent === 'deleting' ? dropEndpoint(core, net, ep) : undefined;
  if (!released) store.attachEndpoint(ep.id, DETACHED, 'ready');
  if (leaveSteps.length > 0) retireLinksOf(core, ep, sb.id, { parked: park });
  core.changes.publish({ type: 'endpoint.left', network: net, sandbox: sb, endpoint: ep });
  if (intent === 'deleting') core.changes.publish({ type: 'endpoint.removed', network: net, endpoint: ep });
  await released;
  return store.endpointById(ep.id) ?? { ...ep, ...DETACHED };
}

/**
 * Reconcile's repair of a joined endpoint whose links were lost: remove what is left (its
 * interface name in the sandbox is the endpoint's) and join again with the same name and addresses.
 */
export async function rejoin(core: Core, ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord): Promise<void> {
  if (!ep.ifName || !core.registry.get(net.driver).planAttach) return;
  await tearDownJoin(core, net, ep, sb);
  await core.kernel.ip(sb.key, [{ op: 'link.del', name: ep.ifName }], { ignoreMissing: true });
  const plan = planJoin(core, net, ep, sb, ep.ifName, gatewayOf(core, sb)?.id === ep.id);
  await runSteps([...plan.clear, ...plan.steps], lazyChild(core.log, { op: 'reconcile.rejoin', endpoint: ep.name }));
}
