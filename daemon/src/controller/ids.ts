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
