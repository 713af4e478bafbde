import { requireIsolatedNamespace, resetIsolatedNamespace } from '../helpers/isolation.js';
requireIsolatedNamespace();

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type HttpResult, type TestDaemon } from '../helpers/daemon.js';

/**
 * kill -9 at every mutating kernel call of each operation (the test seam SIGKILLs the daemon just
 * before the Nth one), restart, and check that nothing is half-made or leaked and that every
 * endpoint the store keeps still passes traffic.
 */

const SUBNET = { name: 'cnet', ipam: { config: [{ subnet: '10.161.0.0/24', gateway: '10.161.0.1' }] } };
let d: TestDaemon;
let killPoints = 0;

const ok = (r: HttpResult, ...statuses: number[]) => assert.ok(statuses.includes(r.status), `${r.status} ${r.text}`);
const mutations = async () => ((await d.req('GET', '/v1/debug/mutations')).body as { count: number }).count;
const list = async <T>(path: string) => (await d.req('GET', path)).body as T;

interface Net {
  id: string;
  name: string;
  bridge?: string;
  ipam: { config: { gateway?: string }[] };
}
interface Ep {
  id: string;
  name: string;
  networkId: string;
  sandboxId: string | null;
  hostIfName: string | null;
}
interface Sb {
  id: string;
  name: string;
  key: string;
}

/** The invariants after a restart; `where` names the kill point. */
async function assertHealthy(where: string) {
  const check = (await d.req('GET', '/v1/system/check')).body as { consistent: boolean; drifts: unknown[] };
  assert.equal(check.consistent, true, `${where}: check ${JSON.stringify(check.drifts)}`);
  const networks = await list<Net[]>('/v1/networks');
  const endpoints = await list<Ep[]>('/v1/endpoints');
  const sandboxes = await list<Sb[]>('/v1/sandboxes');

  const owned = new Set([...networks.flatMap((n) => (n.bridge ? [n.bridge] : [])), ...endpoints.flatMap((e) => (e.hostIfName ? [e.hostIfName] : []))]);
  const links = (JSON.parse(sh(['ip', '-json', 'link', 'show']).out) as { ifname: string }[]).map((l) => l.ifname);
  const leakedLinks = links.filter((n) => (n.startsWith('pbv') || n.startsWith('pb-')) && !owned.has(n));
  assert.deepEqual(leakedLinks, [], `${where}: leaked links`);
  for (const name of owned) assert.ok(links.includes(name), `${where}: ${name} is missing`);

  const keys = new Set(sandboxes.map((s) => s.key));
  const leakedNs = readdirSync('/run/netns').filter((n) => !keys.has(`/run/netns/${n}`));
  assert.deepEqual(leakedNs, [], `${where}: leaked namespaces`);

  const endpointIds = new Set(endpoints.map((e) => e.id));
  for (const n of networks.filter((x) => x.bridge)) {
    const ipam = await list<{ subnets: { allocations: { kind: string; address: string; ownerId?: string; owner: string }[] }[] }>(`/v1/networks/${n.id}/ipam`);
    for (const a of ipam.subnets.flatMap((s) => s.allocations).filter((x) => x.kind === 'endpoint')) {
      assert.ok(a.ownerId && endpointIds.has(a.ownerId), `${where}: allocation ${a.address} on ${n.name} has no endpoint (${a.owner})`);
    }
  }

  for (const ep of endpoints.filter((e) => e.sandboxId)) {
    const sb = sandboxes.find((s) => s.id === ep.sandboxId)!;
    const gw = networks.find((n) => n.id === ep.networkId)!.ipam.config[0]!.gateway!;
    const ping = inNs(sb.key, ['ping', '-c', '1', '-W', '2', gw], { allowFail: true });
    assert.equal(ping.code, 0, `${where}: ${sb.name} cannot reach ${gw} on ${ep.name}: ${ping.out}`);
  }
}

interface Op {
  name: string;
  /** brings the world to the state before the operation (idempotent: may follow a crash) */
  setup(): Promise<void>;
  run(): Promise<HttpResult>;
}

/**
 * Runs `op` once to count its kernel mutations, then once per mutation with the daemon killed
 * (-9) right before it, restarting and checking `healthy` each time. Returns the kill points.
 */
