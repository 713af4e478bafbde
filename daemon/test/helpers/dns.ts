/** DNS clients and a fake upstream resolver on real sockets, for the DNS tests and the bench. */
import { createSocket } from 'node:dgram';
import { connect, createServer, isIPv6, type Server } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, RecordType } from 'dns-packet';
import { tcpFrame } from '../../src/dns/wire.js';

export const silentLog = { debug() {}, info() {}, warn() {} };

export function encodeQuery(name: string, type: RecordType = 'A', id = Math.floor(Math.random() * 65536), edns = false): Buffer {
  return dnsPacket.encode({
    id,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    ...(edns && { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] }),
  });
}

/** Send raw bytes over UDP; the reply's bytes, or undefined after `timeoutMs`. */
export function udpExchange(address: string, port: number, query: Buffer, opts: { timeoutMs?: number; from?: string } = {}): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    const done = (reply: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => done(undefined), opts.timeoutMs ?? 3000);
    socket.on('message', (msg) => done(msg));
    socket.on('error', () => done(undefined));
    socket.bind({ address: opts.from ?? (isIPv6(address) ? '::1' : '127.0.0.1'), port: 0 }, () => socket.send(query, port, address));
  });
}

export type Reply = DecodedPacket & { rcode?: string };

/** dns-packet's decode, typed with the rcode it returns (its typings leave it out). */
export const decodeReply = (raw: Buffer): Reply => dnsPacket.decode(raw) as Reply;

export async function queryUdp(
  address: string,
  port: number,
  name: string,
  type: RecordType = 'A',
  opts: { timeoutMs?: number; from?: string; edns?: boolean } = {},
): Promise<Reply | undefined> {
  const reply = await udpExchange(address, port, encodeQuery(name, type, undefined, opts.edns), opts);
  return reply === undefined ? undefined : decodeReply(reply);
}

const framed = tcpFrame;

/**
 * Write `bytes` on one TCP connection and collect length-prefixed replies until `expect` arrived,
 * the server closed, or `timeoutMs` passed.
 */
export function tcpExchange(address: string, port: number, bytes: Buffer, expect: number, timeoutMs = 3000): Promise<{ replies: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const replies: Buffer[] = [];
    let buffered = Buffer.alloc(0);
    let closed = false;
    const socket = connect({ host: address, port });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closed });
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
      }
      if (replies.length >= expect) done();
    });
    socket.on('connect', () => socket.write(bytes));
  });
}

export async function queryTcp(address: string, port: number, queries: Buffer[], timeoutMs = 3000): Promise<Reply[]> {
  const { replies } = await tcpExchange(address, port, Buffer.concat(queries.map(framed)), queries.length, timeoutMs);
  return replies.map(decodeReply);
}

export { framed };

export interface FakeUpstream {
  address: string;
  port: number;
  /** Every query received, over either transport. */
  queries: { transport: 'udp' | 'tcp'; name: string; id: number }[];
  /** The exact bytes of every reply sent, to check they reach the client unchanged. */
  sent: Buffer[];
  close(): Promise<void>;
}

/**
 * A resolver for tests: answers A for every name in `names`, NXDOMAIN otherwise, over UDP and
 * TCP on the same port; `silent` receives but never answers (a dead upstream).
 */
export async function startFakeUpstream(address: string, names: Record<string, string>, opts: { port?: number; silent?: boolean } = {}): Promise<FakeUpstream> {
  const udp = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  const queries: FakeUpstream['queries'] = [];
  const sent: Buffer[] = [];
  const answer = (raw: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    try {
      return answerOrThrow(raw, transport);
    } catch {
      return undefined; // the fuzz test forwards odd queries; a test upstream just ignores them
    }
  };
  const answerOrThrow = (raw: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    const q = dnsPacket.decode(raw);
    const question = q.questions![0]!;
    queries.push({ transport, name: question.name, id: q.id ?? 0 });
    if (opts.silent) return undefined;
    const data = names[question.name.toLowerCase()];
    const reply = dnsPacket.encode({
      id: q.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (data === undefined ? 3 : 0),
      questions: [question],
      answers: data === undefined || question.type !== 'A' ? [] : [{ type: 'A', name: question.name, ttl: 4242, class: 'IN', data }],
    });
    sent.push(reply);
    return reply;
  };
  udp.on('message', (msg, from) => {
    const reply = answer(msg, 'udp');
    if (reply) udp.send(reply, from.port, from.address);
  });
  await new Promise<void>((r) => udp.bind({ address, port: opts.port ?? 0 }, () => r()));
  const port = udp.address().port;
  const tcp: Server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const reply = answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)), 'tcp');
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        if (reply) socket.write(framed(reply));
      }
    });
  });
  await new Promise<void>((r) => tcp.listen({ host: address, port }, () => r()));
  return {
    address,
    port,
    queries,
    sent,
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
