import { isIP } from 'node:net';

/** Just enough address arithmetic for the fake kernel's routing rules (no I/O, no deps). */

export interface Inet {
  family: 4 | 6;
  /** the address as an unsigned integer (32 or 128 bits) */
  value: bigint;
}

export interface Prefix extends Inet {
  prefix: number;
}

const bits = (family: 4 | 6): number => (family === 4 ? 32 : 128);

function parseV6(text: string): bigint {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseAddress(text.slice(lastColon + 1)).value;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const l = left ? left.split(':') : [];
  const r = right === undefined ? [] : right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

export function parseAddress(text: string): Inet {
  const family = isIP(text);
  if (family === 4) {
    return { family: 4, value: text.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  }
  if (family === 6) return { family: 6, value: parseV6(text) };
  throw new Error(`not an IP address: ${text}`);
}

/** 'A/P' (or a bare address: a host prefix) */
export function parsePrefix(text: string): Prefix {
  const [addr, p] = text.split('/');
  const inet = parseAddress(addr!);
  return { ...inet, prefix: p === undefined ? bits(inet.family) : Number(p) };
}

const mask = (family: 4 | 6, prefix: number): bigint => {
  const width = BigInt(bits(family));
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n);
};

export const network = (p: Prefix): Prefix => ({ ...p, value: p.value & mask(p.family, p.prefix) });

export const hasHostBits = (p: Prefix): boolean => (p.value & ~mask(p.family, p.prefix)) !== 0n;

export function contains(p: Prefix, a: Inet): boolean {
  return p.family === a.family && (a.value & mask(p.family, p.prefix)) === network(p).value;
}

export function formatAddress(a: Inet): string {
  if (a.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((a.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (length ≥ 2) of zero groups
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** As the kernel prints a route destination: 'default', a bare host address, or NET/P. */
export function formatRouteDst(p: Prefix): string {
  if (p.prefix === 0) return 'default';
  const net = formatAddress(network(p));
  return p.prefix === bits(p.family) ? net : `${net}/${p.prefix}`;
}

export const formatCidr = (p: Prefix): string => `${formatAddress(p)}/${p.prefix}`;

export const sameAddress = (a: Inet, b: Inet): boolean => a.family === b.family && a.value === b.value;
