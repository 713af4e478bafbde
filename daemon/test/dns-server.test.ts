import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as dnsPacket from 'dns-packet';
import { PatchbayError } from '@patchbay/errors';
import { createDnsService, SEARCH_DOMAIN, type DnsService, type DnsServiceOptions } from '../src/dns/index.js';
import { decodeReply, encodeQuery, framed, queryTcp, queryUdp, silentLog, startFakeUpstream, tcpExchange, udpExchange, type FakeUpstream } from './helpers/dns.js';

const UPSTREAM = '127.53.200.1';
const EXTERNAL = { 'example.test': '192.0.2.10', 'www.example.test': '192.0.2.11' };

let dir: string;
let resolvConf: string;
let upstream: FakeUpstream;
const services: DnsService[] = [];

async function setResolvConf(text: string): Promise<void> {
  const tmp = `${resolvConf}.new`;
  await writeFile(tmp, text);
  await rename(tmp, resolvConf);
}

async function service(extra: Partial<DnsServiceOptions> = {}): Promise<DnsService> {
  const s = createDnsService({ log: silentLog, resolvConfPath: resolvConf, enabled: true, port: 0, upstreamPort: upstream.port, forwardTimeoutMs: 400, ...extra });
  services.push(s);
  return s;
}

const portOf = (s: DnsService, id: string) => s.listeners(id)[0]!.port;

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-dns-'));
  resolvConf = join(dir, 'resolv.conf');
  upstream = await startFakeUpstream(UPSTREAM, EXTERNAL);
  await setResolvConf(`nameserver ${UPSTREAM}\n`);
});

after(async () => {
  for (const s of services) await s.close();
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});

