/**
 * patchbay's DNS wired into the daemon, through app.inject on the fake kernel. The networks get
 * loopback subnets (127.53.x.0/24), so their gateways are addresses a real server can bind here;
 * queries are sent from an address inside the network's subnet, as a sandbox's would be.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFakeKernel } from '@patchbay/kernel';
import { DNS_OPTION } from '../src/controller/dns.js';
import { SEARCH_DOMAIN, type DnsServiceOptions } from '../src/dns/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { queryUdp, startFakeUpstream, type FakeUpstream } from './helpers/dns.js';

const UPSTREAM = '127.53.200.1';
let dir: string;
let upstream: FakeUpstream;
let dnsOptions: Partial<DnsServiceOptions>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-dns-api-'));
  upstream = await startFakeUpstream(UPSTREAM, { 'example.test': '192.0.2.10' });
  await writeFile(join(dir, 'resolv.conf'), `nameserver ${UPSTREAM}\n`);
  dnsOptions = { resolvConfPath: join(dir, 'resolv.conf'), port: 0, upstreamPort: upstream.port, forwardTimeoutMs: 400 };
});
after(async () => {
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});

function client(t: TestApp) {
  return async (method: string, url: string, payload?: unknown) => {
    const r = await t.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
  };
}

const subnetNet = (name: string, third: number, extra: Record<string, unknown> = {}) => ({ name, ipam: { config: [{ subnet: `127.53.${third}.0/24` }] }, ...extra });

/** Ask the network's server (wherever the test service listens) from `from`, inside its subnet. */
async function ask(t: TestApp, network: string, name: string, from: string) {
  const net = t.controller.networks.get(network);
  const [listener] = t.controller.core.dns.listeners(net.id);
  assert.ok(listener, `a DNS listener for ${network}`);
  const reply = await queryUdp(listener.address, listener.port, name, 'A', { from, timeoutMs: 2000 });
  assert.ok(reply, `a reply for ${name}`);
  return { rcode: reply.rcode, answers: (reply.answers ?? []).map((a) => ('data' in a ? a.data : undefined)) };
}

const resolvConfOf = (t: TestApp, sandboxId: string) => join(t.netnsEtc, `pb-${sandboxId.slice(0, 12)}`, 'resolv.conf');

