export type IpFamily = 4 | 6;

/** An IP address as a number: the form all address arithmetic works on. */
export interface Address {
  family: IpFamily;
  /** the address as an unsigned integer of 32 or 128 bits */
  value: bigint;
}

export const familyBits = (family: IpFamily): number => (family === 4 ? 32 : 128);

// Hand-written rather than ip-num's IPv4/IPv6.fromString: this parser is on the IPAM allocator's
// hot path (every release, reserve and requested address), where ip-num measured 7x (IPv4) and
// 10x (IPv6) slower per parse and made the allocator 1.5-4x slower (BENCHMARKS.md, "IPAM
// allocator"); ip-num also accepts zone ids. The tests check this parser against ip-num.

// Strict dotted quad: no leading zeros (they mean octal to some parsers), as Go's netip.
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

function parseIPv4(text: string): bigint | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return BigInt(n);
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const part of text.split(':')) {
    if (!HEX_GROUP.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

/**
 * RFC 4291 text forms: eight groups, one `::`, and an optional dotted-quad tail. Zones
 * (`fe80::1%eth0`) are refused: they name an interface, not an address.
 */
function parseIPv6(text: string): bigint | undefined {
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0 || text.length > 45) return undefined;
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 === undefined) return undefined;
    const n = Number(v4);
    text = `${text.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(text);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  } else if (halves.length === 2) {
    const head = parseGroups(halves[0]!);
    const rest = parseGroups(halves[1]!);
    if (!head || !rest || head.length + rest.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    return undefined;
  }
  let value = 0n;
  for (let i = 0; i < 8; i += 2) value = (value << 32n) | BigInt(groups[i]! * 0x10000 + groups[i + 1]!);
  return value;
}

/**
 * Parses an IPv4 or IPv6 address: no prefix length, no zone, no surrounding whitespace, no
 * leading zeros in a dotted quad. Undefined when the text is not one.
 */
export function tryParseAddress(text: string): Address | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

/** True when `text` is an address (of `family`, when given). */
export function isAddress(text: string, family?: IpFamily): boolean {
  const addr = tryParseAddress(text);
  return addr !== undefined && (family === undefined || addr.family === family);
}

export const sameAddress = (a: Address, b: Address): boolean => a.family === b.family && a.value === b.value;
