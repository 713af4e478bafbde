import type { Address } from './address.js';

/** The address in network byte order: 4 bytes for IPv4, 16 for IPv6. */
export function addressToBytes(addr: Address): Uint8Array {
  const bytes = new Uint8Array(addr.family === 4 ? 4 : 16);
  const view = new DataView(bytes.buffer);
  if (addr.family === 4) {
    view.setUint32(0, Number(addr.value));
  } else {
    view.setBigUint64(0, addr.value >> 64n);
    view.setBigUint64(8, BigInt.asUintN(64, addr.value));
  }
  return bytes;
}

/** An address from network byte order; undefined unless there are 4 or 16 bytes. */
export function addressFromBytes(bytes: Uint8Array): Address | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length === 4) return { family: 4, value: BigInt(view.getUint32(0)) };
  if (bytes.length === 16) return { family: 6, value: (view.getBigUint64(0) << 64n) | view.getBigUint64(8) };
  return undefined;
}
