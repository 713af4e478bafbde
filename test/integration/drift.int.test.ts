import { requireIsolatedNamespace } from '../helpers/isolation.js';
requireIsolatedNamespace();

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type HttpResult, type TestDaemon } from '../helpers/daemon.js';

/** Drift made by hand on the real kernel: a dry run reports it and changes nothing; reconcile repairs it. */

interface Drift {
  kind: string;
  object: string;
  action: string;
  error?: string;
}
interface Ep {
  name: string;
  networkName: string;
  sandboxId: string;
  ifName: string;
  hostIfName: string;
  ipv4Address: string;
}

let d: TestDaemon;
const ok = (r: HttpResult, status: number) => assert.equal(r.status, status, r.text);
const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
const json = (out: string) => JSON.parse(out || '[]') as Record<string, unknown>[];

/** Links, addresses and routes of the main and every named namespace, the netns list, the ruleset. */
function kernelState() {
  const names = readdirSync('/run/netns').sort();
  const spaces: Record<string, unknown> = {};
  for (const ns of [null, ...names]) {
    const run = (argv: string[]) => json((ns === null ? sh(argv) : inNs(`/run/netns/${ns}`, argv)).out);
    spaces[ns ?? 'main'] = {
      links: sorted(run(['ip', '-json', 'link', 'show']).map((l) => ({ name: l.ifname, master: l.master, mtu: l.mtu, flags: l.flags }))),
      addrs: sorted(run(['ip', '-json', 'addr', 'show']).flatMap((l) => (l.addr_info as { local: string; prefixlen: number }[]).map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`))),
      routes: sorted(run(['ip', '-json', 'route', 'show']).map((r) => ({ dst: r.dst, gateway: r.gateway, dev: r.dev }))),
    };
  }
  return { names, spaces, ruleset: sh(['nft', 'list', 'ruleset']).out };
}

const sandboxes: Record<string, { id: string; key: string }> = {};
const keyOf = (sb: string) => sandboxes[sb]!.key;
const bridges: Record<string, string> = { bridge: 'pb0' };
const gateways: Record<string, string> = { bridge: '10.180.0.1', unet: '10.181.0.1' };
let eps: Ep[] = [];
const ep = (sandbox: string, network: string) => eps.find((e) => e.sandboxId === sandboxes[sandbox]!.id && e.networkName === network)!;
const ip = (e: Ep) => e.ipv4Address.split('/')[0]!;
/** The network whose endpoint gives sandbox `sb` its default route, and the other one. */
function byRoute(sb: string) {
  const dev = (json(inNs(keyOf(sb), ['ip', '-json', 'route', 'show', 'default']).out)[0]?.dev as string) ?? '';
  const gw = eps.find((e) => e.sandboxId === sandboxes[sb]!.id && e.ifName === dev)!;
  return { gateway: gw, other: eps.find((e) => e.sandboxId === gw.sandboxId && e !== gw)! };
}

function assertTraffic() {
  const ping = (sb: string, to: string) => assert.equal(inNs(keyOf(sb), ['ping', '-c', '1', '-W', '2', to], { allowFail: true }).code, 0, `${sb} → ${to}`);
  for (const net of ['bridge', 'unet']) {
    ping('a', ip(ep('b', net)));
    ping('b', ip(ep('a', net)));
    ping('a', gateways[net]!);
    ping('b', gateways[net]!);
  }
}

/** Make the drift, then: dry run reports exactly `expected` and changes nothing, check fails, reconcile repairs. */
async function driftCase(make: () => void, expected: () => Omit<Drift, 'action'>[], actionMatches: RegExp[]) {
  make();
  const before = kernelState();
  const dry = await d.req('POST', '/v1/system/reconcile?dryRun=true');
  ok(dry, 200);
  const drifts = dry.body.drifts as Drift[];
  assert.deepEqual(sorted(drifts.map(({ kind, object }) => ({ kind, object }))), sorted(expected()), JSON.stringify(drifts));
  for (const re of actionMatches) assert.ok(drifts.some((x) => re.test(x.action)), `an action matches ${re}: ${JSON.stringify(drifts)}`);
  assert.equal(dry.body.repaired, false);
  assert.deepEqual(kernelState(), before, 'the dry run changed the kernel');

  const check = await d.req('GET', '/v1/system/check');
  ok(check, 200);
  assert.equal(check.body.consistent, false);
  assert.equal(check.body.drifts.length, drifts.length);
  assert.deepEqual(kernelState(), before, 'the check changed the kernel');

  const fix = await d.req('POST', '/v1/system/reconcile');
  ok(fix, 200);
  assert.equal(fix.body.repaired, true, fix.text);
  assert.ok((fix.body.drifts as Drift[]).every((x) => x.error === undefined), fix.text);
  const after = await d.req('GET', '/v1/system/check');
  assert.equal(after.body.consistent, true, after.text);
  assertTraffic();
}

describe('drift on the real kernel: reported by a dry run, repaired by reconcile', () => {
  before(async () => {
    d = createTestDaemon(['--bip', '10.180.0.1/24', '--firewall-check-interval', '0']);
    await d.start();
    const n = await d.req('POST', '/v1/networks', { name: 'unet', ipam: { config: [{ subnet: '10.181.0.0/24', gateway: '10.181.0.1' }] } });
    ok(n, 201);
    bridges.unet = n.body.bridge;
    for (const name of ['a', 'b']) {
      const s = await d.req('POST', '/v1/sandboxes', { name });
      ok(s, 201);
      sandboxes[name] = { id: s.body.id, key: s.body.key };
      for (const net of ['bridge', 'unet']) ok(await d.req('POST', `/v1/networks/${net}/connect`, { sandbox: name }), 201);
    }
    eps = (await d.req('GET', '/v1/endpoints')).body as Ep[];
    assert.equal(eps.length, 4);
  });
  after(async () => d?.cleanup());

  it('starts consistent, with traffic on both networks', async () => {
    assert.equal((await d.req('GET', '/v1/system/check')).body.consistent, true);
    assertTraffic();
  });

  const endpointObject = (e: Ep, sb: string) => `endpoint ${e.name} (network ${e.networkName}, sandbox ${sb})`;

  it("a user network's bridge deleted", () =>
    driftCase(
      () => sh(['ip', 'link', 'del', bridges.unet!]),
      // its ports survive, detached
      () => [{ kind: 'bridge-missing', object: 'network unet' }, ...['a', 'b'].map((sb) => ({ kind: 'veth-detached', object: endpointObject(ep(sb, 'unet'), sb) }))],
      [new RegExp(`re-create bridge ${bridges.unet}`)],
    ));

  it("a host veth deleted (the one of the sandbox's default route)", () => {
    let target: Ep;
    return driftCase(
      () => {
        target = byRoute('b').gateway;
        sh(['ip', 'link', 'del', target.hostIfName]);
      },
      () => [{ kind: 'endpoint-link-missing', object: endpointObject(target, 'b') }],
      [/re-join/],
    );
  });

  it("the default bridge's gateway address deleted", () =>
    driftCase(
      () => sh(['ip', 'addr', 'del', '10.180.0.1/24', 'dev', 'pb0']),
      () => [{ kind: 'gateway-address-missing', object: 'network bridge' }],
      [/add 10\.180\.0\.1\/24 to pb0/],
    ));

  it('an address deleted inside a sandbox', () => {
    let target: Ep;
    return driftCase(
      () => {
        target = byRoute('b').other; // not the default route's interface: that drift is the next case
        inNs(keyOf('b'), ['ip', 'addr', 'del', target.ipv4Address, 'dev', target.ifName]);
      },
      () => [{ kind: 'endpoint-address-missing', object: endpointObject(target, 'b') }],
      [/add 10\.18[01]\.0\.\d+\/24 to eth\d/],
    );
  });

  it('the default route deleted inside a sandbox', () => {
    let target: Ep;
    return driftCase(
      () => {
        target = byRoute('a').gateway;
        inNs(keyOf('a'), ['ip', 'route', 'del', 'default']);
      },
      () => [{ kind: 'default-route-missing', object: endpointObject(target, 'a') }],
      [/add default via 10\.18[01]\.0\.1/],
    );
  });

  it('the inet patchbay table deleted', () =>
    driftCase(
      () => sh(['nft', 'delete', 'table', 'inet', 'patchbay']),
      () => [{ kind: 'firewall', object: 'patchbay nft tables' }],
      [/re-apply/],
    ));

  it('an orphan veth and an orphan namespace made by hand', () =>
    driftCase(
      () => {
        sh(['ip', 'link', 'add', 'pbvdeadbeef0001', 'type', 'veth', 'peer', 'name', 'xdeadpeer0']);
        sh(['ip', 'netns', 'add', 'pb-deadbeef0001']);
      },
      () => [
        { kind: 'orphan-link', object: 'link pbvdeadbeef0001' },
        { kind: 'orphan-netns', object: 'namespace pb-deadbeef0001' },
      ],
      [/delete/],
    ).then(() => {
      assert.equal(sh(['ip', 'link', 'show', 'pbvdeadbeef0001'], { allowFail: true }).code !== 0, true);
      assert.equal(readdirSync('/run/netns').includes('pb-deadbeef0001'), false);
    }));

  it('all of them at once', () => {
    const t = { routeOfA: byRoute('a').gateway, vethOfA: byRoute('a').other, addrOfB: byRoute('b').other };
    return driftCase(
      () => {
        sh(['ip', 'link', 'del', bridges.unet!]);
        sh(['ip', 'link', 'del', t.vethOfA.hostIfName]);
        sh(['ip', 'addr', 'del', '10.180.0.1/24', 'dev', 'pb0']);
        inNs(keyOf('b'), ['ip', 'addr', 'del', t.addrOfB.ipv4Address, 'dev', t.addrOfB.ifName]);
        inNs(keyOf('a'), ['ip', 'route', 'del', 'default']);
        sh(['nft', 'delete', 'table', 'inet', 'patchbay']);
        sh(['ip', 'link', 'add', 'pbvdeadbeef0001', 'type', 'veth', 'peer', 'name', 'xdeadpeer0']);
        sh(['ip', 'netns', 'add', 'pb-deadbeef0001']);
      },
      () => [
        { kind: 'bridge-missing', object: 'network unet' },
        ...['a', 'b'].map((sb) => {
          const e = ep(sb, 'unet');
          return { kind: e === t.vethOfA ? 'endpoint-link-missing' : 'veth-detached', object: endpointObject(e, sb) };
        }),
        ...(t.vethOfA.networkName === 'unet' ? [] : [{ kind: 'endpoint-link-missing', object: endpointObject(t.vethOfA, 'a') }]),
        { kind: 'gateway-address-missing', object: 'network bridge' },
        { kind: 'endpoint-address-missing', object: endpointObject(t.addrOfB, 'b') },
        { kind: 'default-route-missing', object: endpointObject(t.routeOfA, 'a') },
        { kind: 'firewall', object: 'patchbay nft tables' },
        { kind: 'orphan-link', object: 'link pbvdeadbeef0001' },
        { kind: 'orphan-netns', object: 'namespace pb-deadbeef0001' },
      ],
      [/re-create bridge/, /re-join/, /add 10\.180\.0\.1\/24 to pb0/, /add default via/, /re-apply/, /delete/],
    );
  });
});
