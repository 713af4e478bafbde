import { familyBits, formatAddress, tryParseAddress, tryParseCidr, type Address, type Cidr } from '@patchbay/ip';

/** The fake kernel's reading of address text; the ops were validated before, so a throw is a bug. */

export function parseAddress(text: string): Address {
  const addr = tryParseAddress(text);
  if (!addr) throw new Error(`not an IP address: ${text}`);
  return addr;
}

/** 'A/P', or a bare address as a host prefix; the written address is kept (host bits and all). */
export function parsePrefix(text: string): Cidr {
  const cidr = tryParseCidr(text, { bareAddressIsHost: true });
  if (!cidr) throw new Error(`not an IP address with a prefix: ${text}`);
  return cidr;
}

/** As the kernel prints a route destination: 'default', a bare host address, or NET/P. */
export function formatRouteDst(p: Cidr): string {
  if (p.prefix === 0) return 'default';
  return p.prefix === familyBits(p.family) ? formatAddress(p.family, p.first) : p.text;
}
