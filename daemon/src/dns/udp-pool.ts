/**
 * UDP to one upstream server through a few long-lived connected sockets (a socket per query costs
 * more than the query). Each query goes out under a fresh random id, unique among those in flight
 * on its socket; the reply is matched by that id and given back with the client's id restored, so
 * the client gets the upstream's bytes unchanged. Sockets are replaced after a number of queries,
 * so the source port keeps moving (with the random id, what makes spoofed replies hard to land).
 */
import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

const SOCKETS = 4;
const QUERIES_PER_SOCKET = 5000;

interface Waiting {
  clientId: number;
  finish: (reply: Buffer | undefined) => void;
}

interface Channel {
  socket: Socket;
  /** Settles once connect() finished (or failed: its queries then fail on send). */
  ready: Promise<void>;
  waiting: Map<number, Waiting>;
  used: number;
  retired: boolean;
}

export interface UdpPool {
  /** The reply (client's id restored), or undefined on timeout, ICMP error or close. */
  exchange(query: Buffer, timeoutMs: number): Promise<Buffer | undefined>;
  close(): void;
}

export function createUdpPool(address: string, port: number): UdpPool {
  const channels: Channel[] = [];
  let turn = 0;
  let closed = false;

  const failAll = (channel: Channel) => {
    for (const w of [...channel.waiting.values()]) w.finish(undefined);
  };

  const dispose = (channel: Channel) => {
    const at = channels.indexOf(channel);
    if (at < 0) return;
    channels.splice(at, 1);
    channel.retired = true;
    failAll(channel);
    channel.socket.close();
  };

  const open = (): Channel => {
    const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    const ready = new Promise<void>((resolve) => {
      socket.once('connect', resolve);
      socket.once('error', () => resolve());
    });
    const channel: Channel = { socket, ready, waiting: new Map(), used: 0, retired: false };
    // connected: only this server's datagrams arrive, and an ICMP error surfaces as 'error'
    socket.connect(port, address);
    socket.on('error', () => failAll(channel));
    socket.on('message', (msg: Buffer) => {
      if (msg.length < 12 || (msg[2]! & 0x80) === 0) return;
      const w = channel.waiting.get(msg.readUInt16BE(0));
      if (!w) return;
      const reply = Buffer.from(msg);
      reply.writeUInt16BE(w.clientId, 0);
      w.finish(reply);
    });
    channels.push(channel);
    return channel;
  };

  const pick = (): Channel => {
    const live = channels.filter((c) => !c.retired);
    const channel = live.length < SOCKETS ? open() : live[turn++ % live.length]!;
    if (++channel.used >= QUERIES_PER_SOCKET) channel.retired = true;
    return channel;
  };

  return {
    async exchange(query, timeoutMs) {
      if (closed || query.length < 12) return undefined;
      const channel = pick();
      await channel.ready;
      return new Promise((resolve) => {
        let id: number;
        do id = randomInt(65536);
        while (channel.waiting.has(id));
        const finish = (reply: Buffer | undefined) => {
          if (channel.waiting.get(id) !== waiting) return;
          channel.waiting.delete(id);
          clearTimeout(timer);
          if (channel.retired && channel.waiting.size === 0) dispose(channel);
          resolve(reply);
        };
        const waiting: Waiting = { clientId: query.readUInt16BE(0), finish };
        channel.waiting.set(id, waiting);
        const timer = setTimeout(() => finish(undefined), timeoutMs);
        const outgoing = Buffer.from(query);
        outgoing.writeUInt16BE(id, 0);
        try {
          channel.socket.send(outgoing, (err) => err && finish(undefined));
        } catch {
          finish(undefined); // not connected (connect failed) or already closed
        }
      });
    },
    close() {
      closed = true;
      for (const c of [...channels]) dispose(c);
    },
  };
}
