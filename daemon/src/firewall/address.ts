import { invalid } from '@patchbay/errors';
import { formatAddress, tryParseAddress, tryParseCidr, type IpFamily } from '@patchbay/ip';

/**
 * Address parsing for the renderer. Everything that reaches the nft document passes through here
 * (or IFNAME_RE), so a model can never inject nft syntax, and equal addresses always render equal.
 */
export interface ParsedIp {
  family: IpFamily;
  /** canonical text: dotted quad, or RFC 5952 compressed lowercase IPv6 */
  address: string;
}

export interface ParsedCidr {
  family: IpFamily;
  /** network address (host bits cleared) with prefix, e.g. 10.0.1.0/24 */
  cidr: string;
}

export function requireIp(text: string, what: string): ParsedIp {
  const addr = tryParseAddress(text);
  if (!addr) throw invalid(`${what}: invalid IP address ${JSON.stringify(text)}`, 'PB_ERR_INVALID_ADDRESS');
  return { family: addr.family, address: formatAddress(addr.family, addr.value) };
}

export function requireCidr(text: string, what: string): ParsedCidr {
  const block = tryParseCidr(text);
  if (!block) throw invalid(`${what}: invalid subnet ${JSON.stringify(text)}`, 'PB_ERR_INVALID_SUBNET');
  return { family: block.family, cidr: block.text };
}
