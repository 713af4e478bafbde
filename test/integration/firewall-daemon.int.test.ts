/**
 * The firewall through the daemon, on the real kernel: everything is set up through the API, and
 * traffic between sandboxes, the host and an "outside" namespace (joined to this test's namespace,
 * which plays the host, by a veth: 10.250.0.1 host ↔ 10.250.0.2 outside) shows what the rules do.
 */
import { requireIsolatedNamespace } from '../helpers/isolation.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type TestDaemon } from '../helpers/daemon.js';

requireIsolatedNamespace();

const HOST = '10.250.0.1';
const OUTSIDE = '/run/netns/outside';
const PORT = 18080;

/** Answers every connection with the peer address it sees, so a test can tell DNAT from SNAT. */
const SERVER = `require('net').createServer((s) => s.end(s.remoteAddress + '\\n')).listen(Number(process.argv[1]), '0.0.0.0', () => console.log('ready'))`;
const CLIENT = `const s = require('net').connect(Number(process.argv[2]), process.argv[1]); let d = '';
s.setTimeout(1500, () => process.exit(2)); s.on('data', (x) => (d += x)); s.on('end', async () => { process.stdout.write(d); process.exit(0); }); s.on('error', () => process.exit(1));`;

const nsArgv = (key: string | null, argv: string[]) => (key === null ? argv : ['nsenter', `--net=${key}`, '--', ...argv]);

