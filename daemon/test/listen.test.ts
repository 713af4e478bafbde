import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import { parseFlags } from '../src/config.js';
import { listenAll, parseHost } from '../src/listen.js';
import { requestSocket } from '../../test/helpers/daemon.js';

const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'pblisten-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function app() {
  const a = Fastify();
  a.get('/ping', async () => ({ ok: true }));
  return a;
}

describe('listeners', () => {
  it('parses -H forms and refuses nonsense', () => {
    assert.deepEqual(parseHost('unix:///run/x.sock'), { kind: 'unix', path: '/run/x.sock' });
    assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375 });
    assert.deepEqual(parseHost('tcp://[::1]:2375'), { kind: 'tcp', host: '::1', port: 2375 });
    assert.throws(() => parseHost('unix://relative.sock'), /absolute/);
    assert.throws(() => parseHost('tcp://127.0.0.1:99999'), /invalid -H/);
    assert.throws(() => parseHost('ftp://x'), /invalid -H/);
  });

  it('the unix socket is mode 0660 and serves requests', async () => {
    const sock = join(dir, 'a.sock');
    const close = await listenAll(app(), parseFlags(['-H', `unix://${sock}`]), log);
    assert.equal(statSync(sock).mode & 0o777, 0o660);
    assert.equal((await requestSocket(sock, 'GET', '/ping')).status, 200);
    await close();
  });

  it('a unix-only app (the CNI API) is reached on the unix socket and never over TCP', async () => {
    const sock = join(dir, 'b.sock');
    const port = await freePort();
    const cni = Fastify();
    cni.post('/cni/v1/exec', async () => ({ cni: true }));
    const close = await listenAll(app(), parseFlags(['-H', `unix://${sock}`, '-H', `tcp://127.0.0.1:${port}`]), log, [{ prefix: '/cni/', app: cni }]);
    const overUnix = await requestSocket(sock, 'POST', '/cni/v1/exec', {});
    assert.deepEqual([overUnix.status, overUnix.body], [200, { cni: true }]);
    assert.equal((await requestSocket(sock, 'GET', '/ping')).status, 200);
    const overTcp = await fetch(`http://127.0.0.1:${port}/cni/v1/exec`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(overTcp.status, 404);
    await overTcp.text();
    await close();
  });

  it('refuses a non-loopback TCP address without TLS', async () => {
    await assert.rejects(listenAll(app(), parseFlags(['-H', 'tcp://192.0.2.10:2376']), log), /without TLS/);
  });

  it('serves TLS with --tlscert/--tlskey', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const port = await freePort();
    const close = await listenAll(app(), parseFlags(['-H', `tcp://127.0.0.1:${port}`, '--tlscert', cert, '--tlskey', key]), log);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/ping', ca: readFileSync(cert) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    await close();
  });
});
