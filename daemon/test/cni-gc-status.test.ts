import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { buildCniTestApp, cniConf, cniEnv, type CniTestApp } from './helpers/cni-app.js';

let t: CniTestApp;
const ns = (id: string) => `/var/run/netns/cni-${id}`;
const store = () => t.controller.core.store;
async function added(id: string, conf: Record<string, unknown> = cniConf({ cniVersion: '1.1.0' }), ifName = 'eth0') {
  if (!(await t.kernel.isNetns(ns(id)))) t.kernel.addForeignNetns(ns(id));
  const r = await t.exec(cniEnv('ADD', id, ns(id), ifName), conf);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}
const gc = (valid: { containerID: string; ifname: string }[] | undefined, conf: Record<string, unknown> = {}) =>
  t.exec({ CNI_COMMAND: 'GC', CNI_PATH: '/opt/cni/bin' }, cniConf({ cniVersion: '1.1.0', ...(valid ? { 'cni.dev/valid-attachments': valid } : {}), ...conf }));
const status = (conf: Record<string, unknown> = {}) => t.exec({ CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, cniConf({ cniVersion: '1.1.0', ...conf }));
const attachments = () =>
  store()
    .sandboxes()
    .filter((s) => s.origin === 'cni')
    .flatMap((s) => store().endpointsInSandbox(s.id).map((e) => `${s.containerId}/${e.ifName}`))
    .sort();

describe('CNI GC', () => {
  beforeEach(async () => {
    await t?.close();
    t = await buildCniTestApp();
  });
  after(() => t.close());

  it('removes the attachments of the network that are not valid, and only those', async () => {
    await added('c1');
    await added('c2');
    await added('c3');
    await added('c3', cniConf({ cniVersion: '1.1.0', name: 'other', ipam: { subnet: '10.78.0.0/24' } }), 'eth1');
    t.kernel.removeForeignNetns(ns('c2'));
    const r = await gc([{ containerID: 'c1', ifname: 'eth0' }]);
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.deepEqual(attachments(), ['c1/eth0', 'c3/eth1'], 'another network’s attachment is not this GC’s business');
    assert.deepEqual(
      store().allocations().filter((a) => a.kind === 'endpoint').map((a) => a.address).sort(),
      ['10.77.0.2', '10.78.0.2'],
    );
    assert.equal(await t.kernel.link(ns('c3'), 'eth0'), undefined);
  });

  it('leaves endpoints other front doors made in a CNI sandbox', async () => {
    await added('c1');
    const sb = store().sandboxByOrigin('cni', 'c1')!;
    await t.controller.endpoints.connect('bridge', sb.id, {});
    assert.equal((await gc([])).status, 204);
    assert.deepEqual(store().endpointsInSandbox(sb.id).map((e) => [e.ifName, store().networkById(e.networkId)!.name]), [['eth1', 'bridge']], 'the native connect took the next free name');
  });

  it('needs cniVersion 1.1.0 (error 1) and cni.dev/valid-attachments (error 7)', async () => {
    assert.deepEqual((await gc([], { cniVersion: '1.0.0' })).body.code, 1);
    assert.equal((await gc(undefined)).body.code, 7);
    assert.equal((await gc([], { name: 'unknown' })).status, 204);
  });
});

describe('CNI STATUS', () => {
  beforeEach(async () => {
    await t?.close();
    t = await buildCniTestApp();
  });

  it('ready for an existing network with free addresses, and for one it can create', async () => {
    assert.equal((await status()).status, 204);
    await added('c1');
    assert.equal((await status()).status, 204);
  });

  it('code 50 when the pool is exhausted, or the network cannot be created as configured', async () => {
    await added('c1', cniConf({ cniVersion: '1.1.0', ipam: { subnet: '10.77.0.0/30' } }));
    const full = await status({ ipam: { subnet: '10.77.0.0/30' } });
    assert.equal(full.status, 503);
    assert.deepEqual([full.body.code, full.body.msg], [50, 'network cninet has no free address left in 10.77.0.0/30']);
    const overlap = await status({ name: 'second', ipam: { subnet: '10.77.0.0/24' } });
    assert.equal(overlap.body.code, 50);
    assert.match(overlap.body.msg, /network second does not exist and cannot be created/);
  });

  it('needs cniVersion 1.1.0', async () => {
    const r = await status({ cniVersion: '1.0.0' });
    assert.deepEqual([r.body.code, r.body.msg], [1, 'config version does not allow STATUS']);
  });
});

describe('CNI requests', () => {
  beforeEach(async () => {
    await t?.close();
    t = await buildCniTestApp();
  });

  it('VERSION lists the supported versions', async () => {
    const r = await t.exec({ CNI_COMMAND: 'VERSION' }, '{"cniVersion":"1.0.0"}');
    assert.deepEqual(r.body, { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('refuses bad input with the CNI error codes, in the config’s version, and changes nothing', async () => {
    t.kernel.addForeignNetns(ns('c1'));
    const add = cniEnv('ADD', 'c1', ns('c1'));
    const cases: [Record<string, string>, unknown, number, RegExp][] = [
      [add, '{not json', 6, /error decoding the network configuration/],
      [add, '[1]', 6, /not a JSON object/],
      [{ ...add, CNI_COMMAND: 'FROB' }, cniConf(), 4, /unknown CNI_COMMAND: FROB/],
      [{ ...add, CNI_CONTAINERID: '-bad' }, cniConf(), 4, /invalid characters in containerID/],
      [{ ...add, CNI_IFNAME: 'much-too-long-name' }, cniConf(), 4, /invalid CNI_IFNAME/],
      [{ ...add, CNI_NETNS: '/var/run/../netns/x' }, cniConf(), 4, /invalid CNI_NETNS/],
      [{ CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_IFNAME: 'eth0' }, cniConf(), 4, /required env variables \[CNI_NETNS\] missing/],
      [add, cniConf({ cniVersion: '2.0.0' }), 1, /incompatible CNI versions/],
      [add, { name: 'x', type: 'patchbay' }, 1, /incompatible CNI versions/],
      [add, cniConf({ name: 'bad name' }), 7, /invalid characters in the network name/],
      [add, cniConf({ name: 'ok', network: 'no/slash' }), 7, /network "no\/slash" is not a patchbay network name/],
      [add, cniConf({ ipam: { type: 'host-local', ranges: [[{ subnet: '10.1.0.0/24' }]] } }), 2, /unsupported field ipam\.ranges/],
      [add, cniConf({ ipam: { subnet: '10.77.0.0/24', routes: [{ dst: '192.168.0.0/16' }] } }), 2, /unsupported route 192\.168\.0\.0\/16/],
      [add, cniConf({ ipam: { subnet: '10.77.0.0/24', rangeStart: '10.77.0.100', rangeEnd: '10.77.0.200' } }), 2, /unsupported range/],
      [add, cniConf({ ipam: { subnet: '10.77.0.0/24', gateway: '10.88.0.1' } }), 7, /ipam\.gateway 10\.88\.0\.1 is not an address of subnet/],
      [add, cniConf({ ipam: { subnet: 'nonsense' } }), 7, /ipam\.subnet/],
      [add, cniConf({ runtimeConfig: { portMappings: [{ hostPort: 0, containerPort: 80 }] } }), 7, /runtimeConfig\.portMappings/],
      [add, cniConf({ runtimeConfig: { aliases: { cninet: ['bad alias'] } } }), 7, /aliases/],
      [{ ...add, CNI_ARGS: 'novalue' }, cniConf(), 4, /is not KEY=VALUE/],
    ];
    for (const [env, stdin, code, msg] of cases) {
      const r = await t.exec(env, stdin);
      assert.ok(r.status >= 400, JSON.stringify(r.body));
      assert.equal(r.body.code, code, `${JSON.stringify(stdin)}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.msg, msg);
      assert.deepEqual(Object.keys(r.body).sort(), ['cniVersion', 'code', 'details', 'msg']);
    }
    assert.equal(store().networkByName('cninet'), undefined);
    assert.equal(store().sandboxes().length, 0);
    const versioned = await t.exec(add, cniConf({ cniVersion: '0.4.0', name: 'bad name' }));
    assert.equal(versioned.body.cniVersion, '0.4.0');
  });

  it('a malformed request from the plugin, or another path, is a CNI error too', async () => {
    const raw = await t.cni.inject({ method: 'POST', url: '/cni/v1/exec', payload: '{"env":', headers: { 'content-type': 'application/json' } });
    assert.equal(raw.statusCode, 400);
    assert.equal(JSON.parse(raw.body).code, 6);
    const shape = await t.cni.inject({ method: 'POST', url: '/cni/v1/exec', payload: { env: { CNI_COMMAND: 'ADD', EXTRA: 'x' }, stdin: '' } });
    assert.equal(JSON.parse(shape.body).code, 6);
    const other = await t.cni.inject({ method: 'GET', url: '/v1/networks' });
    assert.equal(other.statusCode, 404);
    assert.equal(JSON.parse(other.body).code, 101);
  });
});
