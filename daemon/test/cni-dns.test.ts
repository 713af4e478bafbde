import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SEARCH_DOMAIN } from '../src/dns/index.js';
import { buildCniTestApp, cniConf, cniEnv, type CniTestApp } from './helpers/cni-app.js';
import { queryUdp } from './helpers/dns.js';

/**
 * CNI attachments on a network that serves DNS: the result names the network's server (issue 14),
 * and the runtime's aliases resolve there until the DEL. The servers listen on loopback subnets.
 */
describe('CNI and DNS', () => {
  let t: CniTestApp;
  let dir: string;
  const netns = (id: string) => `/var/run/netns/cni-dns-${id}`;
  const conf = (over: Record<string, unknown> = {}) =>
    cniConf({ name: 'dnsnet', ipam: { subnet: '127.53.31.0/24' }, runtimeConfig: { aliases: { dnsnet: ['web', 'frontend'] } }, ...over });
  const exec = (command: string, id: string, config = conf()) => t.exec(cniEnv(command, id, netns(id)), config);
  const ask = async (name: string) => {
    const net = t.controller.core.store.networkByName('dnsnet')!;
    const [listener] = t.controller.core.dns.listeners(net.id);
    assert.ok(listener, 'a DNS listener for dnsnet');
    const reply = await queryUdp(listener.address, listener.port, name, 'A', { from: '127.53.31.200', timeoutMs: 2000 });
    assert.ok(reply, `a reply for ${name}`);
    return { rcode: reply.rcode, answers: (reply.answers ?? []).map((a) => ('data' in a ? a.data : undefined)) };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pb-cni-dns-'));
    await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.53.200.9\n');
    t = await buildCniTestApp(['--bip', '10.200.0.1/24'], { resolvConfPath: join(dir, 'resolv.conf'), port: 0, forwardTimeoutMs: 200 });
    for (const id of ['c1', 'c2']) t.kernel.addForeignNetns(netns(id));
  });
  after(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ADD answers the network\'s nameserver and search domain, ahead of those the configuration gives', async () => {
    const r = await exec('ADD', 'c1', conf({ dns: { nameservers: ['192.0.2.53'], search: ['example.test'], options: ['ndots:2'] } }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.dns, { nameservers: ['127.53.31.1', '192.0.2.53'], search: [SEARCH_DOMAIN, 'example.test'], options: ['ndots:2'] });
    assert.deepEqual(await ask('frontend'), { rcode: 'NOERROR', answers: ['127.53.31.2'] });
  });

  it('the runtime\'s aliases resolve while attached and stop at the DEL', async () => {
    const r = await exec('ADD', 'c2', conf({ runtimeConfig: { aliases: { dnsnet: ['db'] } } }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.dns, { nameservers: ['127.53.31.1'], search: [SEARCH_DOMAIN] });
    assert.deepEqual(await ask('db'), { rcode: 'NOERROR', answers: ['127.53.31.3'] });
    assert.equal((await exec('DEL', 'c2')).status, 204);
    assert.equal((await ask('db')).rcode, 'NXDOMAIN');
    assert.deepEqual(await ask('web'), { rcode: 'NOERROR', answers: ['127.53.31.2'] });
  });

  it('a network with -o patchbay.dns=false has no server: the result keeps the configuration\'s DNS', async () => {
    const off = cniConf({ name: 'quiet', ipam: { subnet: '127.53.32.0/24' }, dns: { nameservers: ['192.0.2.53'] } });
    const created = await t.app.inject({ method: 'POST', url: '/v1/networks', payload: { name: 'quiet', options: { 'patchbay.dns': 'false' }, ipam: { config: [{ subnet: '127.53.32.0/24' }] } } });
    assert.equal(created.statusCode, 201, created.body);
    t.kernel.addForeignNetns(netns('c3'));
    const r = await t.exec(cniEnv('ADD', 'c3', netns('c3')), off);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.dns, { nameservers: ['192.0.2.53'] });
  });
});
