/**
 * Forwarding to the host's resolvers: the client's query bytes go out unchanged (same id) on a
 * fresh socket per query (a random source port, and no id space shared between clients), over
 * the transport the client used, and the first upstream's reply comes back unchanged. A refused
 * or silent upstream passes the query on to the next one; when none answers within the budget
 * the caller gets undefined and answers SERVFAIL.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6, Socket as TcpSocket } from 'node:net';
import { messageId } from './wire.js';

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

type Attempt = (server: Upstream, query: Buffer, timeoutMs: number, track: (close: () => void) => () => void) => Promise<Buffer | undefined>;

const isReplyTo = (query: Buffer, reply: Buffer) => {
  const q = messageId(query);
  const r = messageId(reply);
  return q !== undefined && r !== undefined && r.response && r.id === q.id;
};

const udpAttempt: Attempt = (server, query, timeoutMs, track) =>
  new Promise((resolve) => {
    const socket: UdpSocket = createSocket(isIPv6(server.address) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (reply: Buffer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      untrack();
      socket.close();
      resolve(reply);
    };
    const untrack = track(() => finish(undefined));
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    // connected: only the server's datagrams arrive, and an ICMP "port unreachable" fails at once
    socket.on('error', () => finish(undefined));
    socket.on('message', (msg) => {
      if (isReplyTo(query, msg)) finish(msg);
    });
    socket.connect(server.port, server.address, () => socket.send(query, (err) => err && finish(undefined)));
  });

const tcpAttempt: Attempt = (server, query, timeoutMs, track) =>
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
    socket.connect(server.port, server.address, () => {
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(query.length);
      socket.write(Buffer.concat([prefix, query]));
    });
  });

export function createForwarder({ servers, timeoutMs, maxInFlight }: ForwarderOptions): Forwarder {
  const open = new Set<() => void>();
  let inFlight = 0;
  let closed = false;
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
        const attempt = transport === 'udp' ? udpAttempt : tcpAttempt;
        for (const server of list) {
          const left = Math.min(share, deadline - performance.now());
          if (left <= 0 || closed) break;
          const reply = await attempt(server, query, left, track);
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
    },
  };
}
