import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PatchbayError } from '@patchbay/errors';
import { b64, decodeKv, encodeCompare, encodeOp, prefixEnd, type Compare, type KeyValue, type RawHeader, type RawKv, type TxnOp } from './codec.js';

export interface EtcdTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface EtcdClientOptions {
  /** `host:port` of each member */
  endpoints: readonly string[];
  tls?: EtcdTls;
  /** per request; a member that does not answer in time counts as down (default 5000; a stopped member refuses at once) */
  timeoutMs?: number;
}

/** etcd answered with an error (gRPC status `grpcCode`), e.g. 5 for a lease that does not exist. */
export class EtcdError extends Error {
  constructor(
    message: string,
    readonly grpcCode: number,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

/** gRPC codes that mean "this member cannot serve now": unavailable, deadline exceeded, and etcd's leader troubles. */
const RETRY_ELSEWHERE = new Set([4, 14]);

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  /** per operation of the branch taken: the pairs of its ranges ([] for puts and deletes) */
  ranges: KeyValue[][];
}

/**
 * A small client of etcd's JSON gateway (`/v3/kv`, `/v3/lease`, `/v3/watch`) over node:http(s):
 * no dependency. Requests go to the member that answered last and move on to the next when one
 * refuses, times out or has no leader; when no member answers, the call fails at once with
 * PB_ERR_CLUSTER_UNAVAILABLE (503), so nothing waits on a cluster that is down.
 */
export function createEtcdClient(opts: EtcdClientOptions) {
  if (opts.endpoints.length === 0) throw new PatchbayError('PB_ERR_INVALID', 'the cluster store needs at least one endpoint');
  const secure = opts.tls !== undefined;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const agent = secure ? new HttpsAgent({ keepAlive: true, ...opts.tls }) : new HttpAgent({ keepAlive: true });
  let current = 0;
  let closed = false;

  /** Opens one request to one member; the response is handed over unread. */
  function open(endpoint: string, path: string, body: unknown, timeout: number | undefined): Promise<IncomingMessage> {
    const [host, port] = splitHostPort(endpoint);
    const payload = JSON.stringify(body);
    const doRequest = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = doRequest(
        { host, port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        resolve,
      );
      if (timeout !== undefined) req.setTimeout(timeout, () => req.destroy(new Error(`etcd ${endpoint} did not answer within ${timeout} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  const readAll = (res: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });

  /** One call, tried on each member in turn starting with the last good one. */
  async function call<T>(path: string, body: unknown): Promise<T> {
    if (closed) throw new PatchbayError('PB_ERR_CLUSTER_UNAVAILABLE', 'the cluster store client is closed');
    const errors: string[] = [];
    for (let tried = 0; tried < opts.endpoints.length; tried++) {
      const index = (current + tried) % opts.endpoints.length;
      const endpoint = opts.endpoints[index]!;
      try {
        const res = await open(endpoint, path, body, timeoutMs);
        const text = await readAll(res);
        const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        if (res.statusCode === 200) {
          current = index;
          return parsed as T;
        }
        const code = typeof parsed.code === 'number' ? parsed.code : -1;
        const message = String(parsed.message ?? parsed.error ?? `HTTP ${res.statusCode}`);
        if (!RETRY_ELSEWHERE.has(code) && res.statusCode !== 503) throw new EtcdError(message, code);
        errors.push(`${endpoint}: ${message}`);
      } catch (err) {
        if (err instanceof EtcdError) throw err;
        errors.push(`${endpoint}: ${(err as Error).message}`);
      }
    }
    throw new PatchbayError('PB_ERR_CLUSTER_UNAVAILABLE', `the cluster store (etcd) is unavailable: ${errors.join('; ')}`);
  }

  const rangeBody = (key: string, prefix: boolean, extra: Record<string, unknown> = {}) => ({
    key: b64(key),
    ...(prefix ? { range_end: prefixEnd(key) } : {}),
    ...extra,
  });

  return {
    endpoints: opts.endpoints,
    /** the pairs of `key` (or of every key under it), and the store's revision they were read at */
    async range(key: string, o: { prefix?: boolean; revision?: number } = {}): Promise<{ kvs: KeyValue[]; revision: number }> {
      const r = await call<{ header?: RawHeader; kvs?: RawKv[] }>('/v3/kv/range', rangeBody(key, o.prefix === true, o.revision ? { revision: String(o.revision) } : {}));
      return { kvs: (r.kvs ?? []).map(decodeKv), revision: Number(r.header?.revision ?? 0) };
    },
    async get(key: string): Promise<KeyValue | undefined> {
      return (await this.range(key)).kvs[0];
    },
    async put(key: string, value: string, o: { lease?: string } = {}): Promise<number> {
      const r = await call<{ header?: RawHeader }>('/v3/kv/put', { key: b64(key), value: b64(value), ...(o.lease ? { lease: o.lease } : {}) });
      return Number(r.header?.revision ?? 0);
    },
    async delete(key: string, o: { prefix?: boolean } = {}): Promise<number> {
      const r = await call<{ deleted?: string }>('/v3/kv/deleterange', rangeBody(key, o.prefix === true));
      return Number(r.deleted ?? 0);
    },
    /** If every compare holds, run `success`, else `failure`; all in one atomic step. */
    async txn(compare: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[] = []): Promise<TxnResult> {
      const r = await call<{ header?: RawHeader; succeeded?: boolean; responses?: { response_range?: { kvs?: RawKv[] } }[] }>('/v3/kv/txn', {
        compare: compare.map(encodeCompare),
        success: success.map(encodeOp),
        failure: failure.map(encodeOp),
      });
      return {
        succeeded: r.succeeded === true,
        revision: Number(r.header?.revision ?? 0),
        ranges: (r.responses ?? []).map((x) => (x.response_range?.kvs ?? []).map(decodeKv)),
      };
    },
    async leaseGrant(ttlSeconds: number): Promise<{ id: string; ttl: number }> {
      const r = await call<{ ID?: string; TTL?: string }>('/v3/lease/grant', { TTL: ttlSeconds });
      return { id: String(r.ID), ttl: Number(r.TTL ?? 0) };
    },
    /** Renews the lease once; returns its remaining TTL, 0 when the lease no longer exists. */
    async leaseKeepAlive(id: string): Promise<number> {
      const r = await call<{ result?: { TTL?: string } }>('/v3/lease/keepalive', { ID: id });
      return Number(r.result?.TTL ?? 0);
    },
    /** Ends the lease and deletes its keys; a lease already gone is success. */
    async leaseRevoke(id: string): Promise<void> {
      try {
        await call('/v3/lease/revoke', { ID: id });
      } catch (err) {
        if (!(err instanceof EtcdError && err.grpcCode === 5)) throw err;
      }
    },
    /** A streaming request to one member (the watch uses it); no timeout. */
    openStream: (endpoint: string, path: string, body: unknown) => open(endpoint, path, body, undefined),
    close() {
      closed = true;
      agent.destroy();
    },
    get closed() {
      return closed;
    },
  };
}
export type EtcdClient = ReturnType<typeof createEtcdClient>;

/** `host:port` or `[v6]:port` → [host, port]. */
export function splitHostPort(endpoint: string): [string, number] {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(endpoint);
  if (!m) throw new PatchbayError('PB_ERR_INVALID', `invalid cluster store endpoint "${endpoint}": want HOST:PORT`);
  return [(m[1] ?? m[2])!, Number(m[3])];
}
