import { runSteps, type IpOp } from '@patchbay/kernel';
import type { DriverContext, DriverDrift, DriverNetwork, DriverSandbox, EndpointCheck, JoinedEndpoint, RootView } from '../contract.js';
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
  if (!view.sandbox) return drifts;
  const sandbox = view.sandbox;
  const inSandbox = (ops: IpOp[]) => () => ctx.kernel.ip(sb.key, ops);
  if (ep.mac && inside.mac.toLowerCase() !== ep.mac.toLowerCase()) {
    const found = `${ifName} has MAC ${inside.mac}, the endpoint's is ${ep.mac}`;
    drifts.push({ kind: 'endpoint-mac-changed', found, action: `set MAC ${ep.mac} on ${ifName}`, repair: inSandbox([{ op: 'link.set', name: ifName, mac: ep.mac }]) });
  }
  if (!inside.up) drifts.push({ kind: 'endpoint-down', found: `${ifName} is down`, action: `set ${ifName} up`, repair: inSandbox([{ op: 'link.set', name: ifName, up: true }]) });
  const addrs = await sandbox.addresses();
  for (const cidr of [ep.ipv4, ep.ipv6]) {
    if (!cidr || addrs.some((a) => a.dev === ifName && a.cidr === cidr)) continue;
    drifts.push({ kind: 'endpoint-address-missing', found: `address ${cidr} is missing from ${ifName}`, action: `add ${cidr} to ${ifName}`, repair: inSandbox([{ op: 'addr.add', dev: ifName, cidr }]) });
  }
  if (view.isGateway) {
    const routes = await sandbox.routes();
    const missing = gatewayOps(net, ifName).filter(
      (op) => op.op === 'route.add' && !routes.some((r) => (r.dst === op.dst || (r.dst === 'default' && op.dst === '::/0' && r.family === 6)) && r.gateway === op.via),
    );
    if (missing.length > 0) {
      const via = (op: IpOp) => (op.op === 'route.add' ? `${op.dst} via ${op.via}` : '');
      drifts.push({
        kind: 'default-route-missing',
        // the IPv4 default route as CNI results write it
        found: missing.map((op) => `route ${via(op).replace(/^default /, '0.0.0.0/0 ')} is missing`).join(', '),
        action: `add ${missing.map(via).join(', ')}`,
        repair: inSandbox(missing),
      });
    }
  }
  return drifts;
}
