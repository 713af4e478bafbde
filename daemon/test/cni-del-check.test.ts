import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { findAttachment, removeAttachment } from '../src/cni/attachments.js';
import { buildCniTestApp, cniConf, cniEnv, type CniTestApp } from './helpers/cni-app.js';

let t: CniTestApp;
const ns = (id: string) => `/var/run/netns/cni-${id}`;
const store = () => t.controller.core.store;

/** ADD for container `id` in a fresh namespace; returns the result (the runtime's cached prevResult). */
async function added(id: string, conf: Record<string, unknown> = cniConf(), ifName = 'eth0') {
  if (!(await t.kernel.isNetns(ns(id)))) t.kernel.addForeignNetns(ns(id));
  const r = await t.exec(cniEnv('ADD', id, ns(id), ifName), conf);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
const del = (id: string, conf: Record<string, unknown> = cniConf(), netns = ns(id), ifName = 'eth0') => t.exec(cniEnv('DEL', id, netns, ifName), conf);
const check = (id: string, conf: Record<string, unknown>, ifName = 'eth0') => t.exec(cniEnv('CHECK', id, ns(id), ifName), conf);
const allocated = () => store().allocations().filter((a) => a.kind === 'endpoint').map((a) => a.address);

describe('CNI DEL', () => {
  beforeEach(async () => {
    await t?.close();
    t = await buildCniTestApp();
  });
  after(() => t.close());

  it('removes the attachment, frees its address and drops the sandbox record, never the namespace', async () => {
    const prevResult = await added('c1');
    const r = await del('c1', cniConf({ prevResult }));
    assert.equal(r.status, 204);
    assert.equal(r.body, undefined);
    assert.equal(store().sandboxByOrigin('cni', 'c1'), undefined);
    assert.deepEqual(allocated(), []);
    assert.equal(await t.kernel.isNetns(ns('c1')), true);
    assert.equal(await t.kernel.link(ns('c1'), 'eth0'), undefined);
  });

  it('is idempotent: twice, without prevResult, with an empty CNI_NETNS, for an unknown container or network', async () => {
    await added('c1');
    assert.equal((await del('c1', cniConf(), '')).status, 204);
    assert.equal(store().endpoints().length, 0);
    assert.equal((await del('c1')).status, 204);
    assert.equal((await del('never-added')).status, 204);
    assert.equal((await del('c1', cniConf({ name: 'no-such-network' }))).status, 204);
  });

  it('after the namespace is gone: success, and the address and ports are freed', async () => {
    await added('c1', cniConf({ runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] } }));
    t.kernel.removeForeignNetns(ns('c1'));
    assert.equal((await del('c1')).status, 204);
    assert.equal(store().sandboxes().filter((s) => s.origin === 'cni').length, 0);
    assert.deepEqual(allocated(), []);
    assert.deepEqual(store().db.prepare('SELECT * FROM ports').all(), []);
  });

  it('of one of two interfaces keeps the sandbox and the other interface', async () => {
    await added('c1');
    await added('c1', cniConf({ name: 'other', ipam: { subnet: '10.78.0.0/24' } }), 'eth1');
    assert.equal((await del('c1')).status, 204);
    const sb = store().sandboxByOrigin('cni', 'c1')!;
    assert.deepEqual(store().endpointsInSandbox(sb.id).map((e) => e.ifName), ['eth1']);
    assert.ok(await t.kernel.link(ns('c1'), 'eth1'));
    assert.ok((await t.kernel.routes(ns('c1'))).some((r) => r.dst === 'default' && r.gateway === '10.78.0.1'), 'the default route moved to the remaining network');
  });

  it('an attachment removed meanwhile (the periodic sweep) counts as removed', async () => {
    await added('c1');
    const att = findAttachment(t.controller, 'c1', 'eth0')!;
    await t.controller.sandboxes.remove(att.sandbox.id);
    await removeAttachment(t.controller, att);
    assert.equal(store().endpoints().length, 0);
  });

  it('naming another namespace leaves the live attachment alone', async () => {
    await added('c1');
    assert.equal((await del('c1', cniConf(), '/var/run/netns/cni-old')).status, 204);
    assert.equal(store().endpoints().length, 1);
  });

  it('needs CNI_CONTAINERID and CNI_IFNAME (error 4)', async () => {
    const r = await t.exec({ CNI_COMMAND: 'DEL', CNI_PATH: '/x' }, cniConf());
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { cniVersion: '1.0.0', code: 4, msg: 'required env variables [CNI_CONTAINERID,CNI_IFNAME] missing', details: 'PB_ERR_CNI_INVALID_ENV' });
  });
});