describe('DNS server: local names', () => {
  let dns: DnsService;
  let p1: number;
  let p2: number;
  before(async () => {
    dns = await service();
    const c1 = await dns.addNetwork({ id: 'n1', name: 'one', gateway4: '127.53.1.1', internal: false });
    assert.deepEqual(c1, { nameservers: ['127.53.1.1'], search: [SEARCH_DOMAIN] });
    await dns.addNetwork({ id: 'n2', name: 'two', gateway4: '127.53.2.1', internal: false });
    dns.upsertEndpoint('n1', { endpointId: 'e1', names: ['web', 'frontend'], ipv4: '10.1.0.2/24', ipv6: 'fd01::2' });
    dns.upsertEndpoint('n1', { endpointId: 'e2', names: ['api'], ipv4: '10.1.0.3/24' });
    dns.upsertEndpoint('n2', { endpointId: 'e3', names: ['db'], ipv4: '10.2.0.2/24' });
    p1 = portOf(dns, 'n1');
    p2 = portOf(dns, 'n2');
  });

  it('answers A and AAAA authoritatively, keeping the client\'s spelling of the name', async () => {
    const a = await queryUdp('127.53.1.1', p1, 'WeB', 'A');
    assert.equal(a?.rcode, 'NOERROR');
    assert.equal(a?.flag_aa, true);
    assert.equal(a?.questions?.[0]?.name, 'WeB');
    assert.deepEqual(a?.answers?.map((x) => [x.name, x.type, 'data' in x ? x.data : undefined]), [['WeB', 'A', '10.1.0.2']]);
    const aaaa = await queryUdp('127.53.1.1', p1, `frontend.${SEARCH_DOMAIN}`, 'AAAA');
    assert.deepEqual(aaaa?.answers?.map((x) => ('data' in x ? x.data : undefined)), ['fd01::2']);
  });

  it('a name without an address of the asked family: NOERROR, no records', async () => {
    const r = await queryUdp('127.53.1.1', p1, 'api', 'AAAA');
    assert.equal(r?.rcode, 'NOERROR');
    assert.deepEqual(r?.answers, []);
  });

  it('PTR for an endpoint address', async () => {
    const r = await queryUdp('127.53.1.1', p1, '2.0.1.10.in-addr.arpa', 'PTR');
    assert.deepEqual(r?.answers?.map((x) => ('data' in x ? x.data : undefined)), [`web.${SEARCH_DOMAIN}`]);
  });

  it('another network\'s names are NXDOMAIN and never forwarded', async () => {
    const before = upstream.queries.length;
    for (const name of ['db', `db.${SEARCH_DOMAIN}`]) {
      const r = await queryUdp('127.53.1.1', p1, name, 'A');
      assert.equal(r?.rcode, 'NXDOMAIN', name);
      assert.deepEqual(r?.answers, []);
    }
    assert.equal((await queryUdp('127.53.2.1', p2, 'db', 'A'))?.answers?.length, 1, 'its own network resolves it');
    assert.equal((await queryUdp('127.53.2.1', p2, 'web', 'A'))?.rcode, 'NXDOMAIN');
    assert.equal(upstream.queries.length, before);
  });

  it('records vanish with the endpoint', async () => {
    dns.upsertEndpoint('n1', { endpointId: 'tmp', names: ['brief'], ipv4: '10.1.0.9' });
    assert.equal((await queryUdp('127.53.1.1', p1, 'brief'))?.answers?.length, 1);
    dns.removeEndpoint('n1', 'tmp');
    assert.equal((await queryUdp('127.53.1.1', p1, 'brief'))?.rcode, 'NXDOMAIN');
  });

  it('a sandbox on both networks resolves names of both through its first network\'s server', async () => {
    dns.upsertEndpoint('n1', { endpointId: 'm1', sandboxId: 'sb-multi', names: ['multi'], ipv4: '127.53.1.77' });
    dns.upsertEndpoint('n2', { endpointId: 'm2', sandboxId: 'sb-multi', names: ['multi'], ipv4: '127.53.2.77' });
    const r = await queryUdp('127.53.1.1', p1, 'db', 'A', { from: '127.53.1.77' });
    assert.deepEqual(r?.answers?.map((x) => ('data' in x ? x.data : undefined)), ['10.2.0.2']);
    dns.removeEndpoint('n2', 'm2');
    assert.equal((await queryUdp('127.53.1.1', p1, 'db', 'A', { from: '127.53.1.77' }))?.rcode, 'NXDOMAIN');
  });

  it('over TCP: pipelined queries on one connection, each answered', async () => {
    const replies = await queryTcp('127.53.1.1', p1, [encodeQuery('web', 'A', 101), encodeQuery('api', 'A', 102), encodeQuery('nope', 'A', 103)]);
    assert.deepEqual(replies.map((r) => [r.id, (r as { rcode?: string }).rcode]).sort(), [[101, 'NOERROR'], [102, 'NOERROR'], [103, 'NXDOMAIN']]);
  });

  it('many endpoints sharing an alias: UDP truncates (TC) within 512 bytes, TCP carries all', async () => {
    for (let i = 0; i < 60; i++) dns.upsertEndpoint('n2', { endpointId: `rr${i}`, names: [`rr${i}`, 'pool'], ipv4: `10.2.1.${i + 1}` });
    const raw = await udpExchange('127.53.2.1', p2, encodeQuery('pool', 'A', 7));
    assert.ok(raw && raw.length <= 512, `udp reply of ${raw?.length} bytes`);
    const udp = dnsPacket.decode(raw!);
    assert.equal(udp.flag_tc, true);
    const [tcp] = await queryTcp('127.53.2.1', p2, [encodeQuery('pool', 'A', 8)]);
    assert.equal(tcp?.answers?.length, 60);
    assert.equal(tcp?.flag_tc, false);
  });
});

