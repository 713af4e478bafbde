import { tryParseAddress, type IpFamily } from './address.js';

export interface FormatOptions {
  /**
   * Print `::ffff:a.b.c.d` and `::a.b.c.d` with a dotted-quad tail, as glibc's inet_ntop (and
   * so iproute2) does. Off: plain RFC 5952 hex groups, the canonical form patchbay stores.
   */
  dottedTail?: boolean;
}

const dotted = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

// Hand-written rather than ip-num's toString() (+ collapseIPv6Number, which keeps upper case):
// allocate() formats every address it hands out, and ip-num measured 18x (IPv4) and 9x (IPv6)
// slower per address (BENCHMARKS.md, "IPAM allocator").
function formatIPv6(value: bigint, dottedTail: boolean): string {
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
  if (dottedTail && bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    return `::${bestLength === 5 ? 'ffff:' : ''}${dotted(Number(BigInt.asUintN(32, value)))}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as `::`). */
export function formatAddress(family: IpFamily, value: bigint, options?: FormatOptions): string {
  return family === 6 ? formatIPv6(value, options?.dottedTail === true) : dotted(Number(value));
}

/** The canonical text of an address, or undefined when `text` is not one. */
export function normalizeAddress(text: string): string | undefined {
  const addr = tryParseAddress(text);
  return addr && formatAddress(addr.family, addr.value);
}