describe('CNI CHECK', () => {
  beforeEach(async () => {
    await t?.close();
    t = await buildCniTestApp();
  });

  for (const version of ['0.4.0', '1.0.0', '1.1.0']) {
    it(`passes for an intact ${version} attachment`, async () => {
      const prevResult = await added('c1', cniConf({ cniVersion: version }));
      const r = await check('c1', cniConf({ cniVersion: version, prevResult }));
      assert.equal(r.status, 204, JSON.stringify(r.body));
    });
  }

  it('fails once the address was removed by hand', async () => {
    const prevResult = await added('c1');
    await t.kernel.ip(ns('c1'), [{ op: 'addr.del', dev: 'eth0', cidr: '10.77.0.2/24' }]);
    const r = await check('c1', cniConf({ prevResult }));
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 102);
    assert.match(r.body.msg, /address 10\.77\.0\.2\/24 is missing from eth0/);
  });

  it('fails when the interface, its MAC or the default route differ from prevResult', async () => {
    const prevResult = await added('c1');
    const otherMac = structuredClone(prevResult);
    otherMac.interfaces[2].mac = '02:00:00:00:00:99';
    assert.match((await check('c1', cniConf({ prevResult: otherMac }))).body.msg, /has MAC .*prevResult says 02:00:00:00:00:99/);
    await t.kernel.ip(ns('c1'), [{ op: 'route.del', dst: 'default', via: '10.77.0.1' }]);
    assert.match((await check('c1', cniConf({ prevResult }))).body.details, /route 0\.0\.0\.0\/0 via 10\.77\.0\.1 is missing/);
    await t.kernel.ip(ns('c1'), [{ op: 'link.del', name: 'eth0' }]);
    assert.match((await check('c1', cniConf({ prevResult }))).body.msg, /interface eth0 is missing/);
  });

  it('fails when the kernel has the interface down or with another MAC (the driver’s endpoint check)', async () => {
    const prevResult = await added('c1');
    const mac = prevResult.interfaces[2].mac;
    await t.kernel.ip(ns('c1'), [{ op: 'link.set', name: 'eth0', up: false }]);
    const down = await check('c1', cniConf({ prevResult }));
    assert.equal(down.body.code, 102);
    assert.match(down.body.details, /eth0 is down/);
    await t.kernel.ip(ns('c1'), [{ op: 'link.set', name: 'eth0', up: true, mac: '02:00:00:00:00:99' }]);
    const changed = await check('c1', cniConf({ prevResult }));
    assert.equal(changed.body.code, 102);
    assert.match(changed.body.msg, new RegExp(`eth0 has MAC 02:00:00:00:00:99, the endpoint's is ${mac}`));
  });

  it('fails when prevResult lists an address patchbay does not hold for the attachment', async () => {
    const prevResult = await added('c1');
    const other = structuredClone(prevResult);
    other.ips[0].address = '10.77.0.9/24';
    const r = await check('c1', cniConf({ prevResult: other }));
    assert.equal(r.body.code, 102);
    assert.match(r.body.details, /prevResult lists 10\.77\.0\.9\/24 on eth0, patchbay does not hold it/);
    assert.match(r.body.details, /patchbay holds 10\.77\.0\.2\/24 for this attachment, prevResult does not list it/);
  });

  it('fails when the firewall rules were removed', async () => {
    const prevResult = await added('c1');
    await t.kernel.nftDeleteTable('inet', 'patchbay');
    const r = await check('c1', cniConf({ prevResult }));
    assert.equal(r.body.code, 102);
    assert.match(r.body.msg, /firewall/);
  });

  it('an unknown attachment is error 3; no prevResult is error 7; a config older than 0.4.0 is error 1', async () => {
    const prevResult = await added('c1');
    t.kernel.addForeignNetns(ns('c2'));
    assert.equal((await check('c2', cniConf({ prevResult }))).body.code, 3);
    assert.equal((await check('c1', cniConf())).body.code, 7);
    const old = await check('c1', cniConf({ cniVersion: '0.3.1', prevResult }));
    assert.deepEqual([old.body.code, old.body.msg, old.body.cniVersion], [1, 'config version does not allow CHECK', '0.3.1']);
  });
});
