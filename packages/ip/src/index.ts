/**
 * @patchbay/ip: IP addresses, CIDR blocks and MAC addresses as text and as numbers. No I/O, no
 * errors thrown: every parser returns undefined for text that is not what it parses, and each
 * caller words its own refusal.
 *
 * One grammar everywhere: dotted quads without leading zeros; RFC 4291 IPv6 with an optional
 * dotted-quad tail, no zone id; no whitespace; prefix lengths in decimal without leading zeros.
 * Canonical text is the dotted quad and RFC 5952 IPv6.
 *
 * ip-num is the reference the tests compare parsing, formatting and block arithmetic against;
 * the code itself is hand-written because ip-num measured several times slower on each of these
 * primitives, which the IPAM allocator runs per address (BENCHMARKS.md, "IPAM allocator").
 */
export { familyBits, isAddress, sameAddress, tryParseAddress, type Address, type IpFamily } from './address.js';
export { formatAddress, normalizeAddress, type FormatOptions } from './format.js';
export { addressFromBytes, addressToBytes } from './bytes.js';
export {
  cidrOf,
  cidrSize,
  contains,
  familyOf,
  formatInterfaceAddress,
  hasHostBits,
  isInside,
  normalizeCidr,
  overlaps,
  tryParseCidr,
  tryParsePrefixLength,
  type Cidr,
  type CidrOptions,
} from './cidr.js';
export { formatMac, isMulticastMac, MAC_RE, tryParseMac } from './mac.js';
