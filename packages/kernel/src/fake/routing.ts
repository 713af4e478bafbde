import type { IpOp, RouteInfo } from '../contract.js';
import { cidrOf, contains, familyBits, formatAddress, hasHostBits, type Cidr } from '@patchbay/ip';
import { formatRouteDst, parseAddress, parsePrefix } from './addresses.js';
import { FakeOpError, type FakeNs, type FakeRoute } from './types.js';

/**
 * The main routing table of one fake namespace, with the kernel's rules: a connected route per
 * address on an up link; a gateway must be on-link (covered by a connected or device route);
 * a device route needs an up device; one route per destination; routes die with their device.
 */

type RouteOp = Extract<IpOp, { op: 'route.add' | 'route.del' }>;

/** Connected (proto kernel) routes: derived, never stored. */
export function connectedRoutes(ns: FakeNs): FakeRoute[] {
  const out: FakeRoute[] = [];
  for (const link of ns.links.values()) {
    if (!link.up || link.kind === 'loopback') continue;
    for (const a of link.addrs) {
      if (a.prefix === familyBits(a.family)) continue;
      const dst = cidrOf(a.family, a.first, a.prefix);
      if (!out.some((r) => r.dev === link.name && sameDst(r.dst, dst))) out.push({ dst, dev: link.name });
    }
  }
  return out;
}

const sameDst = (a: Cidr, b: Cidr): boolean => a.family === b.family && a.prefix === b.prefix && a.first === b.first;

function parseDst(op: RouteOp): Cidr {
  if (op.dst === 'default') {
    const family = op.via === undefined ? 4 : parseAddress(op.via).family;
    return cidrOf(family, 0n, 0);
  }
  const dst = parsePrefix(op.dst);
  if (hasHostBits(dst)) throw new FakeOpError('Error: Invalid prefix for given prefix length.');
  return dst;
}

export function addRoute(ns: FakeNs, op: RouteOp): void {
  const dst = parseDst(op);
  const v4 = dst.family === 4;
  let dev = op.dev;
  if (dev !== undefined) {
    const link = ns.links.get(dev);
    if (!link) throw new FakeOpError(`Cannot find device "${dev}"`);
    if (!link.up) throw new FakeOpError(v4 ? 'Error: Device for nexthop is not up.' : 'Error: Nexthop device is not up.');
  }
  const via = op.via === undefined ? undefined : parseAddress(op.via);
  if (via !== undefined) {
    const onLink = [...connectedRoutes(ns), ...ns.routes.filter((r) => r.via === undefined)]
      .filter((r) => contains(r.dst, via) && (dev === undefined || r.dev === dev) && ns.links.get(r.dev)?.up)
      .sort((a, b) => b.dst.prefix - a.dst.prefix)[0];
    if (!onLink) throw new FakeOpError(v4 ? 'Error: Nexthop has invalid gateway.' : 'RTNETLINK answers: No route to host');
    dev = onLink.dev;
  }
  const taken = [...ns.routes, ...(v4 ? connectedRoutes(ns) : [])].some((r) => sameDst(r.dst, dst));
  if (taken) throw new FakeOpError('RTNETLINK answers: File exists');
  ns.routes.push({ dst, ...(via ? { via } : {}), dev: dev! });
}

export function deleteRoute(ns: FakeNs, op: RouteOp): void {
  const dst = parseDst(op);
  const via = op.via === undefined ? undefined : parseAddress(op.via);
  const at = ns.routes.findIndex(
    (r) =>
      sameDst(r.dst, dst) &&
      (via === undefined || (r.via !== undefined && r.via.value === via.value)) &&
      (op.dev === undefined || r.dev === op.dev),
  );
  if (at < 0) throw new FakeOpError('RTNETLINK answers: No such process');
  ns.routes.splice(at, 1);
}

/** A device went down or away: its routes go (IPv4 and IPv6 alike). */
export function dropRoutesOn(ns: FakeNs, dev: string): void {
  ns.routes = ns.routes.filter((r) => r.dev !== dev);
}

export function listRoutes(ns: FakeNs): RouteInfo[] {
  const toInfo = (r: FakeRoute): RouteInfo => {
    const info: RouteInfo = { dst: formatRouteDst(r.dst), family: r.dst.family, dev: r.dev };
    if (r.via !== undefined) info.gateway = formatAddress(r.via.family, r.via.value);
    if (r.via === undefined && r.dst.family === 4) info.scope = 'link';
    return info;
  };
  return [...connectedRoutes(ns), ...ns.routes].map(toInfo);
}