async function killAtEveryMutation(op: Op, healthy: (when: string) => Promise<void>): Promise<number> {
  await op.setup();
  const m0 = await mutations();
  ok(await op.run(), 201, 204);
  const total = (await mutations()) - m0;
  assert.ok(total >= 1, `${op.name} makes kernel mutations`);
  console.log(`${op.name}: ${total} mutations`);
  await healthy(`${op.name}, no crash`);
  for (let k = 1; k <= total; k++) {
    await op.setup();
    ok(await d.req('POST', '/v1/debug/crash', { after: k }), 200);
    const outcome = await op.run().then(
      (r) => `answered ${r.status}`,
      (e: Error) => `died (${e.message})`,
    );
    // The last mutations of a leave (deleting retired links) run after the answer: then the
    // daemon answers and dies right after, in the background work.
    if (!outcome.startsWith('died')) {
      assert.ok(await d.exited(3000), `${op.name}: kill point ${k}/${total} (${outcome}) never came`);
    }
    await restart();
    await healthy(`${op.name}, killed before mutation ${k}/${total}`);
  }
  return total;
}

const del = (path: string) => d.req('DELETE', path);
const ensureSandbox = async (name: string) => ok(await d.req('POST', '/v1/sandboxes', { name }), 201, 409);
const ensureConnected = async (net: string, sandbox: string) => ok(await d.req('POST', `/v1/networks/${net}/connect`, { sandbox }), 201, 409);
const ensureGone = async (path: string) => ok(await del(path), 204, 404);
const ensureDisconnected = async (net: string, sandbox: string) => ok(await d.req('POST', `/v1/networks/${net}/disconnect`, { sandbox }), 204, 404);

const ICC = 'com.docker.network.bridge.enable_icc';
const ops: Op[] = [
  { name: 'network create', setup: () => ensureGone('/v1/networks/xnet'), run: () => d.req('POST', '/v1/networks', { name: 'xnet', ipam: { config: [{ subnet: '10.162.0.0/24', gateway: '10.162.0.1' }] } }) },
  { name: 'sandbox create', setup: () => ensureGone('/v1/sandboxes/xsb'), run: () => d.req('POST', '/v1/sandboxes', { name: 'xsb' }) },
  {
    name: 'connect (second network: the default route moves)',
    setup: async () => {
      await ensureSandbox('jsb');
      await ensureConnected('bridge', 'jsb');
      await ensureDisconnected('cnet', 'jsb');
    },
    run: () => d.req('POST', '/v1/networks/cnet/connect', { sandbox: 'jsb' }),
  },
  {
    name: 'disconnect (the default route moves back)',
    setup: async () => {
      await ensureSandbox('jsb');
      await ensureConnected('bridge', 'jsb');
      await ensureConnected('cnet', 'jsb');
    },
    run: () => d.req('POST', '/v1/networks/cnet/disconnect', { sandbox: 'jsb' }),
  },
  {
    name: 'sandbox delete (two endpoints)',
    setup: async () => {
      await ensureSandbox('dsb');
      await ensureConnected('bridge', 'dsb');
      await ensureConnected('cnet', 'dsb');
    },
    run: () => del('/v1/sandboxes/dsb'),
  },
  {
    name: 'connect with a published port (first network)',
    setup: async () => {
      await ensureSandbox('psb');
      await ensureDisconnected('bridge', 'psb');
    },
    run: () => d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'psb', ports: [{ containerPort: 80, hostPort: 18080 }] }),
  },
  {
    name: 'disconnect with a published port',
    setup: async () => {
      await ensureSandbox('psb');
      ok(await d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'psb', ports: [{ containerPort: 80, hostPort: 18080 }] }), 201, 409);
    },
    run: () => d.req('POST', '/v1/networks/bridge/disconnect', { sandbox: 'psb' }),
  },
  {
    name: 'network create without inter-container traffic',
    setup: () => ensureGone('/v1/networks/inet'),
    run: () => d.req('POST', '/v1/networks', { name: 'inet', options: { [ICC]: 'false' }, ipam: { config: [{ subnet: '10.164.0.0/24', gateway: '10.164.0.1' }] } }),
  },
  {
    name: 'network delete without inter-container traffic',
    setup: async () => ok(await d.req('POST', '/v1/networks', { name: 'inet', options: { [ICC]: 'false' }, ipam: { config: [{ subnet: '10.164.0.0/24', gateway: '10.164.0.1' }] } }), 201, 409),
    run: () => del('/v1/networks/inet'),
  },
  {
    name: 'network delete',
    setup: async () => ok(await d.req('POST', '/v1/networks', { name: 'ynet', ipam: { config: [{ subnet: '10.163.0.0/24', gateway: '10.163.0.1' }] } }), 201, 409),
    run: () => del('/v1/networks/ynet'),
  },
];

