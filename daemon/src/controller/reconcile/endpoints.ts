import type { DriverDrift, DriverNetwork, NetworkDriver, SandboxView } from '@patchbay/drivers';
import type { AddrInfo, LinkInfo, NetnsState, RouteInfo } from '@patchbay/kernel';
import type { EndpointRecord, NetworkRecord, PoolRecord, SandboxRecord } from '../../store/index.js';
import type { Core } from '../core.js';
import { driverNetwork, driverSandbox, joinedEndpoint } from '../driver-objects.js';
import { electSandboxGateway, type GatewayLookups } from '../gateway.js';
import { gatewayOf, rejoin } from '../join.js';
import { mapConcurrently, readRootView, type Planned, type Snapshot } from './plan.js';
import { forEachStateBatch } from './sandbox-states.js';

/**
 * A sandbox seen from inside, read once and only when a check asks for it: links, addresses and
 * routes in one exchange where the kernel offers it (one entry into the namespace, not three).
 */
function sandboxView(core: Core, sb: SandboxRecord): SandboxView {
  const { netnsState } = core.kernel;
  if (netnsState) {
    let state: Promise<NetnsState> | undefined;
    const read = () => (state ??= netnsState.call(core.kernel, sb.key));
    return { links: () => read().then((s) => s.links), addresses: () => read().then((s) => s.addresses), routes: () => read().then((s) => s.routes) };
  }
  let links: Promise<LinkInfo[]> | undefined;
  let addresses: Promise<AddrInfo[]> | undefined;
  let routes: Promise<RouteInfo[]> | undefined;
  return {
    links: () => (links ??= core.kernel.links(sb.key)),
    addresses: () => (addresses ??= core.kernel.addresses(sb.key)),
    routes: () => (routes ??= core.kernel.routes(sb.key)),
  };
}

/** A sandbox seen from inside through the state a deep check's batched read gave (or the error it met). */
function viewOfState(state: NetnsState | Error): SandboxView {
  if (state instanceof Error) {
    const failed = () => Promise.reject(state);
    return { links: failed, addresses: failed, routes: failed };
  }
  return { links: async () => state.links, addresses: async () => state.addresses, routes: async () => state.routes };
}

interface EndpointJob {
  /** the endpoint's place in the snapshot: drifts are reported in that order */
  at: number;
  ep: EndpointRecord;
  net: NetworkRecord;
  sb: SandboxRecord;
  check: NonNullable<NetworkDriver['checkEndpoint']>;
}

/**
 * Joined endpoints against the kernel, through their drivers' checks: 'host' depth looks at the
 * daemon's namespace only, 'full' inside every sandbox too (the sandboxes read in batches where
 * the kernel offers it). Endpoints of sandboxes in `gone` are handled with their sandbox.
 */
