import { runSteps, type IpOp } from '@patchbay/kernel';
import type { DriverContext, DriverDrift, DriverNetwork, DriverSandbox, EndpointCheck, JoinedEndpoint, RootView } from '../contract.js';
import { checkInside } from '../sandbox-config.js';
import { gatewayOps } from './endpoint.js';
import { hostVethFor } from './names.js';
import { bridgeStateOf, gatewayCidrs, planCreateBridge } from './network.js';

/** A bridge network against the kernel: the bridge exists, is up and has its gateway addresses. */
export function checkBridgeNetwork(net: DriverNetwork, root: RootView, ctx: DriverContext): DriverDrift[] {
  const { bridge } = bridgeStateOf(net);
  const ipRoot = (ops: IpOp[]) => ctx.kernel.ip(null, ops);
  const link = root.links.get(bridge);
  if (!link) {
    return [
      {
        kind: 'bridge-missing',
        found: `bridge ${bridge} is missing`,
        action: `re-create bridge ${bridge}`,
        remadeDevice: true,
        repair: async () => runSteps((await planCreateBridge(net, ctx)).steps),
      },
    ];
  }
  const drifts: DriverDrift[] = [];
  for (const cidr of gatewayCidrs(net)) {
    if (root.addresses.some((a) => a.dev === bridge && a.cidr === cidr)) continue;
    drifts.push({ kind: 'gateway-address-missing', found: `address ${cidr} is missing from ${bridge}`, action: `add ${cidr} to ${bridge}`, repair: () => ipRoot([{ op: 'addr.add', dev: bridge, cidr }]) });
  }
  if (!link.up) drifts.push({ kind: 'bridge-down', found: `bridge ${bridge} is down`, action: `set ${bridge} up`, repair: () => ipRoot([{ op: 'link.set', name: bridge, up: true }]) });
  return drifts;
}

/**
 * A joined endpoint against the kernel: its host veth up on the bridge and (deep checks) its
 * interface in the sandbox, up, with its MAC and addresses and, for the gateway endpoint, the
 * default routes.
 * Without a sandbox view a live host veth stands for its peer: a veth pair lives and dies whole.
 */
export async function checkBridgeEndpoint(
  net: DriverNetwork,
  ep: JoinedEndpoint,
  sb: DriverSandbox,
  view: EndpointCheck,
  ctx: DriverContext,
): Promise<DriverDrift[]> {
  const { bridge } = bridgeStateOf(net);
  const hostIf = ep.hostIf ?? hostVethFor(ep.id);
  const ifName = ep.ifName ?? '';
  const hostLink = view.root.links.get(hostIf);
  const inside = view.sandbox ? (await view.sandbox.links()).find((l) => l.name === ifName) : hostLink;
  if (!hostLink || !inside) {
    const lost = [!hostLink ? `host veth ${hostIf}` : '', !inside ? `${ifName} in the sandbox` : ''].filter(Boolean).join(' and ');
    const found = [!inside ? `interface ${ifName} is missing from the sandbox` : '', !hostLink ? `host veth ${hostIf} is missing` : ''].filter(Boolean).join(', ');
    return [{ kind: 'endpoint-link-missing', found, action: `re-join (lost ${lost})`, repair: view.rejoin }];
  }
  const drifts: DriverDrift[] = [];
  if (hostLink.master !== bridge) {
    drifts.push({
      kind: 'veth-detached',
      found: `host veth ${hostIf} is not on bridge ${bridge}`,
      action: `attach ${hostIf} to ${bridge}`,
      repair: () => ctx.kernel.ip(null, [{ op: 'link.set', name: hostIf, master: bridge, up: true }, { op: 'link.set', name: hostIf, hairpin: true }]),
    });
  } else if (!hostLink.up) {
    drifts.push({ kind: 'veth-down', found: `host veth ${hostIf} is down`, action: `set ${hostIf} up`, repair: () => ctx.kernel.ip(null, [{ op: 'link.set', name: hostIf, up: true }]) });
  }
  return [...drifts, ...(await checkInside(net, ep, inside, sb, view, ctx, { gatewayOps, checkMac: true }))];
}
