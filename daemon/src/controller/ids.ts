import { randomBytes, randomFillSync } from 'node:crypto';

const ID_BYTES = 32;
/** Random bytes for 64 ids, filled at once (as node's randomUUID does): one generator call, not one per id. */
const pool = Buffer.alloc(ID_BYTES * 64);
let used = pool.length;

/** 64 hex characters, like Docker's ids. */
export function newId(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += ID_BYTES;
  return pool.toString('hex', used - ID_BYTES, used);
}

/** Now as RFC 3339 with nanoseconds, as Docker writes Created: the wall clock's milliseconds, then the monotonic clock's sub-millisecond digits. */
export const nowRfc3339Nano = () => {
  const iso = new Date().toISOString(); // always YYYY-MM-DDTHH:MM:SS.mmmZ
  const subMs = process.hrtime()[1] % 1_000_000;
  return `${iso.slice(0, 23)}${String(subMs).padStart(6, '0')}Z`;
};

/** A MAC for an endpoint: 02:42 followed by the IPv4 address bytes (libnetwork 20.10), else random. */
export function macFor(ipv4Cidr: string | undefined): string {
  const bytes = ipv4Cidr
    ? [0x02, 0x42, ...ipv4Cidr.split('/')[0]!.split('.').map(Number)]
    : [0x02, ...randomBytes(5)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