const servers: ChildProcess[] = [];
async function serve(key: string, port: number): Promise<void> {
  const argv = nsArgv(key, [process.execPath, '-e', SERVER, String(port)]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server in ${key} did not start`)), 10_000);
    child.stdout!.once('data', () => (clearTimeout(timer), resolve()));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`server in ${key} exited with ${code}`))));
  });
}

/**
 * Runs a command without blocking the event loop: a blocked loop keeps the HTTP agent from
 * noticing that the daemon closed an idle keep-alive socket, and the next request fails (EPIPE).
 */
function run(argv: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let out = '';
    child.stdout!.on('data', (b) => (out += b));
    child.once('close', (code) => resolve({ code, out }));
  });
}

/** The source address the server saw, or undefined when no answer came. `key` null: this namespace. */
async function ask(key: string | null, host: string, port: number): Promise<string | undefined> {
  const r = await run(nsArgv(key, [process.execPath, '-e', CLIENT, host, String(port)]), 5000);
  return r.code === 0 ? r.out.trim() : undefined;
}

const pingOnce = async (key: string, ip: string) => (await run(nsArgv(key, ['ping', '-c', '1', '-W', '1', '-q', ip]), 5000)).code === 0;
/** A few tries for reachability (the first packet may wait for ARP); one try for isolation. */
async function reaches(key: string, ip: string): Promise<boolean> {
  for (let i = 0; i < 3; i++) if (await pingOnce(key, ip)) return true;
  return false;
}
const blocked = async (key: string, ip: string) => !(await pingOnce(key, ip));

const tables = () => sh(['nft', 'list', 'tables']).out;
const addr = (cidr: string | null) => cidr!.split('/')[0]!;

describe('firewall through the daemon (real kernel)', () => {
  let d: TestDaemon;
  type Sb = { id: string; key: string };
  type Ep = { ipv4Address: string; gateway: string; ports: { hostPort: number; containerPort: number; protocol: string }[] };
  const sb: Record<string, Sb> = {};
  const ep: Record<string, Ep> = {};

  async function connect(net: string, name: string, ports?: unknown[]): Promise<void> {
    if (!sb[name]) {
      const s = await d.req('POST', '/v1/sandboxes', { name });
      assert.equal(s.status, 201, s.text);
      sb[name] = s.body;
    }
    const c = await d.req('POST', `/v1/networks/${net}/connect`, { sandbox: name, ...(ports ? { ports } : {}) });
    assert.equal(c.status, 201, c.text);
    ep[name] = c.body;
  }

  before(async () => {
    sh(['ip', 'netns', 'add', 'outside']);
    sh(['ip', 'link', 'add', 'v-out', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'outside']);
    sh(['ip', 'addr', 'add', `${HOST}/24`, 'dev', 'v-out']);
    sh(['ip', 'link', 'set', 'v-out', 'up']);
    sh(['ip', '-n', 'outside', 'addr', 'add', '10.250.0.2/24', 'dev', 'eth0']);
    sh(['ip', '-n', 'outside', 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', 'outside', 'link', 'set', 'lo', 'up']);
    // a route back to the sandbox subnets: without it, an unmasqueraded or internal packet could
    // not be answered anyway, and the checks below would prove nothing about the firewall
    sh(['ip', '-n', 'outside', 'route', 'add', '10.168.0.0/13', 'via', HOST]);

    d = createTestDaemon(['--bip', '10.170.0.1/24', '--firewall-check-interval', '1']);
    await d.start();
    const nets: [string, string, Record<string, unknown>][] = [
      ['neta', '10.171.0.0/24', {}],
      ['netb', '10.172.0.0/24', {}],
      ['quiet', '10.173.0.0/24', { options: { 'com.docker.network.bridge.enable_icc': 'false' } }],
      ['inner', '10.174.0.0/24', { internal: true }],
    ];
    for (const [name, subnet, extra] of nets) {
      const r = await d.req('POST', '/v1/networks', { name, ipam: { config: [{ subnet }] }, ...extra });
      assert.equal(r.status, 201, r.text);
    }
    await connect('neta', 'a1', [{ containerPort: 8080, hostPort: PORT }]);
    await connect('neta', 'a2', [{ containerPort: 8080 }]);
    await connect('netb', 'b1');
    await connect('quiet', 'q1');
    await connect('quiet', 'q2');
    await connect('inner', 'i1');
    await serve(sb.a1!.key, 8080);
    await serve(sb.a2!.key, 8080);
    await serve(OUTSIDE, 7000);
  });

  after(async () => {
    for (const child of servers) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    await d?.cleanup();
  });

  it('isolates networks from each other; each sandbox reaches its gateway', async () => {
    assert.ok(await reaches(sb.a1!.key, ep.a1!.gateway), 'a1 → gateway A');
    assert.ok(await reaches(sb.b1!.key, ep.b1!.gateway), 'b1 → gateway B');
    assert.ok(await reaches(sb.a1!.key, addr(ep.a2!.ipv4Address)), 'a1 → a2 (same network, ICC on)');
    assert.ok(await blocked(sb.a1!.key, addr(ep.b1!.ipv4Address)), 'a1 → b1 dropped');
    assert.ok(await blocked(sb.b1!.key, addr(ep.a1!.ipv4Address)), 'b1 → a1 dropped');
  });

  it('ICC off: two sandboxes of one network cannot reach each other, but reach the gateway', async () => {
    assert.ok(await reaches(sb.q1!.key, ep.q1!.gateway), 'q1 → gateway');
    assert.ok(await reaches(sb.q2!.key, ep.q2!.gateway), 'q2 → gateway');
    assert.ok(await blocked(sb.q1!.key, addr(ep.q2!.ipv4Address)), 'q1 → q2 dropped');
    assert.ok(await blocked(sb.q2!.key, addr(ep.q1!.ipv4Address)), 'q2 → q1 dropped');
  });

  it('a normal network reaches the outside masqueraded as the host; an internal one nothing beyond its subnet', async () => {
    assert.equal(await ask(sb.a1!.key, '10.250.0.2', 7000), HOST, 'outside sees the host address');
    assert.equal(await ask(sb.b1!.key, '10.250.0.2', 7000), HOST);
    assert.equal(ep.i1!.gateway !== null, true);
    // the daemon gives an internal sandbox no default route; add one, so only the firewall stops it
    inNs(sb.i1!.key, ['ip', 'route', 'add', 'default', 'via', ep.i1!.gateway]);
    assert.equal(await ask(sb.i1!.key, '10.250.0.2', 7000), undefined, 'internal → outside dropped');
    assert.ok(await blocked(sb.i1!.key, '10.250.0.2'), 'internal → outside (ping) dropped');
    assert.ok(await blocked(OUTSIDE, addr(ep.i1!.ipv4Address)), 'outside → internal dropped');
  });

  it('a published port answers the outside, another network, the same network, itself and 127.0.0.1', async () => {
    assert.deepEqual(ep.a1!.ports.map((p) => [p.hostPort, p.containerPort, p.protocol]), [[PORT, 8080, 'tcp']]);
    assert.equal(await ask(OUTSIDE, HOST, PORT), '10.250.0.2', 'outside → host:P, DNAT keeps the client address');
    assert.ok(await ask(sb.b1!.key, HOST, PORT), 'other network → host:P');
    assert.ok(await ask(sb.a2!.key, HOST, PORT), 'same network → host:P');
    assert.ok(await ask(sb.a1!.key, HOST, PORT), 'the publishing sandbox → its own host:P (hairpin)');
    assert.ok(await ask(null, '127.0.0.1', PORT), 'host → 127.0.0.1:P');
    assert.equal(await ask(OUTSIDE, HOST, PORT + 1), undefined, 'an unpublished port does not answer');
  });

  it('an auto-assigned host port is returned by the API and works', async () => {
    const [port] = ep.a2!.ports;
    assert.ok(port && port.containerPort === 8080 && port.hostPort >= 1024, JSON.stringify(ep.a2!.ports));
    const listed = await d.req('GET', '/v1/networks/neta/endpoints');
    assert.ok((listed.body as Ep[]).some((e) => e.ports.some((p) => p.hostPort === port.hostPort)));
    assert.equal(await ask(OUTSIDE, HOST, port.hostPort), '10.250.0.2');
    assert.ok(await ask(null, '127.0.0.1', port.hostPort));
  });

  it('refuses a host port published twice (409) and ports on an internal network (4xx)', async () => {
    const x = await d.req('POST', '/v1/sandboxes', { name: 'x1' });
    assert.equal(x.status, 201, x.text);
    sb.x1 = x.body;
    const twice = await d.req('POST', '/v1/networks/netb/connect', { sandbox: 'x1', ports: [{ containerPort: 80, hostPort: PORT }] });
    assert.equal(twice.status, 409, twice.text);
    const inner = await d.req('POST', '/v1/networks/inner/connect', { sandbox: 'x1', ports: [{ containerPort: 80 }] });
    assert.ok(inner.status >= 400 && inner.status < 500, `${inner.status} ${inner.text}`);
    const s = await d.req('GET', '/v1/sandboxes/x1');
    assert.deepEqual(s.body.endpoints, [], 'no endpoint is left of the refused connects');
    assert.equal(await ask(OUTSIDE, HOST, PORT), '10.250.0.2', 'the first publication still works');
  });

  it('restores the rules after `nft flush ruleset` within the check interval', async () => {
    sh(['nft', 'flush', 'ruleset']);
    assert.doesNotMatch(tables(), /patchbay/);
    const start = Date.now();
    let answer: string | undefined;
    while (Date.now() - start < 5000 && answer === undefined) {
      if (/patchbay/.test(tables())) answer = await ask(OUTSIDE, HOST, PORT);
      if (answer === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(answer, '10.250.0.2', `published port works again (after ${Date.now() - start} ms)`);
    assert.ok(await blocked(sb.a1!.key, addr(ep.b1!.ipv4Address)), 'isolation is back too');
    assert.match(d.logs(), /firewall rules missing or changed; re-applying/);
  });

  it('once everything is deleted, --cleanup leaves no patchbay table', async () => {
    for (const [name, e] of Object.entries(ep)) {
      const net = (await d.req('GET', `/v1/sandboxes/${name}`)).body.endpoints[0].networkName as string;
      const r = await d.req('POST', `/v1/networks/${net}/disconnect`, { sandbox: name });
      assert.ok(r.status < 300, `${name}: ${r.status} ${r.text} ${e.ipv4Address}`);
    }
    for (const name of Object.keys(sb)) assert.equal((await d.req('DELETE', `/v1/sandboxes/${name}`)).status, 204, name);
    for (const name of ['neta', 'netb', 'quiet', 'inner']) assert.equal((await d.req('DELETE', `/v1/networks/${name}`)).status, 204, name);
    assert.equal(await ask(OUTSIDE, HOST, PORT), undefined, 'the publication went with its endpoint');
    assert.equal(await d.stop(), 0);
    await assert.rejects(d.start([...d.args, '--cleanup']), /patchbayd exited with 0:/);
    assert.doesNotMatch(tables(), /patchbay/);
  });
});
