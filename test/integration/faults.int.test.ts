import { requireIsolatedNamespace, resetIsolatedNamespace } from '../helpers/isolation.js';
requireIsolatedNamespace();

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type HttpResult, type TestDaemon } from '../helpers/daemon.js';

/** Fail each mutating kernel call of an operation in turn (real kernel); a failure changes nothing. */

let d: TestDaemon;
const ok = (r: HttpResult, ...statuses: number[]) => assert.ok(statuses.includes(r.status), `${r.status} ${r.text}`);
const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();

/** Links, addresses and routes of the main and every sandbox namespace, the netns list, the ruleset. */
function kernelState() {
  const names = readdirSync('/run/netns').sort();
  const spaces: Record<string, unknown> = {};
  for (const ns of [null, ...names]) {
    const run = (argv: string[]) => JSON.parse((ns === null ? sh(argv) : inNs(`/run/netns/${ns}`, argv)).out || '[]') as Record<string, unknown>[];
    // Index, MAC and link-local addresses of a re-made link are the kernel's choice, not state we own.
    spaces[ns ?? 'main'] = {
      links: sorted(run(['ip', '-json', 'link', 'show']).map((l) => ({ name: l.ifname, master: l.master, mtu: l.mtu, up: (l.flags as string[]).includes('UP') }))),
      addrs: sorted(
        run(['ip', '-json', 'addr', 'show']).flatMap((l) =>
          (l.addr_info as { local: string; prefixlen: number; scope: string }[]).filter((a) => a.scope !== 'link').map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`),
        ),
      ),
      routes: sorted(run(['ip', '-json', 'route', 'show']).map((r) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev }))),
    };
  }
  return { names, spaces, ruleset: sh(['nft', 'list', 'ruleset']).out };
}

async function apiState() {
  const get = async (p: string) => (await d.req('GET', p)).body;
  const networks = (await get('/v1/networks')) as { name: string; bridge?: string }[];
  const ipam: Record<string, unknown> = {};
  for (const n of networks) if (n.bridge) ipam[n.name] = await get(`/v1/networks/${n.name}/ipam`);
  return { networks, sandboxes: await get('/v1/sandboxes'), endpoints: await get('/v1/endpoints'), ipam };
}

interface Op {
  name: string;
  setup(): Promise<void>;
  run(): Promise<HttpResult>;
  /**
   * Made of committed sub-operations (sandbox delete = each disconnect, then the namespace): a
   * failure rolls back only the failing one, so the rest is checked for consistency instead.
   */
  partial?: true;
}

const ensureSandbox = async (name: string) => ok(await d.req('POST', '/v1/sandboxes', { name }), 201, 409);
const ensureConnected = async (net: string, sandbox: string) => ok(await d.req('POST', `/v1/networks/${net}/connect`, { sandbox }), 201, 409);
const ensureDisconnected = async (net: string, sandbox: string) => ok(await d.req('POST', `/v1/networks/${net}/disconnect`, { sandbox }), 204, 404);
const ensureGone = async (path: string) => ok(await d.req('DELETE', path), 204, 404);

const ops: Op[] = [
  { name: 'network create', setup: () => ensureGone('/v1/networks/fnet'), run: () => d.req('POST', '/v1/networks', { name: 'fnet', ipam: { config: [{ subnet: '10.172.0.0/24', gateway: '10.172.0.1' }] } }) },
  { name: 'sandbox create', setup: () => ensureGone('/v1/sandboxes/fsb'), run: () => d.req('POST', '/v1/sandboxes', { name: 'fsb' }) },
  {
    name: 'connect (the default route moves)',
    setup: async () => {
      await ensureSandbox('jsb');
      await ensureConnected('bridge', 'jsb');
      await ensureDisconnected('anet', 'jsb');
    },
    run: () => d.req('POST', '/v1/networks/anet/connect', { sandbox: 'jsb', ports: [{ containerPort: 80, hostPort: 18081 }] }),
  },
  {
    name: 'disconnect (the default route moves back)',
    setup: async () => {
      await ensureSandbox('jsb');
      await ensureConnected('bridge', 'jsb');
      ok(await d.req('POST', '/v1/networks/anet/connect', { sandbox: 'jsb', ports: [{ containerPort: 80, hostPort: 18081 }] }), 201, 409);
    },
    run: () => d.req('POST', '/v1/networks/anet/disconnect', { sandbox: 'jsb' }),
  },
  {
    name: 'sandbox delete',
    partial: true,
    setup: async () => {
      await ensureSandbox('dsb');
      await ensureConnected('bridge', 'dsb');
    },
    run: () => d.req('DELETE', '/v1/sandboxes/dsb'),
  },
];

/** Fail each mutating kernel call of `op` in turn: a failure leaves kernel and store (`api`: what the API shows of it) as before. */
async function failEachMutation(op: Op, api: () => Promise<unknown> = apiState) {
  let failures = 0;
  for (let n = 1; n < 30; n++) {
    await op.setup();
    // background work (the reaper's deletions wait for a pause) settled first: only the op changes the kernel
    ok(await d.req('GET', '/v1/debug/mutations'), 200);
    const kernelBefore = kernelState();
    const apiBefore = await api();
    ok(await d.req('POST', '/v1/debug/fail', { after: n }), 200);
    const r = await op.run();
    if (r.status < 300) {
      assert.ok(failures > 0, 'at least one mutation was broken');
      assert.equal((await d.req('GET', '/v1/system/check')).body.consistent, true);
      // the armed fault lies beyond this operation: fire it on a harmless call, then go on
      ok(await d.req('POST', '/v1/networks', { name: 'burn', ipam: { config: [{ subnet: '10.179.0.0/24' }] } }), 201, 500);
      await ensureGone('/v1/networks/burn');
      return;
    }
    failures++;
    const where = `${op.name}, mutation ${n}: ${r.text}`;
    assert.equal(r.status, 500, where);
    assert.match(r.body.message, /injected fault/, where);
    if (/nftApply|sysctlSet/.test(r.body.message)) {
      // the firewall sync after a committed change failed: reconcile repairs it
      ok(await d.req('POST', '/v1/system/reconcile'), 200);
      assert.equal((await d.req('GET', '/v1/system/check')).body.consistent, true, where);
      continue;
    }
    assert.match(r.body.message, /^[^:]+: /, `the error names the failing step — ${where}`);
    if (op.partial) {
      assert.equal((await d.req('GET', '/v1/system/check')).body.consistent, true, where);
      assert.ok(((await d.req('GET', '/v1/sandboxes')).body as { name: string }[]).some((s) => s.name === 'dsb'), `the sandbox stays — ${where}`);
      continue;
    }
    assert.deepEqual(kernelState(), kernelBefore, `kernel restored — ${where}`);
    assert.deepEqual(await api(), apiBefore, `store restored — ${where}`);
  }
  assert.fail(`${op.name} never succeeded`);
}

describe('fault injection on the real kernel: a failed step leaves kernel and store as before', () => {
  before(async () => {
    d = createTestDaemon(['--bip', '10.170.0.1/24'], { env: { PATCHBAY_TEST_SEAMS: '1' } });
    await d.start();
    // `anet` sorts before `bridge`, so joining it takes the default route
    ok(await d.req('POST', '/v1/networks', { name: 'anet', ipam: { config: [{ subnet: '10.171.0.0/24', gateway: '10.171.0.1' }] } }), 201);
  });
  after(async () => d?.cleanup());

  for (const op of ops) {
    it(op.name, () => failEachMutation(op));
  }
});

/**
 * macvlan, on an outside LAN: veth lan0 (the parent) whose peer sits in the namespace `lanhost`.
 * `alan` sorts before `bridge`, so joining it moves the default route.
 */
const LAN_NET = { name: 'alan', driver: 'macvlan', options: { parent: 'lan0' }, ipam: { config: [{ subnet: '192.168.88.0/24', gateway: '192.168.88.254' }] } };
const ensureLan = async () => ok(await d.req('POST', '/v1/networks', LAN_NET), 201, 409);
/** what the API shows, with the macvlan network's IPAM too */
const lanApiState = async () => ({ ...(await apiState()), alan: (await d.req('GET', '/v1/networks/alan/ipam')).body });

const lanOps: Op[] = [
  {
    name: 'macvlan connect (the link made in the sandbox, the default route moves)',
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
    partial: true,
    setup: async () => {
      await ensureLan();
      await ensureSandbox('dsb');
      await ensureConnected('alan', 'dsb');
    },
    run: () => d.req('DELETE', '/v1/sandboxes/dsb'),
  },
];

describe('fault injection on the real kernel, macvlan: a failed step leaves kernel and store as before', () => {
  before(async () => {
    // the block above left its daemon's objects behind (kill -9)
    resetIsolatedNamespace();
    d = createTestDaemon(['--bip', '10.175.0.1/24'], { env: { PATCHBAY_TEST_SEAMS: '1' } });
    sh(['ip', 'netns', 'add', 'lanhost']);
    sh(['ip', 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lanp0', 'netns', 'lanhost']);
    sh(['ip', 'link', 'set', 'lan0', 'up']);
    inNs('/run/netns/lanhost', ['ip', 'addr', 'add', '192.168.88.254/24', 'dev', 'lanp0']);
    inNs('/run/netns/lanhost', ['ip', 'link', 'set', 'lanp0', 'up']);
    await d.start();
  });
  after(async () => d?.cleanup());

  for (const op of lanOps) {
    it(op.name, () => failEachMutation(op, lanApiState));
  }

  it('macvlan network create and delete on an existing parent make no kernel change (nothing to fail half-way), and leave the parent as it was', async () => {
    await ensureGone('/v1/networks/alan');
    const count = async () => ((await d.req('GET', '/v1/debug/mutations')).body as { count: number }).count;
    // counted once background work settled: links retired by earlier tests are deleted before `before`
    const m0 = await count();
    const before = kernelState();
    ok(await d.req('POST', '/v1/networks', LAN_NET), 201);
    ok(await d.req('DELETE', '/v1/networks/alan'), 204);
    assert.equal(await count(), m0);
    assert.deepEqual(kernelState(), before);
  });
});
