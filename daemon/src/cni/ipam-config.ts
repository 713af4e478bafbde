import { CniIpam } from '@patchbay/api';
import { cidrOf, familyBits, formatAddress, tryParseAddress, tryParseCidr, type Cidr } from '@patchbay/ip';
import { protocolReserved } from '@patchbay/ipam';
import type { PoolRequest } from '../controller/ipam-service.js';
import { cniError } from './errors.js';

/** Name prefix of the aux addresses that keep the part of a range's block outside the range free. */
export const OUTSIDE_RANGE = 'cni-outside-range-';
/** More addresses than this outside the range (but inside its block) are not reserved one by one. */
const MAX_EXCLUDED = 16;

/** The config's `ipam` section checked: unknown fields are CNI error 2, bad values 7. */
export function parseCniIpam(raw: Record<string, unknown> | undefined): CniIpam | undefined {
  if (raw === undefined) return undefined;
  const r = CniIpam.safeParse(raw);
  if (r.success) return r.data;
  const unknown = r.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []));
  if (unknown.length > 0) {
    throw cniError('PB_ERR_CNI_UNSUPPORTED_FIELD', `unsupported field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `ipam.${k}`).join(', ')}: patchbay's ipam takes subnet, rangeStart, rangeEnd, gateway and routes`);
  }
  throw cniError('PB_ERR_CNI_INVALID_CONFIG', r.error.issues.map((i) => `${['ipam', ...i.path].join('.')}: ${i.message}`).join('; '));
}

function addressIn(subnet: Cidr, text: string, field: string): bigint {
  const a = tryParseAddress(text);
  if (!a || a.family !== subnet.family || a.value < subnet.first || a.value > subnet.last) {
    throw cniError('PB_ERR_CNI_INVALID_CONFIG', `ipam.${field} ${text} is not an address of subnet ${subnet.text}`);
  }
  return a.value;
}

/**
 * host-local's pool (subnet, rangeStart, rangeEnd, gateway) as a patchbay pool. patchbay's dynamic
 * range is a CIDR block: the smallest block inside the subnet that holds the range, with the few
 * addresses of that block outside the range reserved as aux addresses. The gateway defaults to
 * the subnet's first usable address, as host-local's does.
 */
export function poolRequestOf(ipam: CniIpam): PoolRequest {
  const subnet = tryParseCidr(ipam.subnet)!;
  const reserved = new Set(protocolReserved(subnet).map((r) => r.value));
  const usableFirst = reserved.has(subnet.first) ? subnet.first + 1n : subnet.first;
  const usableLast = reserved.has(subnet.last) ? subnet.last - 1n : subnet.last;
  const gateway = ipam.gateway === undefined ? usableFirst : addressIn(subnet, ipam.gateway, 'gateway');
  const start = ipam.rangeStart === undefined ? usableFirst : addressIn(subnet, ipam.rangeStart, 'rangeStart');
  const end = ipam.rangeEnd === undefined ? usableLast : addressIn(subnet, ipam.rangeEnd, 'rangeEnd');
  if (start > end) throw cniError('PB_ERR_CNI_INVALID_CONFIG', `ipam.rangeStart ${ipam.rangeStart} is after ipam.rangeEnd ${ipam.rangeEnd}`);
  for (const route of ipam.routes ?? []) {
    const dst = tryParseCidr(route.dst);
    const via = route.gw === undefined ? gateway : tryParseAddress(route.gw)?.value;
    if (!dst || dst.prefix !== 0 || dst.family !== subnet.family || via !== gateway) {
      throw cniError('PB_ERR_CNI_UNSUPPORTED_FIELD', `unsupported route ${route.dst}${route.gw ? ` via ${route.gw}` : ''} in ipam.routes: patchbay installs the default route through the network's gateway only`);
    }
  }
  let block = subnet;
  for (let prefix = subnet.prefix + 1; prefix <= familyBits(subnet.family); prefix++) {
    const candidate = cidrOf(subnet.family, start, prefix);
    if (candidate.last < end) break;
    block = candidate;
  }
  const excluded: bigint[] = [];
  for (const [from, to] of [[block.first, start - 1n], [end + 1n, block.last]] as const) {
    if (to - from + 1n > BigInt(MAX_EXCLUDED)) {
      throw cniError(
        'PB_ERR_CNI_UNSUPPORTED_FIELD',
        `unsupported range ${ipam.rangeStart ?? formatAddress(subnet.family, start)}-${ipam.rangeEnd ?? formatAddress(subnet.family, end)}: patchbay needs a range that is a CIDR block inside ${subnet.text} (give or take ${MAX_EXCLUDED} addresses at either end)`,
      );
    }
    for (let v = from; v <= to; v++) if (!reserved.has(v) && v !== gateway) excluded.push(v);
  }
  return {
    subnet: subnet.text,
    gateway: formatAddress(subnet.family, gateway),
    ...(block.prefix !== subnet.prefix ? { ipRange: block.text } : {}),
    ...(excluded.length > 0 ? { auxAddresses: Object.fromEntries(excluded.map((v, i) => [`${OUTSIDE_RANGE}${i}`, formatAddress(subnet.family, v)])) } : {}),
  };
}
