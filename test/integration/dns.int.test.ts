/**
 * patchbay's DNS on the real kernel, in this file's own namespace: two bridges with gateway
 * addresses (networks A and B), three sandboxes (named netns on veth pairs), a fake upstream
 * resolver on a dummy interface here, and the server on each gateway's port 53. Queries come
 * from inside the sandboxes with dig, busybox nslookup, getent and ping. The server runs in this
 * process, so every command that queries it runs asynchronously (a blocking spawn would stall
 * the server it is asking).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PatchbayError } from '@patchbay/errors';
import { createDnsService, removeSandboxResolvConf, SEARCH_DOMAIN, writeSandboxResolvConf, type DnsService } from '../../daemon/src/dns/index.js';
import { silentLog, startFakeUpstream, type FakeUpstream } from '../../daemon/test/helpers/dns.js';
import { sh } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

const CID = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const NETS = {
  A: { id: 'net-a', name: 'neta', bridge: 'pbdA', gateway4: '10.201.0.1', subnet: '10.201.0.0/24' },
  B: { id: 'net-b', name: 'netb', bridge: 'pbdB', gateway4: '10.202.0.1', subnet: '10.202.0.0/24' },
};
const SANDBOXES = [
  { name: 'sa1', net: NETS.A, ip: '10.201.0.2', names: ['web', 'frontend'], containerId: CID },
  { name: 'sa2', net: NETS.A, ip: '10.201.0.3', names: ['api', 'frontend'] },
  { name: 'sb1', net: NETS.B, ip: '10.202.0.2', names: ['db'] },
];
const UPSTREAM = '10.203.0.53';

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

/** dig from inside a sandbox: the status and the answers' data. */
async function dig(sandbox: string, server: string, name: string, extra: string[] = []): Promise<{ status: string; answers: string[] }> {
  const r = await run(['ip', 'netns', 'exec', sandbox, 'dig', '+tries=1', '+time=3', `@${server}`, ...extra, name]);
  const status = /status: (\w+)/.exec(r.out)?.[1] ?? `no reply (${r.code}): ${r.out}`;
  const answers = r.out
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.split(/\s+/).at(-1)!)
    .filter(Boolean);
  return { status, answers };
}

let etcOverlay: string | undefined;
/**
 * `ip netns exec` bind-mounts /etc/netns/<name>/resolv.conf; /etc/netns is made writable here
 * through an overlay on /etc in this file's private mount namespace, so the host's /etc is never
 * written.
 */
