import { PatchbayError } from '@patchbay/errors';
import * as ip from '@patchbay/ip';
import type { Cidr } from '@patchbay/ip';

/**
 * Parses a CIDR or throws PB_ERR_INVALID_SUBNET with a message naming `field`.
 * Like older dockerd, `10.1.2.3/24` is accepted as `10.1.2.0/24` (moby ≥ 25 refuses it instead).
 */
export function parseCidr(text: string, field = 'subnet'): Cidr {
  const cidr = ip.tryParseCidr(text);
  if (cidr) return cidr;
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  const addr = slash < 0 ? undefined : ip.tryParseAddress(text.slice(0, slash));
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  const reason =
    addr && ip.tryParsePrefixLength(prefixText) !== undefined
      ? `prefix length /${prefixText} is out of range for IPv${addr.family}`
      : 'not a CIDR block';
  throw new PatchbayError('PB_ERR_INVALID_SUBNET', `invalid ${field} "${text}": ${reason}`);
}

/** The canonical network CIDR of `text` (`10.1.2.3/24` → `10.1.2.0/24`), or PB_ERR_INVALID_SUBNET. */
export const normalizeSubnet = (text: string): string => parseCidr(text).text;

/**
 * Blocks parsed by text, for the overlap and membership checks below: a network create checks
 * its subnet against every pool held, so each held pool's text is parsed once, not once per create.
 */
const parsed = new Map<string, Cidr>();
const PARSED_KEPT = 4096;

function asCidr(c: string | Cidr): Cidr {
  if (typeof c !== 'string') return c;
  let block = parsed.get(c);
  if (!block) {
    block = parseCidr(c);
    if (parsed.size >= PARSED_KEPT) parsed.clear();
    parsed.set(c, block);
  }
  return block;
}

/** True when the two blocks share an address; blocks of different families never do. */
export const overlaps = (a: string | Cidr, b: string | Cidr): boolean => ip.overlaps(asCidr(a), asCidr(b));

/** True when `address` lies inside `cidr`; an address of the other family never does. */
export function contains(cidr: string | Cidr, address: string): boolean {
  const block = asCidr(cidr);
  const addr = ip.tryParseAddress(address);
  if (!addr) throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `invalid address "${address}": not an IP address`);
  return ip.contains(block, addr);
}

/**
 * Addresses of a subnet that no endpoint may hold: the network address (IPv6: subnet-router
 * anycast) and, for IPv4, the broadcast address. Point-to-point blocks (/31, /127) have
 * neither and use both addresses (RFC 3021, RFC 6164).
 */
export function protocolReserved(subnet: Cidr): { value: bigint; role: 'network' | 'broadcast' }[] {
  const bits = ip.familyBits(subnet.family);
  if (subnet.prefix >= bits - 1) return [];
  const reserved: { value: bigint; role: 'network' | 'broadcast' }[] = [{ value: subnet.first, role: 'network' }];
  if (subnet.family === 4) reserved.push({ value: subnet.last, role: 'broadcast' });
  return reserved;
}