describe('DNS server: forwarding', () => {
  it('forwards other names to resolv.conf\'s server; the reply arrives unchanged, with the client\'s id', async () => {
    const dns = await service();
    await dns.addNetwork({ id: 'f1', name: 'fwd', gateway4: '127.53.3.1', internal: false });
    const query = encodeQuery('www.example.test', 'A', 4321);
    const reply = await udpExchange('127.53.3.1', portOf(dns, 'f1'), query);
    assert.ok(reply, 'a reply');
    // the query goes out under an id of the server's choosing; the reply comes back with the
    // client's id and otherwise byte for byte
    assert.equal(reply.readUInt16BE(0), 4321);
    assert.ok(upstream.sent.some((s) => s.subarray(2).equals(reply.subarray(2))), 'the upstream\'s reply, unchanged');
    const [tcp] = await queryTcp('127.53.3.1', portOf(dns, 'f1'), [encodeQuery('example.test', 'A', 55)]);
    assert.deepEqual(tcp?.answers?.map((x) => ('data' in x ? x.data : undefined)), ['192.0.2.10']);
    assert.equal(upstream.queries.at(-1)?.transport, 'tcp', 'a TCP client is forwarded over TCP');
  });

  it('two clients forwarding under the same id at once each get their own answer', async () => {
    const dns = await service();
    await dns.addNetwork({ id: 'f4', name: 'fwd4', gateway4: '127.53.15.1', internal: false });
    const port = portOf(dns, 'f4');
    const [a, b] = await Promise.all([
      udpExchange('127.53.15.1', port, encodeQuery('example.test', 'A', 777)),
      udpExchange('127.53.15.1', port, encodeQuery('www.example.test', 'A', 777)),
    ]);
    const data = (raw: Buffer | undefined) => dnsPacket.decode(raw!).answers?.map((x) => ('data' in x ? x.data : undefined));
    assert.deepEqual([data(a), data(b)], [['192.0.2.10'], ['192.0.2.11']]);
    assert.deepEqual([a!.readUInt16BE(0), b!.readUInt16BE(0)], [777, 777]);
  });

  it('SERVFAIL when the upstream is silent (after the timeout) or refuses (at once)', async () => {
    const silent = await startFakeUpstream('127.53.201.1', EXTERNAL, { port: upstream.port, silent: true });
    try {
      await setResolvConf('nameserver 127.53.201.1\n');
      const dns = await service({ forwardTimeoutMs: 300 });
      await dns.addNetwork({ id: 'f2', name: 'fwd2', gateway4: '127.53.4.1', internal: false });
      const r = await queryUdp('127.53.4.1', portOf(dns, 'f2'), 'example.test', 'A', { timeoutMs: 3000 });
      assert.equal(r?.rcode, 'SERVFAIL');
      assert.equal(silent.queries.length, 1, 'it was asked');
      await setResolvConf('nameserver 127.53.202.1\n');
      await until(() => dns.upstreams()[0] === '127.53.202.1', 'resolv.conf change picked up');
      const refused = await queryUdp('127.53.4.1', portOf(dns, 'f2'), 'example.test', 'A', { timeoutMs: 3000 });
      assert.equal(refused?.rcode, 'SERVFAIL');
    } finally {
      await silent.close();
      await setResolvConf(`nameserver ${UPSTREAM}\n`);
    }
  });

  it('a changed resolv.conf is followed: a second upstream takes over', async () => {
    const second = await startFakeUpstream('127.53.203.1', { 'example.test': '198.51.100.7' }, { port: upstream.port });
    try {
      const dns = await service();
      await dns.addNetwork({ id: 'f3', name: 'fwd3', gateway4: '127.53.5.1', internal: false });
      await setResolvConf('nameserver 127.53.203.1\n');
      await until(() => dns.upstreams()[0] === '127.53.203.1', 'resolv.conf change picked up');
      const r = await queryUdp('127.53.5.1', portOf(dns, 'f3'), 'example.test');
      assert.deepEqual(r?.answers?.map((x) => ('data' in x ? x.data : undefined)), ['198.51.100.7']);
    } finally {
      await second.close();
      await setResolvConf(`nameserver ${UPSTREAM}\n`);
    }
  });

  it('an internal network resolves its own names and forwards nothing', async () => {
    const dns = await service();
    await dns.addNetwork({ id: 'i1', name: 'internal', gateway4: '127.53.6.1', internal: true });
    dns.upsertEndpoint('i1', { endpointId: 'x', names: ['inside'], ipv4: '10.6.0.2' });
    const before = upstream.queries.length;
    assert.equal((await queryUdp('127.53.6.1', portOf(dns, 'i1'), 'inside'))?.answers?.length, 1);
    const r = await queryUdp('127.53.6.1', portOf(dns, 'i1'), 'example.test');
    assert.equal(r?.rcode, 'NXDOMAIN');
    assert.equal(upstream.queries.length, before, 'nothing reached the upstream');
  });
});