describe('DNS through the API: records follow connect and disconnect', () => {
  let t: TestApp;
  let req: ReturnType<typeof client>;
  const sandbox: Record<string, { id: string }> = {};
  before(async () => {
    t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], dns: dnsOptions });
    req = client(t);
    assert.equal((await req('POST', '/v1/networks', subnetNet('front', 11))).status, 201);
    assert.equal((await req('POST', '/v1/networks', subnetNet('back', 12))).status, 201);
    for (const name of ['web', 'api', 'db']) sandbox[name] = (await req('POST', '/v1/sandboxes', { name })).body;
  });
  after(() => t.close());

  it('connect answers with the network\'s nameserver; the sandbox view and its resolv.conf say the same', async () => {
    const c = await req('POST', '/v1/networks/front/connect', { sandbox: 'web', ipv4Address: '127.53.11.10', aliases: ['frontend'] });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const expected = { nameservers: ['127.53.11.1'], search: [SEARCH_DOMAIN] };
    assert.deepEqual(c.body.dns, expected);
    assert.deepEqual((await req('GET', '/v1/sandboxes/web')).body.dns, expected);
    assert.equal(readFileSync(resolvConfOf(t, sandbox.web!.id), 'utf8'), `# written by patchbayd for sandbox pb-${sandbox.web!.id.slice(0, 12)}; removed with it\nnameserver 127.53.11.1\nsearch ${SEARCH_DOMAIN}\n`);
    assert.equal((await req('POST', '/v1/networks/front/connect', { sandbox: 'api', ipv4Address: '127.53.11.11' })).status, 201);
    assert.equal((await req('POST', '/v1/networks/back/connect', { sandbox: 'db', ipv4Address: '127.53.12.10' })).status, 201);
  });

  it('a name, an alias, the short container id resolve on their network; the other network\'s names do not', async () => {
    assert.deepEqual(await ask(t, 'front', 'api', '127.53.11.10'), { rcode: 'NOERROR', answers: ['127.53.11.11'] });
    assert.deepEqual(await ask(t, 'front', `FrontEnd.${SEARCH_DOMAIN}`, '127.53.11.11'), { rcode: 'NOERROR', answers: ['127.53.11.10'] });
    assert.deepEqual(await ask(t, 'front', sandbox.web!.id.slice(0, 12), '127.53.11.11'), { rcode: 'NOERROR', answers: ['127.53.11.10'] });
    assert.deepEqual(await ask(t, 'back', 'db', '127.53.12.10'), { rcode: 'NOERROR', answers: ['127.53.12.10'] });
    assert.deepEqual(await ask(t, 'front', 'db', '127.53.11.10'), { rcode: 'NXDOMAIN', answers: [] });
    assert.deepEqual(await ask(t, 'back', 'web', '127.53.12.10'), { rcode: 'NXDOMAIN', answers: [] });
  });

  it('other names are forwarded to the resolv.conf\'s server', async () => {
    const before = upstream.queries.length;
    assert.deepEqual(await ask(t, 'front', 'example.test', '127.53.11.10'), { rcode: 'NOERROR', answers: ['192.0.2.10'] });
    assert.equal(upstream.queries.length, before + 1);
  });

  it('a second DNS network is merged into the sandbox\'s resolv.conf and answers for both', async () => {
    assert.equal((await req('POST', '/v1/networks/back/connect', { sandbox: 'web', ipv4Address: '127.53.12.20' })).status, 201);
    assert.deepEqual((await req('GET', '/v1/sandboxes/web')).body.dns, { nameservers: ['127.53.11.1', '127.53.12.1'], search: [SEARCH_DOMAIN] });
    assert.match(readFileSync(resolvConfOf(t, sandbox.web!.id), 'utf8'), /nameserver 127\.53\.11\.1\nnameserver 127\.53\.12\.1\n/);
    // web, on both networks, resolves back's names through front's server
    assert.deepEqual(await ask(t, 'front', 'db', '127.53.11.10'), { rcode: 'NOERROR', answers: ['127.53.12.10'] });
    assert.equal((await req('POST', '/v1/networks/back/disconnect', { sandbox: 'web' })).status, 204);
    assert.doesNotMatch(readFileSync(resolvConfOf(t, sandbox.web!.id), 'utf8'), /127\.53\.12\.1/);
  });

  it('a resolv.conf that cannot be written rolls the connect back', async () => {
    const spare = (await req('POST', '/v1/sandboxes', { name: 'spare' })).body;
    // a file where the sandbox's directory would go
    writeFileSync(join(t.netnsEtc, `pb-${spare.id.slice(0, 12)}`), 'in the way');
    const c = await req('POST', '/v1/networks/front/connect', { sandbox: 'spare', ipv4Address: '127.53.11.30' });
    assert.equal(c.status, 500, JSON.stringify(c.body));
    assert.match(c.body.message, /resolv\.conf/);
    assert.deepEqual((await req('GET', '/v1/sandboxes/spare')).body.endpoints, []);
    assert.equal((await req('GET', '/v1/networks/front/endpoints')).body.some((e: { name: string }) => e.name === 'spare'), false);
    assert.deepEqual(await ask(t, 'front', 'spare', '127.53.11.10'), { rcode: 'NXDOMAIN', answers: [] });
    assert.equal((await req('DELETE', '/v1/sandboxes/spare')).status, 204);
  });

  it('the OpenAPI document shows dns on sandboxes and endpoints', async () => {
    const doc = (await req('GET', '/v1/openapi.json')).body;
    const schemaOf = (path: string, method: string, status: string) => doc.paths[path][method].responses[status].content['application/json'].schema;
    for (const schema of [schemaOf('/v1/sandboxes/{id}', 'get', '200'), schemaOf('/v1/networks/{net}/connect', 'post', '201')]) {
      assert.deepEqual(Object.keys(schema.properties.dns.properties).sort(), ['nameservers', 'search']);
    }
  });

  it('a disconnected sandbox stops resolving as soon as the disconnect is answered', async () => {
    assert.equal((await req('POST', '/v1/networks/front/disconnect', { sandbox: 'api' })).status, 204);
    assert.deepEqual(await ask(t, 'front', 'api', '127.53.11.10'), { rcode: 'NXDOMAIN', answers: [] });
    assert.equal(existsSync(resolvConfOf(t, sandbox.api!.id)), false, 'no DNS network left: no resolv.conf');
  });

  it('a deleted sandbox loses its records and its resolv.conf', async () => {
    assert.equal((await req('DELETE', '/v1/sandboxes/web')).status, 204);
    assert.deepEqual(await ask(t, 'front', 'frontend', '127.53.11.2'), { rcode: 'NXDOMAIN', answers: [] });
    assert.equal(existsSync(join(t.netnsEtc, `pb-${sandbox.web!.id.slice(0, 12)}`)), false);
  });

  it('a deleted network stops listening', async () => {
    const id = t.controller.networks.get('front').id;
    assert.equal((await req('DELETE', '/v1/networks/front')).status, 204);
    assert.deepEqual(t.controller.core.dns.listeners(id), []);
  });

  it('the default bridge has no DNS', async () => {
    const c = await req('POST', '/v1/networks/bridge/connect', { sandbox: 'db' });
    assert.equal(c.status, 201);
    assert.equal(c.body.dns, undefined);
    assert.deepEqual(t.controller.core.dns.listeners(t.controller.networks.get('bridge').id), []);
  });
});

