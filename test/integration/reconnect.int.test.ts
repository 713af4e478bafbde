import { requireIsolatedNamespace } from '../helpers/isolation.js';
requireIsolatedNamespace();

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type TestDaemon } from '../helpers/daemon.js';

/**
 * What `docker network disconnect` + `connect` and a restarting container do: leave and join the
 * same sandbox over and over. The reaper's deletions are held (a test seam) for the whole run, so
 * a join that waited for them would never answer.
 */

let d: TestDaemon;
interface IpLink { ifname: string; flags: string[]; operstate: string }
const linksIn = (key: string) => JSON.parse(inNs(key, ['ip', '-json', 'link', 'show']).out) as IpLink[];
const routesIn = (key: string) => JSON.parse(inNs(key, ['ip', '-json', 'route', 'show']).out) as { dst: string; dev: string; gateway?: string }[];
const ping = (key: string, ip: string) => inNs(key, ['ping', '-c', '1', '-W', '2', ip], { allowFail: true }).code === 0;

describe('connect right after a disconnect in the same sandbox (real kernel)', () => {
  before(async () => {
    d = createTestDaemon(['--bip', '10.140.0.1/24'], { env: { PATCHBAY_TEST_SEAMS: '1' } });
    await d.start();
  });
  after(async () => {
    await d?.req('POST', '/v1/debug/reaper', { hold: false }).catch(() => undefined);
    await d?.cleanup();
  });

  it('gets eth0 back at once while the retired links wait for the reaper; then the reaper deletes them', async () => {
    const sb = (await d.req('POST', '/v1/sandboxes', { name: 'rc' })).body as { key: string };
    assert.equal((await d.req('POST', '/v1/debug/reaper', { hold: true })).status, 200);
    const retired: string[] = [];
    for (let round = 0; round < 4; round++) {
      const c = await d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'rc' });
      assert.equal(c.status, 201, `round ${round}: ${c.text}`);
      const eth0 = linksIn(sb.key).find((l) => l.ifname === 'eth0');
      assert.ok(eth0?.flags.includes('UP') && !eth0.flags.includes('NO-CARRIER'), `round ${round}: eth0 up with a carrier: ${JSON.stringify(eth0)}`);
      assert.ok(routesIn(sb.key).some((r) => r.dst === 'default' && r.dev === 'eth0' && r.gateway === '10.140.0.1'), `round ${round}: default route`);
      assert.ok(ping(sb.key, '10.140.0.1'), `round ${round}: rc → gateway`);
      const gone = await d.req('POST', '/v1/networks/bridge/disconnect', { sandbox: 'rc' });
      assert.equal(gone.status, 204, gone.text);
      retired.push(`pbr${(c.body as { id: string }).id.slice(0, 12)}`);
      const left = linksIn(sb.key);
      assert.equal(left.find((l) => l.ifname === 'eth0'), undefined, `round ${round}: eth0 is free at once`);
      const old = left.find((l) => l.ifname === retired.at(-1));
      assert.ok(old && !old.flags.includes('UP'), `round ${round}: the left peer is down and renamed: ${JSON.stringify(left)}`);
    }
    // every retired veth is still there: the reaper was held all along
    for (const name of retired) assert.ok(linksIn(sb.key).some((l) => l.ifname === name), `${name} waits for the reaper`);
    assert.equal((await d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'rc' })).status, 201);
    assert.equal((await d.req('POST', '/v1/debug/reaper', { hold: false })).status, 200);
    const check = await d.req('GET', '/v1/system/check');
    assert.equal(check.body.consistent, true, check.text);
    const names = linksIn(sb.key).map((l) => l.ifname).sort();
    assert.deepEqual(names, ['eth0', 'lo']);
    const hostVeths = (JSON.parse(sh(['ip', '-json', 'link', 'show']).out) as IpLink[]).filter((l) => l.ifname.startsWith('pbv'));
    assert.equal(hostVeths.length, 1, 'only the live endpoint keeps a host veth');
    assert.ok(ping(sb.key, '10.140.0.1'));
  });
});