describe('DNS server: protection', () => {
  it('a client flooding is cut to its bucket; another client is still answered', async () => {
    const dns = await service({ rateLimit: { perSecond: 1, burst: 5 } });
    await dns.addNetwork({ id: 'r1', name: 'rl', gateway4: '127.53.7.1', internal: false });
    dns.upsertEndpoint('r1', { endpointId: 'x', names: ['web'], ipv4: '10.7.0.2' });
    const port = portOf(dns, 'r1');
    const flood = createSocket('udp4');
    let answered = 0;
    flood.on('message', () => answered++);
    await new Promise<void>((r) => flood.bind({ address: '127.53.7.50', port: 0 }, () => r()));
    for (let i = 0; i < 50; i++) flood.send(encodeQuery('web', 'A', i), port, '127.53.7.1');
    const other = await queryUdp('127.53.7.1', port, 'web', 'A', { from: '127.53.7.51' });
    await new Promise((r) => setTimeout(r, 300));
    flood.close();
    assert.ok(answered >= 5 && answered <= 6, `${answered} of 50 answered`);
    assert.equal(other?.answers?.length, 1);
  });

  it('clients outside the network\'s subnets are refused', async () => {
    const dns = await service();
    await dns.addNetwork({ id: 's1', name: 'sub', gateway4: '127.53.8.1', internal: false, subnets: ['127.53.8.0/24'] });
    dns.upsertEndpoint('s1', { endpointId: 'x', names: ['web'], ipv4: '127.53.8.2' });
    const port = portOf(dns, 's1');
    assert.equal((await queryUdp('127.53.8.1', port, 'web', 'A', { from: '127.53.8.9' }))?.answers?.length, 1);
    const outsider = await queryUdp('127.53.8.1', port, 'web', 'A', { from: '127.53.9.9' });
    assert.equal(outsider?.rcode, 'REFUSED');
    assert.deepEqual(outsider?.answers, []);
    await assert.rejects(dns.addNetwork({ id: 's2', name: 'bad', gateway4: '127.53.8.2', internal: false, subnets: ['10.0.0.0/40'] }), PatchbayError);
  });

  it('malformed queries: FORMERR, NOTIMP or silence, never a crash', async () => {
    const dns = await service();
    await dns.addNetwork({ id: 'm1', name: 'mal', gateway4: '127.53.10.1', internal: false });
    const port = portOf(dns, 'm1');
    const two = dnsPacket.encode({ id: 9, type: 'query', questions: [{ type: 'A', name: 'a' }, { type: 'A', name: 'b' }] });
    assert.equal(decodeReply((await udpExchange('127.53.10.1', port, two))!).rcode, 'FORMERR');
    const update = Buffer.from(encodeQuery('a', 'A', 10));
    update.writeUInt16BE((5 << 11) | 0x0100, 2); // opcode UPDATE
    const notimp = decodeReply((await udpExchange('127.53.10.1', port, update))!);
    assert.equal(notimp.rcode, 'NOTIMP');
    assert.equal(notimp.id, 10);
    const truncated = encodeQuery('example.test', 'A', 11).subarray(0, 20);
    assert.equal(decodeReply((await udpExchange('127.53.10.1', port, truncated))!).rcode, 'FORMERR');
    const response = Buffer.from(encodeQuery('a', 'A', 12));
    response.writeUInt16BE(0x8000, 2);
    assert.equal(await udpExchange('127.53.10.1', port, response, { timeoutMs: 300 }), undefined, 'a response is not answered');
    assert.equal(await udpExchange('127.53.10.1', port, Buffer.from([1, 2, 3]), { timeoutMs: 300 }), undefined);
  });

  it('TCP: a zero-length frame or an idle connection is closed', async () => {
    const dns = await service({ tcp: { idleMs: 200, maxConnections: 8, maxPipelined: 4 } });
    await dns.addNetwork({ id: 't1', name: 'tcp', gateway4: '127.53.11.1', internal: false });
    const port = portOf(dns, 't1');
    const zero = await tcpExchange('127.53.11.1', port, Buffer.from([0, 0]), 1, 3000);
    assert.deepEqual([zero.closed, zero.replies.length], [true, 0]);
    const idle = await tcpExchange('127.53.11.1', port, Buffer.alloc(0), 1, 3000);
    assert.deepEqual([idle.closed, idle.replies.length], [true, 0]);
    const half = await tcpExchange('127.53.11.1', port, framed(encodeQuery('web')).subarray(0, 10), 1, 3000);
    assert.equal(half.closed, true, 'a frame that never completes times out');
    const queries = Array.from({ length: 12 }, (_, i) => encodeQuery('nope', 'A', 200 + i));
    const many = await queryTcp('127.53.11.1', port, queries);
    assert.equal(many.length, 12, 'beyond the pipelining bound reading pauses, nothing is lost');
  });
});

