import { invalid } from '@patchbay/errors';

/**
 * Address parsing for the renderer. Everything that reaches the nft document passes through here
 * (or IFNAME_RE), so a model can never inject nft syntax, and equal addresses always render equal.
 */
export interface ParsedIp {
  family: 4 | 6;
  /** canonical text: dotted quad, or RFC 5952 compressed lowercase IPv6 */
  address: string;
}

export interface ParsedCidr {
  family: 4 | 6;
  /** network address (host bits cleared) with prefix, e.g. 10.0.1.0/24 */
  cidr: string;
}

const V4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const V6_CHARS_RE = /^[0-9A-Fa-f:.]+$/;

export function parseIp(text: string): ParsedIp | undefined {
  if (V4_RE.test(text)) return { family: 4, address: text };
  if (!text.includes(':') || !V6_CHARS_RE.test(text)) return undefined;
  try {
    // The WHATWG URL parser implements the full IPv6 grammar and serialises per RFC 5952.
    const host = new URL(`http://[${text}]/`).hostname;
    return { family: 6, address: host.slice(1, -1) };
  } catch {
    return undefined;
  }
}

export function requireIp(text: string, what: string): ParsedIp {
  const parsed = parseIp(text);
  if (!parsed) throw invalid(`${what}: invalid IP address ${JSON.stringify(text)}`, 'PB_ERR_INVALID_ADDRESS');
  return parsed;
}

export function requireCidr(text: string, what: string): ParsedCidr {
  const slash = text.indexOf('/');
  const ip = slash > 0 ? parseIp(text.slice(0, slash)) : undefined;
  const prefixText = text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!ip || !(prefix >= 0 && prefix <= (ip.family === 4 ? 32 : 128))) {
    throw invalid(`${what}: invalid subnet ${JSON.stringify(text)}`, 'PB_ERR_INVALID_SUBNET');
  }
  const bits = ip.family === 4 ? 32 : 128;
  const value = ip.family === 4 ? v4ToBigInt(ip.address) : v6ToBigInt(ip.address);
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  const network = value & mask;
  const address = ip.family === 4 ? bigIntToV4(network) : bigIntToV6(network);
  return { family: ip.family, cidr: `${address}/${prefix}` };
}

function v4ToBigInt(address: string): bigint {
  return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function bigIntToV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

function v6ToBigInt(canonical: string): bigint {
  const [head, tail] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function bigIntToV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return parseIp(groups.join(':'))!.address;
}