function privateEtc(): void {
  etcOverlay = mkdtempSync(join(tmpdir(), 'pb-dns-etc-'));
  sh(['mount', '-t', 'tmpfs', 'tmpfs', etcOverlay]);
  sh(['mkdir', join(etcOverlay, 'upper'), join(etcOverlay, 'work')]);
  sh(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=/etc,upperdir=${etcOverlay}/upper,workdir=${etcOverlay}/work`, '/etc']);
}

function buildTopology(): void {
  for (const net of Object.values(NETS)) {
    sh(['ip', 'link', 'add', net.bridge, 'type', 'bridge']);
    sh(['ip', 'addr', 'add', `${net.gateway4}/24`, 'dev', net.bridge]);
    sh(['ip', 'link', 'set', net.bridge, 'up']);
  }
  for (const [i, sb] of SANDBOXES.entries()) {
    sh(['ip', 'netns', 'add', sb.name]);
    sh(['ip', 'link', 'add', `pbdv${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', sb.name]);
    sh(['ip', 'link', 'set', `pbdv${i}`, 'master', sb.net.bridge, 'up']);
    sh(['ip', '-n', sb.name, 'addr', 'add', `${sb.ip}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', sb.name, 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', sb.name, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', sb.name, 'route', 'add', 'default', 'via', sb.net.gateway4]);
  }
  sh(['ip', 'addr', 'add', `${UPSTREAM}/32`, 'dev', 'lo']);
}

describe('DNS on the real kernel: two networks, three sandboxes', () => {
  let dir: string | undefined;
  let upstream: FakeUpstream;
  let dns: DnsService;

  before(async () => {
    privateEtc();
    buildTopology();
    dir = mkdtempSync(join(tmpdir(), 'pb-dns-int-'));
    writeFileSync(join(dir, 'resolv.conf'), `nameserver ${UPSTREAM}\n`);
    upstream = await startFakeUpstream(UPSTREAM, { 'example.test': '192.0.2.10' }, { port: 53 });
    dns = createDnsService({ log: silentLog, resolvConfPath: join(dir, 'resolv.conf'), enabled: true });
    for (const net of Object.values(NETS)) await dns.addNetwork({ id: net.id, name: net.name, gateway4: net.gateway4, internal: false, subnets: [net.subnet] });
    for (const sb of SANDBOXES) {
      dns.upsertEndpoint(sb.net.id, { endpointId: `ep-${sb.name}`, sandboxId: sb.name, names: [sb.name, ...sb.names], ipv4: `${sb.ip}/24`, ...(sb.containerId && { containerId: sb.containerId }) });
    }
  });

  after(async () => {
    await dns?.close();
    await upstream?.close();
    for (const sb of SANDBOXES) sh(['ip', 'netns', 'delete', sb.name], { allowFail: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (etcOverlay) {
      sh(['umount', '/etc'], { allowFail: true });
      sh(['umount', etcOverlay], { allowFail: true });
      rmSync(etcOverlay, { recursive: true, force: true });
    }
  });

  it('names, aliases, the short id and the search domain resolve on their own network', async () => {
    assert.deepEqual(await dig('sa1', NETS.A.gateway4, 'api'), { status: 'NOERROR', answers: ['10.201.0.3'] });
    assert.deepEqual(await dig('sa1', NETS.A.gateway4, `WEB.${SEARCH_DOMAIN}`), { status: 'NOERROR', answers: ['10.201.0.2'] });
    assert.deepEqual(await dig('sa2', NETS.A.gateway4, CID.slice(0, 12)), { status: 'NOERROR', answers: ['10.201.0.2'] });
    const shared = await dig('sa2', NETS.A.gateway4, 'frontend');
    assert.deepEqual([shared.status, shared.answers.sort()], ['NOERROR', ['10.201.0.2', '10.201.0.3']]);
    assert.deepEqual(await dig('sb1', NETS.B.gateway4, 'db', ['+tcp']), { status: 'NOERROR', answers: ['10.202.0.2'] });
    assert.deepEqual(await dig('sa1', NETS.A.gateway4, '10.201.0.3', ['-x']), { status: 'NOERROR', answers: [`sa2.${SEARCH_DOMAIN}.`] });
  });

  it('busybox nslookup from a sandbox finds an alias', async () => {
    const r = await run(['ip', 'netns', 'exec', 'sa1', 'busybox', 'nslookup', 'api', NETS.A.gateway4]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Address:? 10\.201\.0\.3/);
  });

  it('another network\'s names are NXDOMAIN; its server refuses strangers', async () => {
    assert.deepEqual(await dig('sa1', NETS.A.gateway4, 'db'), { status: 'NXDOMAIN', answers: [] });
    assert.deepEqual(await dig('sb1', NETS.B.gateway4, 'web'), { status: 'NXDOMAIN', answers: [] });
    // B's sandbox reaches A's gateway through the host, but is not on A
    assert.deepEqual(await dig('sb1', NETS.A.gateway4, 'web'), { status: 'REFUSED', answers: [] });
  });

  it('other names go to the upstream in the test\'s namespace', async () => {
    const before = upstream.queries.length;
    assert.deepEqual(await dig('sa1', NETS.A.gateway4, 'example.test'), { status: 'NOERROR', answers: ['192.0.2.10'] });
    assert.deepEqual(await dig('sb1', NETS.B.gateway4, 'nothing.example.test', ['+tcp']), { status: 'NXDOMAIN', answers: [] });
    assert.equal(upstream.queries.length, before + 2);
  });

  it('through /etc/netns/<name>/resolv.conf: getent and ping by name', async () => {
    const config = dns.clientConfig(NETS.A.id)!;
    await writeSandboxResolvConf('sa1', config);
    const hosts = await run(['ip', 'netns', 'exec', 'sa1', 'getent', 'hosts', 'api']);
    assert.match(hosts.out, /^10\.201\.0\.3\s+api/m, hosts.out);
    const ping = await run(['ip', 'netns', 'exec', 'sa1', 'ping', '-c', '1', '-W', '2', 'api']);
    assert.equal(ping.code, 0, ping.out);
    await removeSandboxResolvConf('sa1');
  });

  it('a removed endpoint stops resolving at once', async () => {
    dns.removeEndpoint(NETS.A.id, 'ep-sa2');
    assert.deepEqual(await dig('sa1', NETS.A.gateway4, 'api'), { status: 'NXDOMAIN', answers: [] });
    assert.deepEqual(await dig('sa1', NETS.A.gateway4, 'frontend'), { status: 'NOERROR', answers: ['10.201.0.2'] });
  });

  it('redefined as internal (records kept): its names resolve, nothing is forwarded', async () => {
    await dns.addNetwork({ id: NETS.B.id, name: NETS.B.name, gateway4: NETS.B.gateway4, internal: true, subnets: [NETS.B.subnet] });
    const before = upstream.queries.length;
    assert.deepEqual(await dig('sb1', NETS.B.gateway4, 'db'), { status: 'NOERROR', answers: ['10.202.0.2'] });
    assert.deepEqual(await dig('sb1', NETS.B.gateway4, 'example.test'), { status: 'NXDOMAIN', answers: [] });
    assert.equal(upstream.queries.length, before);
  });

  it('port 53 taken on a gateway: a conflict naming the address', async () => {
    const second = createDnsService({ log: silentLog, resolvConfPath: join(dir!, 'resolv.conf'), enabled: true });
    try {
      await assert.rejects(
        second.addNetwork({ id: NETS.A.id, name: NETS.A.name, gateway4: NETS.A.gateway4, internal: false }),
        (e: unknown) => e instanceof PatchbayError && e.code === 'PB_ERR_PORT_IN_USE' && e.message.includes('10.201.0.1:53/udp'),
      );
    } finally {
      await second.close();
    }
    assert.equal((await dig('sa1', NETS.A.gateway4, 'web')).status, 'NOERROR', 'the first service is unharmed');
  });
});
