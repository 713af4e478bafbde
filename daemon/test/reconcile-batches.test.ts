import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BATCHES_AHEAD, SANDBOXES_PER_READ } from '../src/controller/reconcile/sandbox-states.js';
import { buildTestApp, type TestApp } from './helpers/native-app.js';

/**
 * A deep check reads the sandboxes in batches (sandbox-states.ts), several in flight: what it
 * finds inside a sandbox of any batch, the first or a later one, is reported on that sandbox's
 * endpoint, in the endpoints' order, and nothing is reported on the others.
 */
describe('deep check over several batches of sandboxes (fake kernel)', () => {
  const count = SANDBOXES_PER_READ * (BATCHES_AHEAD + 2) + 3;
  let t: TestApp;
  const inject = async (method: string, url: string, payload?: unknown) => {
    const r = await t.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
  };
  const sandboxes: { name: string; key: string }[] = [];
  const endpoints: { ipv4Address: string }[] = [];

  before(async () => {
    t = await buildTestApp();
    assert.equal((await inject('POST', '/v1/networks', { name: 'wide', ipam: { config: [{ subnet: '10.125.0.0/16' }] } })).status, 201);
    for (let i = 0; i < count; i++) {
      const sb = (await inject('POST', '/v1/sandboxes', { name: `sb${i}` })).body;
      sandboxes.push(sb);
      const ep = await inject('POST', '/v1/networks/wide/connect', { sandbox: sb.name });
      assert.equal(ep.status, 201, JSON.stringify(ep.body));
      endpoints.push(ep.body);
    }
  });
  after(() => t.close());

  it('reads every sandbox once, in batches, and finds them consistent', async () => {
    const from = t.kernel.calls.length;
    assert.deepEqual(await inject('GET', '/v1/system/check'), { status: 200, body: { consistent: true, drifts: [] } });
    const reads = t.kernel.calls.slice(from).filter((c) => c.method === 'netnsStates').map((c) => c.args[0] as string[]);
    assert.deepEqual(reads.map((keys) => keys.length), [...Array.from({ length: BATCHES_AHEAD + 2 }, () => SANDBOXES_PER_READ), 3]);
    assert.deepEqual(reads.flat().sort(), sandboxes.map((sb) => sb.key).sort());
  });

  it('reports a link, an address and a default route missing in sandboxes of the first, a middle and the last batch', async () => {
    const [first, middle, last] = [1, SANDBOXES_PER_READ + 5, count - 2];
    await t.kernel.ip(sandboxes[first]!.key, [{ op: 'link.del', name: 'eth0' }]);
    await t.kernel.ip(sandboxes[middle]!.key, [{ op: 'addr.del', dev: 'eth0', cidr: endpoints[middle]!.ipv4Address }]);
    await t.kernel.ip(sandboxes[last]!.key, [{ op: 'route.del', dst: 'default' }]);
    const check = await inject('GET', '/v1/system/check');
    assert.equal(check.status, 200);
    assert.equal(check.body.consistent, false);
    const found = check.body.drifts.map((d: { kind: string; object: string }) => [d.kind, /sandbox (sb\d+)\)/.exec(d.object)?.[1]]);
    assert.deepEqual(found, [
      ['endpoint-link-missing', `sb${first}`],
      ['endpoint-address-missing', `sb${middle}`],
      ['default-route-missing', `sb${last}`],
    ]);
  });
});