async function restart() {
  await d.stop('SIGKILL');
  await d.start();
}

describe('crash recovery on the real kernel (kill -9 before each mutation)', () => {
  before(async () => {
    d = createTestDaemon(['--bip', '10.160.0.1/24'], { env: { PATCHBAY_TEST_SEAMS: '1' } });
    await d.start();
    ok(await d.req('POST', '/v1/networks', SUBNET), 201);
    // a bystander that must keep working through every crash
    await ensureSandbox('keeper');
    await ensureConnected('bridge', 'keeper');
    await ensureConnected('cnet', 'keeper');
  });
  after(async () => {
    await d?.cleanup();
  });

  for (const op of ops) {
    it(op.name, async () => {
      killPoints += await killAtEveryMutation(op, assertHealthy);
    });
  }

  it('covers at least 20 kill points', () => {
    assert.ok(killPoints >= 20, `${killPoints} kill points`);
  });

  it('SIGTERM during 20 parallel connects: each succeeds or fails cleanly, exit 0, consistent after restart', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `t${i}`);
    for (const n of names) await ensureSandbox(n);
    const inflight = names.map((sandbox) =>
      d.req('POST', '/v1/networks/cnet/connect', { sandbox }).then(
        (r) => ({ sandbox, status: r.status, text: r.text }),
        (e: Error) => ({ sandbox, status: 0, text: e.message }),
      ),
    );
    await new Promise((r) => setTimeout(r, 150));
    const code = await d.stop('SIGTERM');
    const results = await Promise.all(inflight);
    assert.equal(code, 0, d.logs());
    for (const r of results) assert.ok([201, 503, 0].includes(r.status), `${r.sandbox}: ${r.status} ${r.text}`);
    const succeeded = results.filter((r) => r.status === 201).map((r) => r.sandbox);
    await d.start();
    await assertHealthy('after SIGTERM');
    const connected = (await list<Ep[]>('/v1/networks/cnet/endpoints')).map((e) => e.name);
    for (const s of succeeded) assert.ok(connected.includes(s), `${s} answered 201 and is kept`);
  });
});

/**
 * macvlan, on an outside LAN: veth lan0 (the parent) whose peer sits in the namespace `lanhost`
 * with the network's gateway address, which assertHealthy pings from every sandbox on it.
 * `alan` sorts before `bridge`, so joining it moves the default route.
 */
const LAN_NET = { name: 'alan', driver: 'macvlan', options: { parent: 'lan0' }, ipam: { config: [{ subnet: '192.168.89.0/24', gateway: '192.168.89.254' }] } };
const ensureLan = async () => ok(await d.req('POST', '/v1/networks', LAN_NET), 201, 409);
let LAN_HOST = '';
/** a veth whose end `parent` (up) is here and whose end `peer` is in the LAN host */
function lanLink(parent: string, peer: string) {
  inNs(LAN_HOST, ['ip', 'link', 'add', peer, 'type', 'veth', 'peer', 'name', parent, 'netns', String(process.pid)]);
  sh(['ip', 'link', 'set', parent, 'up']);
}

/** assertHealthy, and the macvlan side: the parent untouched, each sandbox holds exactly its endpoints' links, no address without an endpoint. */
async function assertLanHealthy(where: string) {
  await assertHealthy(where);
  const parent = JSON.parse(sh(['ip', '-json', 'link', 'show', 'lan0']).out)[0] as { flags: string[] };
  assert.ok(parent.flags.includes('UP'), `${where}: the parent lan0 is up`);
  const endpoints = await list<(Ep & { ifName: string | null })[]>('/v1/endpoints');
  for (const sb of await list<Sb[]>('/v1/sandboxes')) {
    const inside = (JSON.parse(inNs(sb.key, ['ip', '-json', 'link', 'show']).out) as { ifname: string }[]).map((l) => l.ifname).sort();
    const expected = ['lo', ...endpoints.filter((e) => e.sandboxId === sb.id).map((e) => e.ifName!)].sort();
    assert.deepEqual(inside, expected, `${where}: links in sandbox ${sb.name}`);
  }
  const alan = (await list<Net[]>('/v1/networks')).find((n) => n.name === 'alan');
  if (!alan) return;
  const ids = new Set(endpoints.map((e) => e.id));
  const ipam = await list<{ subnets: { allocations: { kind: string; address: string; ownerId?: string; owner: string }[] }[] }>(`/v1/networks/${alan.id}/ipam`);
  for (const a of ipam.subnets.flatMap((s) => s.allocations).filter((x) => x.kind === 'endpoint')) {
    assert.ok(a.ownerId && ids.has(a.ownerId), `${where}: allocation ${a.address} on alan has no endpoint (${a.owner})`);
  }
}

