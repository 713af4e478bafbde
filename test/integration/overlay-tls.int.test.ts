import { requireIsolatedNamespace } from '../helpers/isolation.js';
requireIsolatedNamespace();

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEtcdClient, type EtcdTls } from '../../daemon/src/cluster/etcd/index.js';
import { createTestDaemon, sh, type TestDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/etcd.js';

/**
 * --cluster-store-cacert/-cert/-key against a real etcd that serves https only and asks every
 * client for a certificate signed by its CA (--client-cert-auth): certificates the test makes with
 * openssl, etcd and the daemon on loopback inside the test's namespace.
 */
const dir = mkdtempSync(join(tmpdir(), 'pb-etcd-tls-'));
const f = (name: string) => join(dir, name);
let etcd: ChildProcess | undefined;
let etcdLog = '';
let endpoint = '';
const daemons: TestDaemon[] = [];

function openssl(args: string[]) {
  sh(['openssl', ...args]);
}
/** A CA (name.pem, name.key) and, signed by it, certificates for etcd (server) and patchbayd (client). */
function makeCa(name: string) {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`), '-days', '2', '-subj', `/CN=${name}`]);
}
function makeCert(name: string, ca: string, ext: string) {
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`]);
  writeFileSync(f(`${name}.ext`), ext);
  openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.pem`), '-CAkey', f(`${ca}.key`), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.ext`)]);
}
const tls = (ca: string, client?: string): EtcdTls => ({ ca: readFileSync(f(`${ca}.pem`)), ...(client ? { cert: readFileSync(f(`${client}.pem`)), key: readFileSync(f(`${client}.key`)) } : {}) });

async function keys(prefix: string) {
  const c = createEtcdClient({ endpoints: [endpoint], tls: tls('ca', 'client') });
  try {
    return (await c.range(prefix, { prefix: true })).kvs.map((kv) => kv.key);
  } finally {
    c.close();
  }
}

function daemon(certFlags: string[]): TestDaemon {
  const d = createTestDaemon(['--bridge', 'none', '--dns=false', '--cluster-store', `etcd://${endpoint}`, '--cluster-advertise', 'ul0', ...certFlags]);
  daemons.push(d);
  return d;
}

describe('cluster store over TLS (a real etcd with client certificate authentication)', () => {
  before(async () => {
    sh(['ip', 'link', 'add', 'ul0', 'type', 'bridge']);
    sh(['ip', 'addr', 'add', '192.0.2.1/24', 'dev', 'ul0']);
    sh(['ip', 'link', 'set', 'ul0', 'up']);
    makeCa('ca');
    makeCa('other-ca');
    // etcd's gRPC gateway dials etcd itself with this certificate: it must be good for both ends
    makeCert('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
    makeCert('client', 'ca', 'extendedKeyUsage=clientAuth\n');
    makeCert('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    endpoint = `127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    etcd = spawn('etcd', [
      '--name', 'tls', '--data-dir', f('data'), '--log-level', 'warn',
      '--listen-client-urls', `https://${endpoint}`, '--advertise-client-urls', `https://${endpoint}`,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `tls=${peer}`,
      '--cert-file', f('server.pem'), '--key-file', f('server.key'), '--client-cert-auth', '--trusted-ca-file', f('ca.pem'),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    etcd.stdout!.on('data', (b) => (etcdLog += b));
    etcd.stderr!.on('data', (b) => (etcdLog += b));
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await keys('/');
        break;
      } catch (err) {
        if (etcd.exitCode !== null || Date.now() > deadline) throw new Error(`etcd (https) did not come up: ${(err as Error).message}\n${etcdLog}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  after(async () => {
    for (const d of daemons) await d.cleanup();
    if (etcd && etcd.exitCode === null) {
      const gone = new Promise((r) => etcd!.once('exit', r));
      etcd.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('with the CA, a client certificate and its key: a global network is claimed in etcd over https', async () => {
    const d = daemon(['--cluster-store-cacert', f('ca.pem'), '--cluster-store-cert', f('client.pem'), '--cluster-store-key', f('client.key')]);
    await d.start();
    const made = await d.req('POST', '/v1/networks', { name: 'tlsnet', driver: 'overlay' });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.scope, 'global');
    assert.ok((await keys('/patchbay/v1/names/')).some((k) => k.endsWith('/tlsnet')), 'the name is claimed in etcd');
    const sb = await d.req('POST', '/v1/sandboxes', { name: 'c1' });
    assert.equal((await d.req('POST', '/v1/networks/tlsnet/connect', { sandbox: sb.body.id })).status, 201);
    assert.equal((await keys('/patchbay/v1/endpoints/')).length, 1, 'the endpoint is published');
    assert.equal((await d.req('POST', '/v1/networks/tlsnet/disconnect', { sandbox: sb.body.id })).status, 204);
    assert.equal((await d.req('DELETE', '/v1/networks/tlsnet')).status, 204);
    assert.deepEqual(await keys('/patchbay/v1/names/'), []);
    await d.stop('SIGTERM');
  });

  for (const [what, flags] of [
    ['a client certificate etcd\'s CA did not sign', () => ['--cluster-store-cacert', f('ca.pem'), '--cluster-store-cert', f('stranger.pem'), '--cluster-store-key', f('stranger.key')]],
    ['no client certificate', () => ['--cluster-store-cacert', f('ca.pem')]],
    ['a CA that did not sign etcd\'s certificate', () => ['--cluster-store-cacert', f('other-ca.pem'), '--cluster-store-cert', f('client.pem'), '--cluster-store-key', f('client.key')]],
  ] as const) {
    it(`with ${what}: global operations get a clear 503, nothing reaches etcd, local networks work`, async () => {
      const d = daemon(flags());
      await d.start();
      const refused = await d.req('POST', '/v1/networks', { name: 'nope', driver: 'overlay' });
      assert.equal(refused.status, 503, refused.text);
      assert.match(refused.body.message, /cluster store \(etcd\) is unavailable/);
      assert.deepEqual(await keys('/patchbay/v1/names/'), []);
      const local = await d.req('POST', '/v1/networks', { name: 'local1', ipam: { config: [{ subnet: '10.231.0.0/24' }] } });
      assert.equal(local.status, 201, local.text);
      assert.equal((await d.req('DELETE', '/v1/networks/local1')).status, 204);
      await d.stop('SIGTERM');
    });
  }
});
