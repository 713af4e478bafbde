/**
 * Six octets as colon-separated hex, either case: `02:42:ac:11:00:02`. No regex flags, so the
 * pattern means the same when copied into a JSON schema.
 */
export const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** The six octets of a MAC address, or undefined when `text` is not one. */
export function tryParseMac(text: string): Uint8Array | undefined {
  if (typeof text !== 'string' || !MAC_RE.test(text)) return undefined;
  return Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
}

/** Lowercase colon-separated hex of any number of octets (link-layer addresses are not all six). */
export function formatMac(bytes: ArrayLike<number>): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += (i > 0 ? ':' : '') + HEX[bytes[i]! & 0xff];
  return text;
}
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** The I/G bit: a group (multicast or broadcast) address, which no interface can be given. */
export const isMulticastMac = (bytes: ArrayLike<number>): boolean => ((bytes[0] ?? 0) & 1) === 1;
