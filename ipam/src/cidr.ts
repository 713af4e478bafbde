import { PatchbayError } from '@patchbay/errors';
import { familyBits, formatAddress, tryParseAddress } from './address.js';
import type { IpFamily } from './contract.js';

/** A CIDR block as numbers: `first` is the network address, `last` the highest address. */
export interface Cidr {
  family: IpFamily;
  prefix: number;
  first: bigint;
  last: bigint;
  /** Canonical text, host bits zero: `10.1.0.0/16`. */
  text: string;
}

const PREFIX_LENGTH = /^(0|[1-9]\d{0,2})$/;

/** Builds a block from any address inside it (host bits are dropped). */
export function cidrOf(family: IpFamily, address: bigint, prefix: number): Cidr {
  const hostBits = BigInt(familyBits(family) - prefix);
  const first = (address >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  return { family, prefix, first, last, text: `${formatAddress(family, first)}/${prefix}` };
}

/** Parses a CIDR; undefined when the text is not one. Host bits are accepted and dropped. */
export function tryParseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = tryParseAddress(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!addr || !PREFIX_LENGTH.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > familyBits(addr.family)) return undefined;
  return cidrOf(addr.family, addr.value, prefix);
}

/**
 * Parses a CIDR or throws PB_ERR_INVALID_SUBNET with a message naming `field`.
 * Like older dockerd, `10.1.2.3/24` is accepted as `10.1.2.0/24` (moby ≥ 25 refuses it instead).
 */
export function parseCidr(text: string, field = 'subnet'): Cidr {
  const cidr = tryParseCidr(text);
  if (cidr) return cidr;
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  const addr = slash < 0 ? undefined : tryParseAddress(text.slice(0, slash));
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  const reason =
    addr && PREFIX_LENGTH.test(prefixText)
      ? `prefix length /${prefixText} is out of range for IPv${addr.family}`
      : 'not a CIDR block';
  throw new PatchbayError('PB_ERR_INVALID_SUBNET', `invalid ${field} "${text}": ${reason}`);
}

/** The canonical network CIDR of `text` (`10.1.2.3/24` → `10.1.2.0/24`), or PB_ERR_INVALID_SUBNET. */
export const normalizeSubnet = (text: string): string => parseCidr(text).text;

const asCidr = (c: string | Cidr): Cidr => (typeof c === 'string' ? parseCidr(c) : c);

/** True when the two blocks share an address; blocks of different families never do. */
export function overlaps(a: string | Cidr, b: string | Cidr): boolean {
  const x = asCidr(a);
  const y = asCidr(b);
  return x.family === y.family && x.first <= y.last && y.first <= x.last;
}

/** True when `ip` lies inside `cidr`; an address of the other family never does. */
export function contains(cidr: string | Cidr, ip: string): boolean {
  const block = asCidr(cidr);
  const addr = tryParseAddress(ip);
  if (!addr) throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `invalid address "${ip}": not an IP address`);
  return addr.family === block.family && block.first <= addr.value && addr.value <= block.last;
}

/** True when block `inner` lies wholly inside `outer`. */
export const isInside = (inner: Cidr, outer: Cidr): boolean =>
  inner.family === outer.family && outer.first <= inner.first && inner.last <= outer.last;

export const cidrSize = (c: Cidr): bigint => c.last - c.first + 1n;

/**
 * Addresses of a subnet that no endpoint may hold: the network address (IPv6: subnet-router
 * anycast) and, for IPv4, the broadcast address. Point-to-point blocks (/31, /127) have
 * neither and use both addresses (RFC 3021, RFC 6164).
 */
export function protocolReserved(subnet: Cidr): { value: bigint; role: 'network' | 'broadcast' }[] {
  const bits = familyBits(subnet.family);
  if (subnet.prefix >= bits - 1) return [];
  const reserved: { value: bigint; role: 'network' | 'broadcast' }[] = [{ value: subnet.first, role: 'network' }];
  if (subnet.family === 4) reserved.push({ value: subnet.last, role: 'broadcast' });
  return reserved;
}

/** The family of an address or CIDR text, or undefined when it is neither. */
export function familyOf(text: string): IpFamily | undefined {
  return (text.includes('/') ? tryParseCidr(text) : tryParseAddress(text))?.family;
}
