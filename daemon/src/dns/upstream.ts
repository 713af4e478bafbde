/**
 * Forwarding to the host's resolvers, over the transport the client used: UDP through a small
 * pool of sockets per server (udp-pool.ts), TCP on a fresh connection per query. The reply comes
 * back unchanged with the client's id. A refused or silent upstream passes the query on to the
 * next one; when none answers within the budget the caller gets undefined and answers SERVFAIL.
 */
import { Socket as TcpSocket } from 'node:net';
import { createUdpPool, type UdpPool } from './udp-pool.js';
import { messageId, tcpFrame } from './wire.js';

export interface Upstream {
  address: string;
  port: number;
}

export interface ForwarderOptions {
  /** The current upstream servers (re-read on every query, so resolv.conf changes apply at once). */
  servers: () => readonly Upstream[];
  /** The whole budget of one query across all servers, in ms. */
  timeoutMs: number;
  /** Queries forwarded at once; more get undefined at once (SERVFAIL) instead of piling up sockets. */
  maxInFlight: number;
}

export interface Forwarder {
  forward(query: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined>;
  inFlight(): number;
  /** Abort everything in flight (their callers get undefined). */
  close(): void;
}

/** At least this long per server, however many servers share the budget. */
const MIN_ATTEMPT_MS = 250;

type Track = (close: () => void) => () => void;

const isReplyTo = (query: Buffer, reply: Buffer) => {
  const q = messageId(query);
  const r = messageId(reply);
  return q !== undefined && r !== undefined && r.response && r.id === q.id;
};

const tcpAttempt = (server: Upstream, query: Buffer, timeoutMs: number, track: Track): Promise<Buffer | undefined> =>
  new Promise((resolve) => {
    const socket = new TcpSocket();
    let buffered: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (reply: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      untrack();
      socket.destroy();
      resolve(reply);
    };
    const untrack = track(() => finish(undefined));
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      const reply = buffered.subarray(2, 2 + length);
      finish(isReplyTo(query, reply) ? Buffer.from(reply) : undefined);
    });
    socket.connect(server.port, server.address, () => socket.write(tcpFrame(query)));
  });

export function createForwarder({ servers, timeoutMs, maxInFlight }: ForwarderOptions): Forwarder {
  const open = new Set<() => void>();
  const pools = new Map<string, UdpPool>();
  let poolsFor = '';
  let inFlight = 0;
  let closed = false;
  const keyOf = (s: Upstream) => `${s.address}#${s.port}`;
  /** The pool of a server; pools of servers no longer listed are closed. */
  const poolOf = (server: Upstream, list: readonly Upstream[]): UdpPool => {
    const listed = list.map(keyOf).join(' ');
    if (listed !== poolsFor) {
      poolsFor = listed;
      for (const [key, pool] of pools) if (!list.some((s) => keyOf(s) === key)) (pool.close(), pools.delete(key));
    }
    let pool = pools.get(keyOf(server));
    if (!pool) pools.set(keyOf(server), (pool = createUdpPool(server.address, server.port)));
    return pool;
  };
  const track = (close: () => void) => {
    open.add(close);
    return () => void open.delete(close);
  };

  return {
    async forward(query, transport) {
      const list = servers();
      if (closed || list.length === 0 || inFlight >= maxInFlight) return undefined;
      inFlight++;
      try {
        const deadline = performance.now() + timeoutMs;
        const share = Math.max(MIN_ATTEMPT_MS, Math.floor(timeoutMs / list.length));
        for (const server of list) {
          const left = Math.min(share, deadline - performance.now());
          if (left <= 0 || closed) break;
          const reply = transport === 'udp' ? await poolOf(server, list).exchange(query, left) : await tcpAttempt(server, query, left, track);
          if (reply) return reply;
        }
        return undefined;
      } finally {
        inFlight--;
      }
    },
    inFlight: () => inFlight,
    close() {
      closed = true;
      for (const close of [...open]) close();
      for (const pool of pools.values()) pool.close();
      pools.clear();
    },
  };
}