describe('DNS through the API: a restart serves the same names', () => {
  it('reopening the same store file answers for the endpoints joined before', async () => {
    const dbPath = join(dir, 'restart.db');
    const kernel = createFakeKernel();
    const first = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], dns: dnsOptions, fake: kernel, dbPath });
    const req1 = client(first);
    assert.equal((await req1('POST', '/v1/networks', subnetNet('keep', 21))).status, 201);
    assert.equal((await req1('POST', '/v1/sandboxes', { name: 'stays' })).status, 201);
    assert.equal((await req1('POST', '/v1/networks/keep/connect', { sandbox: 'stays', ipv4Address: '127.53.21.10', aliases: ['still'] })).status, 201);
    await first.close();

    const second = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], dns: dnsOptions, fake: kernel, dbPath });
    try {
      assert.deepEqual(await ask(second, 'keep', 'stays', '127.53.21.10'), { rcode: 'NOERROR', answers: ['127.53.21.10'] });
      assert.deepEqual(await ask(second, 'keep', 'still', '127.53.21.10'), { rcode: 'NOERROR', answers: ['127.53.21.10'] });
      assert.deepEqual((await client(second)('GET', '/v1/sandboxes/stays')).body.dns, { nameservers: ['127.53.21.1'], search: [SEARCH_DOMAIN] });
    } finally {
      await second.close();
    }
  });
});

describe('DNS through the API: port 53 taken, and DNS turned off', () => {
  let blocker: Socket;
  let port: number;
  before(async () => {
    blocker = createSocket('udp4');
    await new Promise<void>((r) => blocker.bind({ address: '127.53.31.1', port: 0 }, () => r()));
    port = blocker.address().port;
  });
  after(() => new Promise<void>((r) => blocker.close(() => r())));

  it('the DNS port taken on the gateway refuses the create with 409 and leaves no network, bridge or pool', async () => {
    const t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], dns: { ...dnsOptions, port } });
    const req = client(t);
    try {
      const linksBefore = (await t.kernel.links(null)).map((l) => l.name).sort();
      const r = await req('POST', '/v1/networks', subnetNet('taken', 31));
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.code, 'PB_ERR_PORT_IN_USE');
      assert.match(r.body.message, new RegExp(`127\\.53\\.31\\.1:${port}/udp`));
      assert.equal((await req('GET', '/v1/networks/taken')).status, 404);
      assert.deepEqual((await t.kernel.links(null)).map((l) => l.name).sort(), linksBefore);
      assert.equal((await req('POST', '/v1/networks', subnetNet('other', 32))).status, 201, 'the service still serves other networks');
      assert.equal((await req('POST', '/v1/networks', { name: 'reuse', options: { [DNS_OPTION]: 'false' }, ipam: { config: [{ subnet: '127.53.31.0/24' }] } })).status, 201, 'the subnet was given back');
    } finally {
      await t.close();
    }
  });

  it('-o patchbay.dns=false: no server, no dns in answers, no resolv.conf; a bad value is refused', async () => {
    const t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], dns: dnsOptions });
    const req = client(t);
    try {
      const bad = await req('POST', '/v1/networks', subnetNet('odd', 41, { options: { [DNS_OPTION]: 'maybe' } }));
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, 'PB_ERR_INVALID_OPTION');
      assert.equal((await req('GET', '/v1/networks/odd')).status, 404);
      const n = await req('POST', '/v1/networks', subnetNet('quiet', 42, { options: { [DNS_OPTION]: 'False' } }));
      assert.equal(n.status, 201);
      assert.equal(n.body.options[DNS_OPTION], 'false');
      assert.deepEqual(t.controller.core.dns.listeners(n.body.id), []);
      const sb = (await req('POST', '/v1/sandboxes', { name: 's1' })).body;
      const c = await req('POST', '/v1/networks/quiet/connect', { sandbox: 's1' });
      assert.equal(c.status, 201);
      assert.equal(c.body.dns, undefined);
      assert.equal((await req('GET', '/v1/sandboxes/s1')).body.dns, undefined);
      assert.equal(existsSync(resolvConfOf(t, sb.id)), false);
    } finally {
      await t.close();
    }
  });

  it('--dns=false: no service at all', async () => {
    const t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24', '--dns=false'], dns: dnsOptions });
    const req = client(t);
    try {
      assert.equal(t.controller.core.dns.enabled, false);
      const n = await req('POST', '/v1/networks', subnetNet('plain', 43));
      assert.equal(n.status, 201);
      assert.deepEqual(t.controller.core.dns.listeners(n.body.id), []);
      const sb = (await req('POST', '/v1/sandboxes', { name: 's2' })).body;
      const c = await req('POST', '/v1/networks/plain/connect', { sandbox: 's2' });
      assert.equal(c.body.dns, undefined);
      assert.equal(existsSync(resolvConfOf(t, sb.id)), false);
    } finally {
      await t.close();
    }
  });
});
