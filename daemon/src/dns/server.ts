/**
 * One network's DNS listener: UDP and TCP on one address and port (the bridge's gateway, port
 * 53). It lives in the daemon's own namespace, which is the one the bridge lives in. Every query
 * passes the client's token bucket first (floods are dropped), then answerQuery; nothing a client
 * sends can throw out of here. TCP carries length-prefixed messages (RFC 7766), pipelined up to
 * a bound, on connections that close when idle.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { PatchbayError } from '@patchbay/errors';
import type { RateLimiter } from './rate-limit.js';
import { answerQuery, type NetworkView, type Transport } from './resolver.js';
import { headerReply, Rcode, tcpFrame } from './wire.js';

export interface DnsLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TcpLimits {
  /** A connection with nothing to read for this long is closed (aardvark: 3 s). */
  idleMs: number;
  maxConnections: number;
  /** Queries of one connection answered at once; reading pauses beyond. */
  maxPipelined: number;
}

export const DEFAULT_TCP_LIMITS: TcpLimits = { idleMs: 3000, maxConnections: 256, maxPipelined: 16 };

export interface DnsServerOptions {
  address: string;
  /** 53 in production; 0 picks a free port (the same one for UDP and TCP), for tests. */
  port: number;
  view: NetworkView;
  limiter: RateLimiter;
  log: DnsLogger;
  tcp?: TcpLimits;
}

export interface DnsServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Why a bind failed, as a domain error naming the address (EADDRINUSE: a conflict). */
export function bindError(err: NodeJS.ErrnoException, address: string, port: number, protocol: 'udp' | 'tcp'): PatchbayError {
  const where = `${isIPv6(address) ? `[${address}]` : address}:${port}/${protocol}`;
  const details = { address, port, protocol, errno: err.code };
  if (err.code === 'EADDRINUSE') {
    return new PatchbayError('PB_ERR_PORT_IN_USE', `DNS: ${where} is already in use by another process`, { cause: err, details });
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return new PatchbayError('PB_ERR_INTERNAL', `DNS: cannot listen on ${where}: the address is not (yet) on any interface`, { cause: err, details });
  }
  return new PatchbayError('PB_ERR_INTERNAL', `DNS: cannot listen on ${where}: ${err.message}`, { cause: err, details });
}

/** answerQuery, with any unexpected failure turned into SERVFAIL (or silence) and logged. */
async function safeAnswer(opts: DnsServerOptions, raw: Buffer, transport: Transport, client: string): Promise<Buffer | undefined> {
  try {
    return await answerQuery(opts.view, raw, transport, client);
  } catch (e) {
    opts.log.warn({ client, err: (e as Error).message }, 'DNS query failed');
    try {
      return raw.length >= 12 ? headerReply(raw, Rcode.SERVFAIL) : undefined;
    } catch {
      return undefined;
    }
  }
}

function bindUdp(opts: DnsServerOptions, port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(opts.address) ? 'udp6' : 'udp4', reuseAddr: false });
    socket.once('error', (e) => reject(bindError(e, opts.address, port, 'udp')));
    socket.bind({ address: opts.address, port, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', (e) => opts.log.warn({ address: opts.address, err: e.message }, 'DNS UDP socket error'));
      resolve(socket);
    });
  });
}

function listenTcp(opts: DnsServerOptions, port: number, onConnection: (s: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(onConnection);
    server.once('error', (e) => reject(bindError(e, opts.address, port, 'tcp')));
    server.listen({ host: opts.address, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', (e) => opts.log.warn({ address: opts.address, err: e.message }, 'DNS TCP listener error'));
      resolve(server);
    });
  });
}

function serveUdp(opts: DnsServerOptions, socket: UdpSocket): void {
  socket.on('message', (msg: Buffer, from: RemoteInfo) => {
    if (!opts.limiter.allow(from.address)) return;
    void safeAnswer(opts, msg, 'udp', from.address).then((reply) => {
      if (reply) socket.send(reply, from.port, from.address, () => {});
    });
  });
}

function tcpConnectionHandler(opts: DnsServerOptions, limits: TcpLimits, open: Set<Socket>) {
  return (socket: Socket) => {
    const client = socket.remoteAddress ?? '';
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(limits.idleMs, () => socket.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    let pending = 0;

    const respond = (reply: Buffer | undefined) => {
      pending--;
      if (socket.destroyed) return;
      if (reply) socket.write(tcpFrame(reply));
      drain();
    };

    const drain = () => {
      while (pending < limits.maxPipelined && buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        // an empty message is a protocol violation, not a query: end the connection
        if (length === 0) return void socket.destroy();
        if (buffered.length < 2 + length) break;
        const message = Buffer.from(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        if (!opts.limiter.allow(client)) continue;
        pending++;
        void safeAnswer(opts, message, 'tcp', client).then(respond);
      }
      if (pending >= limits.maxPipelined) socket.pause();
      else if (socket.isPaused()) socket.resume();
    };

    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      drain();
    });
  };
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const limits = opts.tcp ?? DEFAULT_TCP_LIMITS;
  const open = new Set<Socket>();
  const handler = tcpConnectionHandler(opts, limits, open);
  // with port 0, UDP picks a free port and TCP takes the same one; retried if TCP's is taken
  for (let tries = 0; ; tries++) {
    const udp = await bindUdp(opts, opts.port);
    const port = udp.address().port;
    let tcp: Server;
    try {
      tcp = await listenTcp(opts, port, handler);
    } catch (e) {
      udp.close();
      if (opts.port === 0 && tries < 5) continue;
      throw e;
    }
    tcp.maxConnections = limits.maxConnections;
    serveUdp(opts, udp);
    opts.log.debug({ address: opts.address, port, network: opts.view.networkId }, 'DNS listening');
    return {
      address: opts.address,
      port,
      async close() {
        for (const s of open) s.destroy();
        await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
      },
    };
  }
}
