import { randomBytes } from 'node:crypto';
import { ifNameFor } from '@patchbay/drivers';
import type { EndpointRecord, NetworkRecord } from '../store/index.js';

/** 64 hex characters, like Docker's ids. */
export const newId = () => randomBytes(32).toString('hex');

export const nowRfc3339Nano = () => {
  const d = new Date();
  const ns = process.hrtime.bigint() % 1_000_000n;
  return d.toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${ns.toString().padStart(6, '0')}Z`);
};

/** A MAC for an endpoint: 02:42 followed by the IPv4 address bytes (libnetwork 20.10), else random. */
export function macFor(ipv4Cidr: string | undefined): string {
  const bytes = ipv4Cidr
    ? [0x02, 0x42, ...ipv4Cidr.split('/')[0]!.split('.').map(Number)]
    : [0x02, ...randomBytes(5)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The endpoint's interface name inside its sandbox: the caller's choice, else eth<N> (or the network's prefix). */
export const sandboxIfName = (net: Pick<NetworkRecord, 'options'>, ep: Pick<EndpointRecord, 'ifName' | 'ifIndex'>) =>
  ep.ifName ?? ifNameFor(net, ep.ifIndex ?? 0);
