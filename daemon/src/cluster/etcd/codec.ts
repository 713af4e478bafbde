/**
 * The JSON shapes of etcd's gRPC gateway (v3, etcd 3.4): keys and values are base64, 64-bit
 * integers are decimal strings, and fields with their zero value are left out.
 */

export const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
export const unb64 = (text: string | undefined) => (text ? Buffer.from(text, 'base64').toString('utf8') : '');

/** The range end that selects every key starting with `prefix` (etcd's "prefix end": last byte + 1). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i]! += 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

export interface RawKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  version?: string;
  lease?: string;
}

/** A key-value pair, decoded. */
export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** the lease id (decimal string), '0' when none */
  lease: string;
}

export const decodeKv = (kv: RawKv): KeyValue => ({
  key: unb64(kv.key),
  value: unb64(kv.value),
  createRevision: Number(kv.create_revision ?? 0),
  modRevision: Number(kv.mod_revision ?? 0),
  version: Number(kv.version ?? 0),
  lease: kv.lease ?? '0',
});

export interface RawHeader {
  revision?: string;
}

/** A watch event, decoded: a put carries the new pair, a delete the key (and its deletion revision). */
export interface WatchEvent {
  type: 'put' | 'delete';
  kv: KeyValue;
}

export const decodeEvent = (ev: { type?: string; kv?: RawKv }): WatchEvent => ({
  type: ev.type === 'DELETE' ? 'delete' : 'put',
  kv: decodeKv(ev.kv ?? {}),
});

/** A condition of a transaction. */
export type Compare =
  | { key: string; prefix?: boolean; target: 'create'; equals: 0 }
  | { key: string; prefix?: boolean; target: 'mod'; op: 'equal' | 'less' | 'greater'; revision: number }
  | { key: string; target: 'value'; equals: string };

/** An operation of a transaction. */
export type TxnOp =
  | { put: string; value: string; lease?: string }
  | { delete: string; prefix?: boolean }
  | { range: string; prefix?: boolean };

export function encodeCompare(c: Compare): Record<string, unknown> {
  const base: Record<string, unknown> = { key: b64(c.key) };
  if ('prefix' in c && c.prefix) base.range_end = prefixEnd(c.key);
  if (c.target === 'create') return { ...base, target: 'CREATE', result: 'EQUAL', create_revision: '0' };
  if (c.target === 'mod') return { ...base, target: 'MOD', result: c.op.toUpperCase(), mod_revision: String(c.revision) };
  return { ...base, target: 'VALUE', result: 'EQUAL', value: b64(c.equals) };
}

export function encodeOp(op: TxnOp): Record<string, unknown> {
  if ('put' in op) return { request_put: { key: b64(op.put), value: b64(op.value), ...(op.lease ? { lease: op.lease } : {}) } };
  if ('delete' in op) return { request_delete_range: { key: b64(op.delete), ...(op.prefix ? { range_end: prefixEnd(op.delete) } : {}) } };
  return { request_range: { key: b64(op.range), ...(op.prefix ? { range_end: prefixEnd(op.range) } : {}) } };
}