const lanOps: Op[] = [
  {
    name: 'macvlan connect (only network)',
    setup: async () => {
      await ensureLan();
      await ensureSandbox('msb');
      await ensureDisconnected('alan', 'msb');
    },
    run: () => d.req('POST', '/v1/networks/alan/connect', { sandbox: 'msb' }),
  },
  {
    name: 'macvlan connect (second network: the default route moves)',
    setup: async () => {
      await ensureLan();
      await ensureSandbox('lsb');
      await ensureConnected('bridge', 'lsb');
      await ensureDisconnected('alan', 'lsb');
    },
    run: () => d.req('POST', '/v1/networks/alan/connect', { sandbox: 'lsb' }),
  },
  {
    name: 'macvlan disconnect (the default route moves back)',
    setup: async () => {
      await ensureLan();
      await ensureSandbox('lsb');
      await ensureConnected('bridge', 'lsb');
      await ensureConnected('alan', 'lsb');
    },
    run: () => d.req('POST', '/v1/networks/alan/disconnect', { sandbox: 'lsb' }),
  },
  {
    name: 'sandbox delete with a macvlan endpoint',
    setup: async () => {
      await ensureLan();
      await ensureSandbox('dsb');
      await ensureConnected('alan', 'dsb');
    },
    run: () => del('/v1/sandboxes/dsb'),
  },
];

describe('crash recovery on the real kernel, macvlan (kill -9 before each mutation)', () => {
  let lanKillPoints = 0;
  before(async () => {
    // the block above left its daemon's objects behind (kill -9)
    resetIsolatedNamespace();
    // pinned outside /run/netns, where assertHealthy counts every namespace as a sandbox's
    const dir = mkdtempSync(join(tmpdir(), 'pb-lanhost-'));
    LAN_HOST = join(dir, 'lanhost');
    writeFileSync(LAN_HOST, '');
    sh(['unshare', `--net=${LAN_HOST}`, 'true']);
    lanLink('lan0', 'lanp0');
    inNs(LAN_HOST, ['ip', 'addr', 'add', '192.168.89.254/24', 'dev', 'lanp0']);
    inNs(LAN_HOST, ['ip', 'link', 'set', 'lanp0', 'up']);
    d = createTestDaemon(['--bip', '10.165.0.1/24'], { env: { PATCHBAY_TEST_SEAMS: '1' } });
    await d.start();
    // a bystander on the LAN that must keep working through every crash
    await ensureLan();
    await ensureSandbox('lkeeper');
    await ensureConnected('alan', 'lkeeper');
  });
  after(async () => {
    await d?.cleanup();
  });

  for (const op of lanOps) {
    it(op.name, async () => {
      lanKillPoints += await killAtEveryMutation(op, assertLanHealthy);
    });
  }

  it('macvlan network create and delete on an existing parent make no kernel change: a kill -9 anywhere in them leaves the store to recovery alone', async () => {
    await ensureGone('/v1/networks/blan');
    const m0 = await mutations();
    const input = { ...LAN_NET, name: 'blan', options: { parent: 'lan1' }, ipam: { config: [{ subnet: '192.168.87.0/24' }] } };
    lanLink('lan1', 'lanp1');
    ok(await d.req('POST', '/v1/networks', input), 201);
    ok(await del('/v1/networks/blan'), 204);
    assert.equal(await mutations(), m0);
    await assertLanHealthy('macvlan network create and delete');
  });

  it('covers at least 8 macvlan kill points', () => {
    assert.ok(lanKillPoints >= 8, `${lanKillPoints} kill points`);
  });
});