export async function planEndpoints(core: Core, snap: Snapshot, gone: ReadonlySet<string>, deep: boolean): Promise<Planned[]> {
  const { store, registry } = core;
  const sandboxById = new Map(snap.sandboxes.map((sb) => [sb.id, sb]));
  const networks = new Map<string, DriverNetwork>();
  const driverNet = (net: NetworkRecord) => networks.get(net.id) ?? networks.set(net.id, driverNetwork(store, net)).get(net.id)!;
  const networkById = new Map(snap.networks.map((n) => [n.id, n]));
  const gatewayOfSandbox = deep ? snapshotGateways(core, snap, networkById) : () => undefined;
  // the endpoints to check, by sandbox (a sandbox is read once, for all its endpoints)
  const bySandbox = new Map<string, EndpointJob[]>();
  snap.endpoints.forEach((ep, at) => {
    if (ep.state !== 'ready' || !ep.sandboxId || gone.has(ep.sandboxId)) return;
    const net = networkById.get(ep.networkId) ?? store.networkById(ep.networkId);
    const sb = sandboxById.get(ep.sandboxId);
    const check = net ? registry.get(net.driver).checkEndpoint : undefined;
    if (!net || !sb || sb.state !== 'ready' || !check) return;
    (bySandbox.get(sb.id) ?? bySandbox.set(sb.id, []).get(sb.id)!).push({ at, ep, net, sb, check });
  });
  const groups = [...bySandbox.values()];
  const found = new Array<Planned[] | undefined>(snap.endpoints.length);
  const checkSandbox = async (jobs: EndpointJob[], sandbox: SandboxView | undefined) => {
    for (const { at, ep, net, sb, check } of jobs) {
      const drifts = await check(
        driverNet(net),
        joinedEndpoint(ep),
        driverSandbox(sb),
        { root: snap.root, ...(sandbox ? { sandbox } : {}), isGateway: deep && gatewayOfSandbox(sb.id) === ep.id, rejoin: () => rejoin(core, ep, net, sb) },
        core.driverCtx,
      );
      if (drifts.length === 0) continue;
      const object = `endpoint ${ep.name} (network ${net.name}, sandbox ${sb.name})`;
      found[at] = drifts.map((d) => ({ drift: { kind: d.kind, object, action: d.action }, repair: d.repair }));
    }
  };
  // the checks read the kernel: sandboxes side by side, their drifts kept in the endpoints' order
  const { netnsStates } = core.kernel;
  if (deep && netnsStates) {
    await forEachStateBatch(netnsStates.bind(core.kernel), groups.map((g) => g[0]!.sb), (from, states) =>
      mapConcurrently(states, (state, i) => checkSandbox(groups[from + i]!, viewOfState(state))).then(() => undefined),
    );
  } else {
    await mapConcurrently(groups, (jobs) => checkSandbox(jobs, deep ? sandboxView(core, jobs[0]!.sb) : undefined));
  }
  return found.flatMap((planned) => planned ?? []);
}

/**
 * Each sandbox's gateway endpoint as gatewayOf elects it, from the snapshot's rows and one read of
 * the pools (not a few queries per endpoint); computed on first use per sandbox.
 */
function snapshotGateways(core: Core, snap: Snapshot, networkById: ReadonlyMap<string, NetworkRecord>): (sandboxId: string) => string | undefined {
  const { store, registry } = core;
  const bySandbox = new Map<string, EndpointRecord[]>();
  for (const ep of snap.endpoints) if (ep.sandboxId) (bySandbox.get(ep.sandboxId) ?? bySandbox.set(ep.sandboxId, []).get(ep.sandboxId)!).push(ep);
  let pools: Map<string, PoolRecord[]> | undefined;
  const look: GatewayLookups = {
    network: (id) => networkById.get(id) ?? store.networkById(id)!,
    pools: (networkId) => {
      if (!pools) {
        pools = new Map();
        for (const p of store.pools()) if (p.networkId) (pools.get(p.networkId) ?? pools.set(p.networkId, []).get(p.networkId)!).push(p);
      }
      return pools.get(networkId) ?? [];
    },
  };
  const elected = new Map<string, string | undefined>();
  return (sandboxId) => {
    if (!elected.has(sandboxId)) elected.set(sandboxId, electSandboxGateway(store, registry, bySandbox.get(sandboxId) ?? [], look)?.id);
    return elected.get(sandboxId);
  };
}

/**
 * One joined endpoint against the kernel, deep (inside its sandbox too), through its driver's
 * check; outside reconcile (CNI CHECK). Nothing is repaired: the drifts carry their repairs.
 */
export async function checkJoinedEndpoint(core: Core, ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord): Promise<DriverDrift[]> {
  const check = core.registry.get(net.driver).checkEndpoint;
  if (!check) return [];
  const view = { root: await readRootView(core), sandbox: sandboxView(core, sb), isGateway: gatewayOf(core, sb)?.id === ep.id, rejoin: () => rejoin(core, ep, net, sb) };
  return check(driverNetwork(core.store, net), joinedEndpoint(ep), driverSandbox(sb), view, core.driverCtx);
}
