/**
 * Hostile input, bounded: random and malformed packets (truncated, compression loops, huge
 * counts, oversized labels, odd EDNS, zero-length and lying TCP frames). First straight into the
 * query handler (every reply must decode and carry the query's id), then at a live server over
 * UDP and TCP, which must still answer correctly afterwards.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { createDnsService } from '../src/dns/index.js';
import { createRecordIndex } from '../src/dns/records.js';
import { answerQuery } from '../src/dns/resolver.js';
import type { Forwarder } from '../src/dns/upstream.js';
import { encodeQuery, framed, queryUdp, silentLog, startFakeUpstream } from './helpers/dns.js';

const SEED = Number(process.env.PB_FUZZ_SEED ?? Date.now() % 2 ** 31);
const MAX_PACKETS = 20_000;
const MAX_MS = 3000;

/** mulberry32: a seeded generator, so a failure can be replayed with PB_FUZZ_SEED. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { int, bytes, pick: <T>(xs: readonly T[]) => xs[int(xs.length)]! };
}

const header = (id: number, counts: [number, number, number, number], flags = 0x0100) => {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  return h;
};
const typeClass = Buffer.from([0, 1, 0, 1]);

/** One hostile packet of a randomly chosen kind. */
function hostilePacket(r: ReturnType<typeof random>): Buffer {
  const id = r.int(65536);
  const names = ['web', 'example.test', 'db.patchbay.internal', '2.0.1.10.in-addr.arpa', 'a.b.c.d.e.f'];
  const valid = () => encodeQuery(r.pick(names), r.pick(['A', 'AAAA', 'PTR', 'MX', 'TXT', 'SRV'] as const), id, r.int(2) === 1);
  switch (r.int(9)) {
    case 0:
      return r.bytes(r.int(600));
    case 1: {
      const p = Buffer.from(valid());
      for (let i = 0, n = 1 + r.int(5); i < n; i++) p[r.int(p.length)] = r.int(256);
      return p;
    }
    case 2: {
      const p = valid();
      return p.subarray(0, r.int(p.length));
    }
    case 3: // a name that points at itself
      return Buffer.concat([header(id, [1, 0, 0, 0]), Buffer.from([0xc0, 0x0c]), typeClass]);
    case 4: // two labels pointing at each other / forward
      return Buffer.concat([header(id, [1, 0, 0, 0]), Buffer.from([1, 0x61, 0xc0, 0x10, 0xc0, 0x0c]), typeClass]);
    case 5: {
      const p = Buffer.from(valid());
      p.writeUInt16BE(r.pick([0, 2, 65535]), 4 + 2 * r.int(4));
      return p;
    }
    case 6: {
      // labels too long, a name past 255 bytes, a length byte past the end
      const label = Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)]);
      const body = r.int(2) === 0 ? Buffer.concat([label, label, label, label, label, Buffer.from([0])]) : Buffer.from([r.pick([64, 100, 191]), 0x61, 0]);
      return Buffer.concat([header(id, [1, 0, 0, 0]), body, typeClass]);
    }
    case 7: {
      const size = r.pick([0, 1, 511, 65535]);
      return dnsPacket.encode({
        id,
        type: 'query',
        questions: [{ type: 'A', name: r.pick(names) }],
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: size, extendedRcode: r.int(256), ednsVersion: r.int(3), flags: 0, flag_do: true, options: [] }],
      });
    }
    default:
      return Buffer.concat([header(id, [1, 0, 0, 0], r.int(65536) & 0x7fff), r.bytes(r.int(40))]);
  }
}

const nothingForwarded: Forwarder = { forward: async () => undefined, inFlight: () => 0, close() {} };

describe(`DNS fuzz (seed ${SEED})`, () => {
  it('the query handler never throws; every reply decodes and carries the query\'s id', async () => {
    const records = createRecordIndex();
    records.upsertEndpoint('n', { endpointId: 'e', names: ['web'], ipv4: '10.1.0.2', ipv6: 'fd01::2' });
    const view = { networkId: 'n', internal: false, records, forwarder: nothingForwarded };
    const r = random(SEED);
    const started = performance.now();
    let n = 0;
    let replies = 0;
    for (; n < MAX_PACKETS && performance.now() - started < MAX_MS; n++) {
      const packet = hostilePacket(r);
      const reply = await answerQuery(view, packet, r.int(2) ? 'udp' : 'tcp', '10.1.0.9');
      if (reply === undefined) continue;
      replies++;
      const decoded = dnsPacket.decode(reply);
      assert.equal(decoded.flag_qr, true, `packet ${packet.toString('hex')}`);
      assert.equal(decoded.id, packet.readUInt16BE(0), `packet ${packet.toString('hex')}`);
    }
    assert.ok(replies > n / 2, `${replies} replies to ${n} packets`);
  });

  it('a live server survives a UDP and TCP barrage and still answers correctly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pb-dns-fuzz-'));
    const upstream = await startFakeUpstream('127.53.30.1', { 'example.test': '192.0.2.10' });
    await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.53.30.1\n');
    const dns = createDnsService({
      log: silentLog,
      resolvConfPath: join(dir, 'resolv.conf'),
      enabled: true,
      port: 0,
      upstreamPort: upstream.port,
      forwardTimeoutMs: 300,
      rateLimit: { perSecond: 1e6, burst: 1e6 },
      tcp: { idleMs: 500, maxConnections: 64, maxPipelined: 8 },
    });
    try {
      await dns.addNetwork({ id: 'n', name: 'fuzz', gateway4: '127.53.31.1', internal: false });
      dns.upsertEndpoint('n', { endpointId: 'e', names: ['web'], ipv4: '10.1.0.2' });
      const port = dns.listeners('n')[0]!.port;
      const r = random(SEED + 1);
      const udp = createSocket('udp4');
      udp.on('message', () => {});
      await new Promise<void>((res) => udp.bind({ address: '127.0.0.1', port: 0 }, () => res()));
      const started = performance.now();
      let sent = 0;
      while (sent < MAX_PACKETS && performance.now() - started < MAX_MS / 2) {
        for (let i = 0; i < 200; i++, sent++) udp.send(hostilePacket(r), port, '127.53.31.1');
        await new Promise((res) => setImmediate(res));
      }
      udp.close();
      // TCP: lying lengths, zero-length frames, hostile messages, abrupt closes
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => {
          const frames: Buffer[] = [];
          for (let j = 0; j < 20; j++) {
            const kind = r.int(4);
            frames.push(kind === 0 ? Buffer.from([0, 0]) : kind === 1 ? Buffer.from([0xff, 0xff, 1, 2, 3]) : framed(hostilePacket(r)));
          }
          return new Promise<void>((res) => {
            const s = connect({ host: '127.53.31.1', port });
            s.on('error', () => res());
            s.on('close', () => res());
            s.on('connect', () => (i % 2 ? s.end(Buffer.concat(frames)) : s.write(Buffer.concat(frames), () => s.destroy())));
            setTimeout(() => s.destroy(), 2000);
          });
        }),
      );
      const local = await queryUdp('127.53.31.1', port, 'web');
      assert.deepEqual(local?.answers?.map((a) => ('data' in a ? a.data : undefined)), ['10.1.0.2']);
      const forwarded = await queryUdp('127.53.31.1', port, 'example.test');
      assert.deepEqual(forwarded?.answers?.map((a) => ('data' in a ? a.data : undefined)), ['192.0.2.10']);
      assert.ok(sent > 1000, `${sent} UDP packets sent`);
    } finally {
      await dns.close();
      await upstream.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
