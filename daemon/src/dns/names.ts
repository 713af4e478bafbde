import { isIPv4, isIPv6 } from 'node:net';
import { IPv6 } from 'ip-num';

/**
 * The search domain patchbay's DNS answers for: every name on a network resolves both bare
 * (`web`) and qualified (`web.patchbay.internal`). `.internal` is the TLD ICANN reserved for
 * private use (2024), so it can never collide with a public name and is never forwarded.
 */
export const SEARCH_DOMAIN = 'patchbay.internal';

/** A query name as the index keys it: lower case, no trailing dot. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** `web.patchbay.internal` → `web`; names outside the search domain are returned unchanged. */
export function stripSearchDomain(name: string): string {
  const suffix = `.${SEARCH_DOMAIN}`;
  return name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
}

/** Whether a (canonical) name lies in patchbay's own zone, i.e. is never forwarded. */
export function inOwnZone(name: string): boolean {
  return name === SEARCH_DOMAIN || name.endsWith(`.${SEARCH_DOMAIN}`);
}

/** A single-label name (`db`): nothing upstream can know it for this network. */
export function isSingleLabel(name: string): boolean {
  return name.length > 0 && !name.includes('.');
}

/** The first 12 hex digits of a container id (Docker's short id), or undefined if it is not hex. */
export function shortContainerId(containerId: string): string | undefined {
  const id = containerId.toLowerCase();
  return /^[0-9a-f]{12,}$/.test(id) ? id.slice(0, 12) : undefined;
}

/** One canonical spelling per address, so `fd00::5` and `fd00:0:0::5` are one key. */
export function canonicalAddress(address: string): string | undefined {
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return undefined;
  try {
    return ipv6Nibbles(address).join('');
  } catch {
    return undefined;
  }
}

function ipv6Nibbles(address: string): string[] {
  return new IPv6(address).getValue().toString(16).padStart(32, '0').split('');
}

/** The reverse-lookup name of an address: `10.0.0.5` → `5.0.0.10.in-addr.arpa`. */
export function reverseName(address: string): string | undefined {
  if (isIPv4(address)) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  if (!isIPv6(address)) return undefined;
  return `${ipv6Nibbles(address).reverse().join('.')}.ip6.arpa`;
}

/**
 * The address a PTR question asks about (IPv6 written out in full), or undefined when the name is
 * not a complete reverse name (partial names such as `0.10.in-addr.arpa` are zones, not hosts).
 */
export function addressOfReverseName(name: string): string | undefined {
  const v4 = /^((?:\d{1,3}\.){3}\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (v4) {
    const address = v4[1]!.split('.').reverse().join('.');
    return isIPv4(address) ? address : undefined;
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(name);
  if (v6) {
    const nibbles = v6[1]!.split('.').slice(0, 32).reverse().join('');
    return nibbles.match(/.{4}/g)!.join(':');
  }
  return undefined;
}
