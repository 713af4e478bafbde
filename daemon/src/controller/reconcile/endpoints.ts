import type { DriverDrift, DriverNetwork, SandboxView } from '@patchbay/drivers';
import type { AddrInfo, LinkInfo, RouteInfo } from '@patchbay/kernel';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../store/index.js';
import type { Core } from '../core.js';
import { driverNetwork, driverSandbox, joinedEndpoint } from '../driver-objects.js';
import { gatewayOf, rejoin } from '../join.js';
import { mapConcurrently, readRootView, type Planned, type Snapshot } from './plan.js';

/** A sandbox seen from inside, each listing read once and only when a check asks for it. */
function sandboxView(core: Core, sb: SandboxRecord): SandboxView {
  let links: Promise<LinkInfo[]> | undefined;
  let addresses: Promise<AddrInfo[]> | undefined;
  let routes: Promise<RouteInfo[]> | undefined;
  return {
    links: () => (links ??= core.kernel.links(sb.key)),
    addresses: () => (addresses ??= core.kernel.addresses(sb.key)),
    routes: () => (routes ??= core.kernel.routes(sb.key)),
  };
}

/**
 * Joined endpoints against the kernel, through their drivers' checks: 'host' depth looks at the
 * daemon's namespace only, 'full' inside every sandbox too. Endpoints of sandboxes in `gone` are
 * handled with their sandbox.
 */
export async function planEndpoints(core: Core, snap: Snapshot, gone: ReadonlySet<string>, deep: boolean): Promise<Planned[]> {
  const { store, registry } = core;
  const planned: Planned[] = [];
  const sandboxById = new Map(snap.sandboxes.map((sb) => [sb.id, sb]));
  const views = new Map<string, SandboxView>();
  const networks = new Map<string, DriverNetwork>();
  const driverNet = (net: NetworkRecord) => networks.get(net.id) ?? networks.set(net.id, driverNetwork(store, net)).get(net.id)!;
  const networkById = new Map(snap.networks.map((n) => [n.id, n]));
  // the checks read the kernel: run them side by side, keep their drifts in the endpoints' order
  const found = await mapConcurrently(snap.endpoints, async (ep): Promise<Planned[]> => {
    if (ep.state !== 'ready' || !ep.sandboxId || gone.has(ep.sandboxId)) return [];
    const net = networkById.get(ep.networkId) ?? store.networkById(ep.networkId);
    const sb = sandboxById.get(ep.sandboxId);
    const check = net ? registry.get(net.driver).checkEndpoint : undefined;
    if (!net || !sb || sb.state !== 'ready' || !check) return [];
    if (deep && !views.has(sb.id)) views.set(sb.id, sandboxView(core, sb));
    const sandbox = views.get(sb.id);
    const drifts = await check(
      driverNet(net),
      joinedEndpoint(ep),
      driverSandbox(sb),
      { root: snap.root, ...(sandbox ? { sandbox } : {}), isGateway: deep && gatewayOf(core, sb)?.id === ep.id, rejoin: () => rejoin(core, ep, net, sb) },
      core.driverCtx,
    );
    const object = `endpoint ${ep.name} (network ${net.name}, sandbox ${sb.name})`;
    return drifts.map((d) => ({ drift: { kind: d.kind, object, action: d.action }, repair: d.repair }));
  });
  planned.push(...found.flat());
  return planned;
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
