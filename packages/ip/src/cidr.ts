import { familyBits, tryParseAddress, type Address, type IpFamily } from './address.js';
import { formatAddress } from './format.js';

/**
 * A CIDR block as numbers. `value` is the address as written (an interface address such as
 * `10.0.0.5/24` keeps its host bits); `first` is the network address, `last` the highest one.
 */
export interface Cidr extends Address {
  prefix: number;
  first: bigint;
  last: bigint;
  /** Canonical network text, host bits zero: `10.1.0.0/16`. */
  text: string;
}

// Hand-written rather than ip-num's IPv4CidrRange/IPv6CidrRange: building one of those measured
// about 50x slower than these shifts (10 µs against 0.16 µs for an IPv4 /24), and the pool
// chooser, the firewall renderer and the fake kernel build blocks in loops.

/** A prefix length's syntax: decimal, no sign, no leading zero. Range is the caller's (familyBits). */
export function tryParsePrefixLength(text: string): number | undefined {
  return /^(0|[1-9]\d{0,2})$/.test(text) ? Number(text) : undefined;
}

/** The block of `prefix` bits around `value` (which is kept as the block's written address). */
export function cidrOf(family: IpFamily, value: bigint, prefix: number): Cidr {
  const hostBits = BigInt(familyBits(family) - prefix);
  const first = (value >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  return { family, value, prefix, first, last, text: `${formatAddress(family, first)}/${prefix}` };
}

export interface CidrOptions {
  /** Accept a bare address as a host block (/32 or /128), as `ip route` does. */
  bareAddressIsHost?: boolean;
}

/** Parses ADDRESS/PREFIX (the address as in tryParseAddress); undefined when the text is not one. */
export function tryParseCidr(text: string, options: CidrOptions = {}): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  const addr = tryParseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  const bits = familyBits(addr.family);
  if (slash < 0) return options.bareAddressIsHost ? cidrOf(addr.family, addr.value, bits) : undefined;
  const prefix = tryParsePrefixLength(text.slice(slash + 1));
  if (prefix === undefined || prefix > bits) return undefined;
  return cidrOf(addr.family, addr.value, prefix);
}

/** The canonical network text of a CIDR (`10.1.2.3/24` → `10.1.2.0/24`), or undefined. */
export const normalizeCidr = (text: string): string | undefined => tryParseCidr(text)?.text;

/** The written address with its prefix length: `10.0.0.5/24`, `fd00::5/64`. */
export const formatInterfaceAddress = (c: Cidr): string => `${formatAddress(c.family, c.value)}/${c.prefix}`;

/** True when `addr` lies inside the block; an address of the other family never does. */
export const contains = (c: Cidr, addr: Address): boolean => addr.family === c.family && c.first <= addr.value && addr.value <= c.last;

/** True when block `inner` lies wholly inside `outer`. */
export const isInside = (inner: Cidr, outer: Cidr): boolean =>
  inner.family === outer.family && outer.first <= inner.first && inner.last <= outer.last;

/** True when the two blocks share an address; blocks of different families never do. */
export const overlaps = (a: Cidr, b: Cidr): boolean => a.family === b.family && a.first <= b.last && b.first <= a.last;

export const cidrSize = (c: Cidr): bigint => c.last - c.first + 1n;

/** True when the written address is not the network address (`10.0.0.5/24`). */
export const hasHostBits = (c: Cidr): boolean => c.value !== c.first;

/** The family of an address or CIDR text, or undefined when it is neither. */
export function familyOf(text: string): IpFamily | undefined {
  return (typeof text === 'string' && text.includes('/') ? tryParseCidr(text) : tryParseAddress(text))?.family;
}
