import { PatchbayError } from '@patchbay/errors';
import type { IpFamily } from './contract.js';

/** An IP address as a number, the form all IPAM arithmetic works on. */
export interface Address {
  family: IpFamily;
  value: bigint;
}

export const familyBits = (family: IpFamily): number => (family === 4 ? 32 : 128);

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
 * (`fe80::1%eth0`) are refused: they name an interface, not an address in a pool.
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
    const head = parseGroups(halves[0]);
    const rest = parseGroups(halves[1]);
    if (!head || !rest || head.length + rest.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    return undefined;
  }
  let value = 0n;
  for (let i = 0; i < 8; i += 2) value = (value << 32n) | BigInt(groups[i] * 0x10000 + groups[i + 1]);
  return value;
}

/** Parses an IPv4 or IPv6 address (no prefix length, no zone); undefined when it is not one. */
export function tryParseAddress(text: string): Address | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };
  return undefined;
}

/** Parses an address of the given family, or throws PB_ERR_INVALID_ADDRESS naming `field`. */
export function parseAddressOf(text: string, family: IpFamily, field: string): bigint {
  const addr = tryParseAddress(text);
  if (!addr) throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `invalid ${field} "${text}": not an IP address`);
  if (addr.family !== family) {
    throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `invalid ${field} "${text}": not an IPv${family} address`);
  }
  return addr.value;
}

function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 96n; shift >= 0n; shift -= 32n) {
    const word = Number(BigInt.asUintN(32, value >> shift));
    groups.push(word >>> 16, word & 0xffff);
  }
  // RFC 5952: compress the longest run (the first on a tie) of two or more zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6. */
export function formatAddress(family: IpFamily, value: bigint): string {
  if (family === 6) return formatIPv6(value);
  const n = Number(value);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The canonical form of an address string, or PB_ERR_INVALID_ADDRESS. */
export function normalizeAddress(text: string): string {
  const addr = tryParseAddress(text);
  if (!addr) throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `invalid address "${text}": not an IP address`);
  return formatAddress(addr.family, addr.value);
}
