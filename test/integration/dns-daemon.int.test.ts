/**
 * patchbayd's DNS end to end on the real kernel, in this file's own namespace: a real daemon,
 * two user networks (A, B), three sandboxes made through the API, a fake upstream resolver on an
 * address of this namespace (the daemon's resolv.conf, given by flag, names it). Queries come from
 * inside the sandboxes through `ip netns exec` (dig, busybox nslookup, ping by name through the
 * daemon's /etc/netns resolv.conf; /etc is a private overlay made by the test runner). The
 * upstream runs in this process, so every command runs asynchronously.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startFakeUpstream, type FakeUpstream } from '../../daemon/test/helpers/dns.js';
import { createTestDaemon, sh, type TestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

const UPSTREAM = '10.213.0.53';
const GW = { A: '10.211.0.1', B: '10.212.0.1' };
const IP = { s1: '10.211.0.11', s2: '10.211.0.12', s3: '10.212.0.13' };

const execAsync = promisify(execFile);
async function run(argv: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await execAsync(argv[0]!, argv.slice(1), { timeout: 20_000 });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('patchbayd serves names on its networks (real kernel)', () => {
  let d: TestDaemon;
  let upstream: FakeUpstream;
  const netns: Record<string, string> = {};

  /** dig from inside a sandbox: the status and the answers' data. */
  async function dig(sandbox: string, server: string, name: string): Promise<{ status: string; answers: string[] }> {
    const r = await run(['ip', 'netns', 'exec', netns[sandbox]!, 'dig', '+tries=2', '+time=2', `@${server}`, name]);
    const status = /status: (\w+)/.exec(r.out)?.[1] ?? `no reply (${r.code}): ${r.out}`;
    const answers = r.out
      .split('\n')
      .filter((l) => l && !l.startsWith(';'))
      .map((l) => l.split(/\s+/).at(-1)!)
      .filter(Boolean);
    return { status, answers };
  }

  before(async () => {
    sh(['ip', 'addr', 'add', `${UPSTREAM}/32`, 'dev', 'lo']);
    upstream = await startFakeUpstream(UPSTREAM, { 'example.test': '192.0.2.10' }, { port: 53 });
    const dir = mkdtempSync(join(tmpdir(), 'pbd-dns-'));
    const resolvConf = join(dir, 'resolv.conf');
    writeFileSync(resolvConf, `nameserver ${UPSTREAM}\n`);
    d = createTestDaemon(['--bip', '10.210.0.1/24', '--dns-resolv-conf', resolvConf], { dir });
    await d.start();
    for (const [name, subnet] of [['neta', '10.211.0.0/24'], ['netb', '10.212.0.0/24']]) {
      const r = await d.req('POST', '/v1/networks', { name, ipam: { config: [{ subnet }] } });
      assert.equal(r.status, 201, r.text);
    }
    const plan = [
      { name: 's1', net: 'neta', ip: IP.s1, aliases: ['web'] },
      { name: 's2', net: 'neta', ip: IP.s2, aliases: ['api', 'web'] },
      { name: 's3', net: 'netb', ip: IP.s3, aliases: ['db'] },
    ];
    for (const sb of plan) {
      const s = await d.req('POST', '/v1/sandboxes', { name: sb.name });
      assert.equal(s.status, 201, s.text);
      netns[sb.name] = basename(s.body.key);
      const c = await d.req('POST', `/v1/networks/${sb.net}/connect`, { sandbox: sb.name, ipv4Address: sb.ip, aliases: sb.aliases });
      assert.equal(c.status, 201, c.text);
      assert.deepEqual(c.body.dns.nameservers, [sb.net === 'neta' ? GW.A : GW.B]);
    }
  });

  after(async () => {
    await d?.cleanup();
    await upstream?.close();
  });

  it('the sandbox view shows the nameserver; its resolv.conf is in /etc/netns', async () => {
    const s = await d.req('GET', '/v1/sandboxes/s1');
    assert.deepEqual(s.body.dns, { nameservers: [GW.A], search: ['patchbay.internal'] });
    assert.match(readFileSync(`/etc/netns/${netns.s1}/resolv.conf`, 'utf8'), new RegExp(`^nameserver ${GW.A.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('names and aliases on the same network resolve (dig and busybox nslookup); a shared alias gives both', async () => {
    assert.deepEqual(await dig('s1', GW.A, 's2'), { status: 'NOERROR', answers: [IP.s2] });
    assert.deepEqual(await dig('s2', GW.A, 'S1.patchbay.internal'), { status: 'NOERROR', answers: [IP.s1] });
    assert.deepEqual(await dig('s3', GW.B, 'db'), { status: 'NOERROR', answers: [IP.s3] });
    const shared = await dig('s1', GW.A, 'web');
    assert.deepEqual([shared.status, shared.answers.sort()], ['NOERROR', [IP.s1, IP.s2]]);
    const ns = await run(['ip', 'netns', 'exec', netns.s1!, 'busybox', 'nslookup', 'api', GW.A]);
    assert.equal(ns.code, 0, ns.out);
    assert.match(ns.out, /Address:? 10\.211\.0\.12/);
  });

  it('the other network\'s names are NXDOMAIN', async () => {
    assert.deepEqual(await dig('s1', GW.A, 's3'), { status: 'NXDOMAIN', answers: [] });
    assert.deepEqual(await dig('s1', GW.A, 'db'), { status: 'NXDOMAIN', answers: [] });
    assert.deepEqual(await dig('s3', GW.B, 'api'), { status: 'NXDOMAIN', answers: [] });
  });

  it('other names are forwarded to the upstream of the daemon\'s resolv.conf', async () => {
    const before = upstream.queries.length;
    assert.deepEqual(await dig('s3', GW.B, 'example.test'), { status: 'NOERROR', answers: ['192.0.2.10'] });
    assert.deepEqual(await dig('s1', GW.A, 'nothing.example.test'), { status: 'NXDOMAIN', answers: [] });
    assert.equal(upstream.queries.length, before + 2);
  });

  it('ping by name from a sandbox through ip netns exec (resolv.conf bind mount)', async () => {
    const ping = await run(['ip', 'netns', 'exec', netns.s1!, 'ping', '-c', '1', '-W', '2', 'api']);
    assert.equal(ping.code, 0, ping.out);
    assert.match(ping.out, /10\.211\.0\.12/);
  });

  it('records vanish on disconnect, with the sandbox\'s resolv.conf', async () => {
    assert.equal((await d.req('POST', '/v1/networks/neta/disconnect', { sandbox: 's2' })).status, 204);
    assert.deepEqual(await dig('s1', GW.A, 'api'), { status: 'NXDOMAIN', answers: [] });
    assert.deepEqual(await dig('s1', GW.A, 'web'), { status: 'NOERROR', answers: [IP.s1] });
    assert.equal(existsSync(`/etc/netns/${netns.s2}/resolv.conf`), false);
  });

  it('a restart serves the same names', async () => {
    assert.equal(await d.stop(), 0);
    await d.start();
    assert.deepEqual(await dig('s1', GW.A, 'web'), { status: 'NOERROR', answers: [IP.s1] });
    assert.deepEqual(await dig('s3', GW.B, 'db'), { status: 'NOERROR', answers: [IP.s3] });
    assert.deepEqual(await dig('s1', GW.A, 'api'), { status: 'NXDOMAIN', answers: [] });
    const ping = await run(['ip', 'netns', 'exec', netns.s3!, 'ping', '-c', '1', '-W', '2', 's3']);
    assert.equal(ping.code, 0, ping.out);
  });

  it('port 53 taken on a new network\'s gateway: 409, and no network or bridge is left', async () => {
    sh(['ip', 'addr', 'add', '10.214.0.1/32', 'dev', 'lo']);
    const blocker: Socket = createSocket('udp4');
    await new Promise<void>((r) => blocker.bind({ address: '10.214.0.1', port: 53 }, () => r()));
    try {
      const bridges = () => sh(['ip', '-o', 'link', 'show', 'type', 'bridge']).out.split('\n').filter(Boolean).length;
      const before = bridges();
      const r = await d.req('POST', '/v1/networks', { name: 'netc', ipam: { config: [{ subnet: '10.214.0.0/24' }] } });
      assert.equal(r.status, 409, r.text);
      assert.equal(r.body.code, 'PB_ERR_PORT_IN_USE');
      assert.equal((await d.req('GET', '/v1/networks/netc')).status, 404);
      assert.equal(bridges(), before);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
