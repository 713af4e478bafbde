import type { IpOp, LinkInfo, Step } from '@patchbay/kernel';
import type { ConfigureSpec, DriverContext, DriverDrift, DriverEndpoint, DriverNetwork, DriverSandbox, EndpointCheck } from './contract.js';

/** The ops (in the sandbox) that install a network's default route through `ifName`. */
export type GatewayOps = (net: DriverNetwork, ifName: string) => IpOp[];

/**
 * Configure an endpoint's interface inside the sandbox, in one batch: no IPv6 link-local address
 * on IPv4-only networks (no IPv6 chatter flooded to every port), addresses, link up and, for the
 * gateway endpoint, the default route. The mode goes in a request before the one that brings the
 * link up: a request that does both changes the flags first, and a link fresh from its veth.add
 * (its operstate not yet known) with a peer that is up gets its link-local address at once.
 * No undo: the attach's undo deletes the link, and with it everything configured on it.
 */
export function planConfigureInside(net: DriverNetwork, ep: DriverEndpoint, sb: DriverSandbox, spec: ConfigureSpec, ctx: DriverContext, gatewayOps: GatewayOps): Step[] {
  const inside = configureInsideOps(net, ep, spec, gatewayOps);
  return [{ name: `configure ${spec.ifName} in sandbox ${sb.id.slice(0, 12)}`, run: () => ctx.kernel.ip(sb.key, inside) }];
}

/** What planConfigureInside runs inside the sandbox, as one batch. */
export function configureInsideOps(net: DriverNetwork, ep: DriverEndpoint, spec: ConfigureSpec, gatewayOps: GatewayOps): IpOp[] {
  const { ifName } = spec;
  const inside: IpOp[] = net.ipv6 === undefined ? [{ op: 'link.set', name: ifName, addrgenmode: 'none' }] : [];
  if (ep.ipv4) inside.push({ op: 'addr.add', dev: ifName, cidr: ep.ipv4 });
  if (ep.ipv6) inside.push({ op: 'addr.add', dev: ifName, cidr: ep.ipv6 });
  inside.push({ op: 'link.set', name: ifName, up: true });
  if (spec.isGateway) inside.push(...gatewayOps(net, ifName));
  return inside;
}

/**
 * A deep check inside the sandbox of the endpoint's interface `inside`: up, with its MAC (when the
 * driver sets one) and addresses and, for the gateway endpoint, its default routes.
 */
export async function checkInside(
  net: DriverNetwork,
  ep: DriverEndpoint,
  inside: LinkInfo,
  sb: DriverSandbox,
  view: EndpointCheck,
  ctx: DriverContext,
  opts: { gatewayOps: GatewayOps; checkMac: boolean },
): Promise<DriverDrift[]> {
  if (!view.sandbox) return [];
  const sandbox = view.sandbox;
  const ifName = inside.name;
  const inSandbox = (ops: IpOp[]) => () => ctx.kernel.ip(sb.key, ops);
  const drifts: DriverDrift[] = [];
  if (opts.checkMac && ep.mac && inside.mac.toLowerCase() !== ep.mac.toLowerCase()) {
    const found = `${ifName} has MAC ${inside.mac}, the endpoint's is ${ep.mac}`;
    drifts.push({ kind: 'endpoint-mac-changed', found, action: `set MAC ${ep.mac} on ${ifName}`, repair: inSandbox([{ op: 'link.set', name: ifName, mac: ep.mac }]) });
  }
  if (!inside.up) drifts.push({ kind: 'endpoint-down', found: `${ifName} is down`, action: `set ${ifName} up`, repair: inSandbox([{ op: 'link.set', name: ifName, up: true }]) });
  const addrs = await sandbox.addresses();
  for (const cidr of [ep.ipv4, ep.ipv6]) {
    if (!cidr || addrs.some((a) => a.dev === ifName && a.cidr === cidr)) continue;
    drifts.push({ kind: 'endpoint-address-missing', found: `address ${cidr} is missing from ${ifName}`, action: `add ${cidr} to ${ifName}`, repair: inSandbox([{ op: 'addr.add', dev: ifName, cidr }]) });
  }
  if (!view.isGateway) return drifts;
  const routes = await sandbox.routes();
  const missing = opts.gatewayOps(net, ifName).filter(
    (op) =>
      op.op === 'route.add' &&
      !routes.some(
        (r) =>
          (r.dst === op.dst || (r.dst === 'default' && op.dst === '::/0' && r.family === 6)) &&
          r.gateway === op.via &&
          (op.via !== undefined || r.dev === op.dev),
      ),
  );
  if (missing.length > 0) {
    const describe = (op: IpOp) => (op.op === 'route.add' ? `${op.dst} ${op.via ? `via ${op.via}` : `dev ${op.dev}`}` : '');
    drifts.push({
      kind: 'default-route-missing',
      // the IPv4 default route as CNI results write it
      found: missing.map((op) => `route ${describe(op).replace(/^default /, '0.0.0.0/0 ')} is missing`).join(', '),
      action: `add ${missing.map(describe).join(', ')}`,
      repair: inSandbox(missing),
    });
  }
  return drifts;
}