describe('DNS service lifecycle', () => {
  it('port in use: a conflict naming the address, and nothing left listening', async () => {
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind({ address: '127.53.12.1', port: 0 }, () => r()));
    const port = squatter.address().port;
    try {
      const dns = await service({ port });
      await assert.rejects(
        dns.addNetwork({ id: 'c1', name: 'conflict', gateway4: '127.53.12.1', internal: false }),
        (e: unknown) => e instanceof PatchbayError && e.code === 'PB_ERR_PORT_IN_USE' && e.kind === 'Conflict' && e.message.includes(`127.53.12.1:${port}/udp`),
      );
      assert.deepEqual(dns.listeners('c1'), []);
      assert.equal(dns.clientConfig('c1'), undefined);
    } finally {
      squatter.close();
    }
  });

  it('TCP port taken: the UDP socket already bound is released again', async () => {
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen({ host: '127.53.12.2', port: 0 }, () => r()));
    const port = (squatter.address() as { port: number }).port;
    try {
      const dns = await service({ port });
      await assert.rejects(dns.addNetwork({ id: 'c2', name: 'conflict2', gateway4: '127.53.12.2', internal: false }), (e: unknown) =>
        e instanceof PatchbayError && e.code === 'PB_ERR_PORT_IN_USE' && e.message.includes(`127.53.12.2:${port}/tcp`),
      );
      const probe = createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.bind({ address: '127.53.12.2', port }, () => resolve());
      });
      probe.close();
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('an IPv6 gateway is served; one not (yet) on any interface is retried, not fatal', async () => {
    const warnings: string[] = [];
    const log = { ...silentLog, warn: (_o: object, msg: string) => void warnings.push(msg) };
    const dns = await service({ log, ipv6BindRetryMs: 300 });
    const config = await dns.addNetwork({ id: 'v6', name: 'six', gateway6: '::1', internal: false });
    assert.deepEqual(config?.nameservers, ['::1']);
    dns.upsertEndpoint('v6', { endpointId: 'x', names: ['web'], ipv6: 'fd06::2' });
    const r = await queryUdp('::1', portOf(dns, 'v6'), 'web', 'AAAA');
    assert.deepEqual(r?.answers?.map((x) => ('data' in x ? x.data : undefined)), ['fd06::2']);
    const tentative = await dns.addNetwork({ id: 'v6b', name: 'tentative', gateway4: '127.53.16.1', gateway6: 'fd00:53::1', internal: false });
    assert.deepEqual(tentative?.nameservers, ['127.53.16.1', 'fd00:53::1']);
    assert.deepEqual(dns.listeners('v6b').map((l) => l.address), ['127.53.16.1']);
    await until(() => warnings.includes('DNS not served on the IPv6 gateway'), 'gave up after the retry window, with a warning');
  });

  it('disabled: nothing listens, nothing is recorded', async () => {
    const dns = createDnsService({ log: silentLog, resolvConfPath: resolvConf, enabled: false });
    assert.equal(await dns.addNetwork({ id: 'd', name: 'd', gateway4: '127.53.13.1', internal: false }), undefined);
    dns.upsertEndpoint('d', { endpointId: 'x', names: ['web'], ipv4: '10.0.0.2' });
    assert.deepEqual(dns.records('d'), []);
    await dns.close();
  });

  it('remove stops answering; adding the same network again is a no-op', async () => {
    const dns = await service();
    const net = { id: 'l1', name: 'life', gateway4: '127.53.14.1', internal: false };
    await dns.addNetwork(net);
    const port = portOf(dns, 'l1');
    await dns.addNetwork(net);
    assert.equal(portOf(dns, 'l1'), port, 'same listener kept');
    dns.upsertEndpoint('l1', { endpointId: 'x', names: ['web'], ipv4: '10.0.0.2' });
    await dns.removeNetwork('l1');
    await dns.removeNetwork('l1');
    assert.equal(await queryUdp('127.53.14.1', port, 'web', 'A', { timeoutMs: 300 }), undefined);
    assert.deepEqual(dns.records('l1'), []);
  });
});
