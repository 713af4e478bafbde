import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestEtcd, type TestEtcd } from '../../test/helpers/etcd.js';
import { buildClusterHost, type ClusterTestHost } from './helpers/cluster-app.js';

/**
 * A host that fails to mirror a global network (a kernel step refused, etcd between leaders)
 * tries again by itself: no other news may come from the watch to make it try.
 */
const json = (payload: unknown) => ({ payload: payload as object, headers: { 'content-type': 'application/json' } });
const waitFor = async (what: string, cond: () => Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('overlay: a mirror that failed is tried again', () => {
  let etcd: TestEtcd;
  let a: ClusterTestHost;
  let b: ClusterTestHost;
  before(async () => {
    etcd = await createTestEtcd();
    a = await buildClusterHost(etcd.endpoint, '192.0.2.1');
    b = await buildClusterHost(etcd.endpoint, '192.0.2.2');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await etcd?.cleanup();
  });

  it("a network whose mirror's first kernel step failed on the other host appears there all the same, bridge and vxlan", async () => {
    const before = b.faults.mutations();
    b.faults.failAt(before + 1);
    const r = await a.app.inject({ method: 'POST', url: '/v1/networks', ...json({ name: 'again', driver: 'overlay' }) });
    assert.equal(r.statusCode, 201, r.body);
    const id = r.json().id as string;
    await waitFor('the first mirror on b to fail', async () => b.faults.mutations() > before);
    await waitFor('the network on b', async () => (await b.app.inject({ method: 'GET', url: '/v1/networks/again' })).statusCode === 200);
    const links = (await b.kernel.links(null)).map((l) => l.name);
    assert.ok(links.includes(`pbo${id.slice(0, 12)}`) && links.includes(`pbx${id.slice(0, 12)}`), links.join(' '));
  });
});
