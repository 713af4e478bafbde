import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestDaemon, sh } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

const v4 = (dev: string) => sh(['ip', '-o', '-4', 'addr', 'show', 'dev', dev]).out.match(/inet (\S+)/g)?.map((m) => m.slice(5)) ?? [];
const hasLink = (dev: string) => sh(['ip', 'link', 'show', dev], { allowFail: true }).code === 0;

describe('default bridge flags (dockerd semantics)', () => {
  it('--bridge br0 needs br0 to exist', async () => {
    const d = createTestDaemon(['--bridge', 'br0']);
    await assert.rejects(d.start(), /bridge device with non default name br0 must be created manually/);
    await d.cleanup();
  });

  it('--bridge br0 takes its address as subnet and gateway, and never deletes it', async () => {
    sh(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    sh(['ip', 'addr', 'add', '10.140.0.1/24', 'dev', 'br0']);
    const d = createTestDaemon(['--bridge', 'br0', '--fixed-cidr', '10.140.0.128/25']);
    await d.start();
    const net = (await d.req('GET', '/v1/networks/bridge')).body;
    assert.deepEqual(net.ipam.config, [{ subnet: '10.140.0.0/24', gateway: '10.140.0.1', ipRange: '10.140.0.128/25' }]);
    assert.equal(net.bridge, 'br0');
    assert.equal(hasLink('pb0'), false);
    const sb = (await d.req('POST', '/v1/sandboxes', { name: 'x' })).body;
    const c = await d.req('POST', '/v1/networks/bridge/connect', { sandbox: sb.id });
    assert.equal(c.body.ipv4Address, '10.140.0.128/24', 'first address of --fixed-cidr');
    await d.req('DELETE', `/v1/sandboxes/${sb.id}`);
    await d.stop();
    // restarting with --bridge none removes the default network but leaves the user's bridge
    await d.start(['--bridge', 'none']);
    assert.equal((await d.req('GET', '/v1/networks/bridge')).status, 404);
    assert.ok(hasLink('br0'));
    assert.deepEqual(v4('br0'), ['10.140.0.1/24']);
    await d.cleanup();
    sh(['ip', 'link', 'del', 'br0']);
  });

  it('without --bip an existing pb0 keeps its address; with --bip it is replaced', async () => {
    sh(['ip', 'link', 'add', 'pb0', 'type', 'bridge']);
    sh(['ip', 'addr', 'add', '10.141.0.1/24', 'dev', 'pb0']);
    const d = createTestDaemon([]);
    await d.start();
    assert.deepEqual((await d.req('GET', '/v1/networks/bridge')).body.ipam.config, [{ subnet: '10.141.0.0/24', gateway: '10.141.0.1' }]);
    await d.stop();
    await d.start(['--bip', '10.142.0.1/24']);
    assert.deepEqual((await d.req('GET', '/v1/networks/bridge')).body.ipam.config, [{ subnet: '10.142.0.0/24', gateway: '10.142.0.1' }]);
    assert.deepEqual(v4('pb0'), ['10.142.0.1/24']);
    await d.cleanup();
    sh(['ip', 'link', 'del', 'pb0']);
  });

  it('with no pb0 and no --bip the first free default pool is chosen, skipping on-link routes', async () => {
    sh(['ip', 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1']);
    sh(['ip', 'link', 'set', 'lan0', 'up']);
    sh(['ip', 'link', 'set', 'lan1', 'up']);
    sh(['ip', 'addr', 'add', '172.17.5.1/24', 'dev', 'lan0']);
    const d = createTestDaemon(['--mtu', '1400']);
    await d.start();
    const net = (await d.req('GET', '/v1/networks/bridge')).body;
    assert.deepEqual(net.ipam.config, [{ subnet: '172.18.0.0/16', gateway: '172.18.0.1' }]);
    assert.match(sh(['ip', 'link', 'show', 'pb0']).out, /mtu 1400/);
    const user = await d.req('POST', '/v1/networks', { name: 'auto' });
    assert.equal(user.body.ipam.config[0].subnet, '172.19.0.0/16');
    await d.cleanup();
    sh(['ip', 'link', 'del', 'lan0']);
  });

  it('--default-address-pool replaces the automatic pools', async () => {
    const d = createTestDaemon(['--bridge', 'none', '--default-address-pool', 'base=10.150.0.0/16,size=24']);
    await d.start();
    const a = await d.req('POST', '/v1/networks', { name: 'p1' });
    const b = await d.req('POST', '/v1/networks', { name: 'p2' });
    assert.equal(a.body.ipam.config[0].subnet, '10.150.0.0/24');
    assert.equal(b.body.ipam.config[0].subnet, '10.150.1.0/24');
    await d.cleanup();
  });
});
