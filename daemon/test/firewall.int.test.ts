/**
 * The firewall on the real kernel: every golden document is valid nft, and the rules do what they
 * claim, proven with real traffic between namespaces made here. The test's own namespace plays the
 * host; "out" is an outside peer reached through a plain veth (10.250.0.1 host ↔ 10.250.0.2 out).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { requireIsolatedNamespace } from '../../test/helpers/isolation.js';
import { createFirewall, requiredSysctls, type FirewallKernel, type FirewallModel, type FirewallNetwork } from '../src/firewall/index.js';
import { defaultBridge, dns, goldenModels, iccOffNetwork, internalNetwork, userNetwork, web } from './firewall-fixtures.js';
import { addBridge, addSandbox, ask, ping, realNft, run, serve, setSysctl, stopServers } from './firewall-lab.js';

requireIsolatedNamespace();

const applied: string[] = [];
const kernel: FirewallKernel = { ...realNft, nftApply: (doc) => (applied.push(doc), realNft.nftApply(doc)) };
const log = { debug() {}, info() {}, warn() {} };
const fw = createFirewall({ kernel, log, enabled: true });

const quietWeb = { ...web, endpointId: 'ep-q2', bridge: 'br-quiet', containerIp: '10.0.4.3', hostPort: 8082 };
const model: FirewallModel = { networks: [defaultBridge, userNetwork, internalNetwork, iccOffNetwork], ports: [web, dns, quietWeb] };
const HOST = '10.250.0.1';
const OUT = '10.250.0.2';
const tables = () => run(['nft', 'list', 'tables']);

before(async () => {
  addBridge('docker0', '172.17.0.1/16');
  addBridge('br-1a2b3c4d5e6f', '172.18.0.1/16');
  addBridge('br-internal', '10.0.3.1/24');
  addBridge('br-quiet', '10.0.4.1/24');
  addSandbox('d1', { bridge: 'docker0', hostIf: 'v-d1', cidr: '172.17.0.2/16', gateway: '172.17.0.1' });
  addSandbox('d2', { bridge: 'docker0', hostIf: 'v-d2', cidr: '172.17.0.3/16', gateway: '172.17.0.1' });
  addSandbox('a1', { bridge: 'br-1a2b3c4d5e6f', hostIf: 'v-a1', cidr: '172.18.0.2/16', gateway: '172.18.0.1' });
  addSandbox('i1', { bridge: 'br-internal', hostIf: 'v-i1', cidr: '10.0.3.2/24', gateway: '10.0.3.1' });
  addSandbox('q1', { bridge: 'br-quiet', hostIf: 'v-q1', cidr: '10.0.4.2/24', gateway: '10.0.4.1' });
  addSandbox('q2', { bridge: 'br-quiet', hostIf: 'v-q2', cidr: '10.0.4.3/24', gateway: '10.0.4.1' });
  // routes back to the container subnets, so that without the firewall everything is reachable
  addSandbox('out', { hostIf: 'v-out', hostCidr: `${HOST}/24`, cidr: `${OUT}/24`, routes: [`172.16.0.0/12 via ${HOST}`, `10.0.0.0/16 via ${HOST}`] });
  for (const [key, value] of Object.entries(requiredSysctls(model))) setSysctl(key, value);
  // as the bridge driver does when there is no userland proxy: with br_netfilter, a container
  // reaching its own published port is bridged back out of its own port
  run(['ip', 'link', 'set', 'v-d1', 'type', 'bridge_slave', 'hairpin', 'on']);
  await serve('d1', 'tcp', 80);
  await serve('q2', 'tcp', 80);
  await serve('d2', 'udp', 53);
  await serve('out', 'tcp', 7000);
  run(['nft', '-f', '-'], 'table inet bystander {\n\tchain c {\n\t\ttype filter hook forward priority 10; policy accept;\n\t\tcounter\n\t}\n}\n');
});

after(() => stopServers());

test('every golden document applies with the real nft (twice) and check() accepts the result', async () => {
  try {
    for (const [name, golden] of Object.entries(goldenModels)) {
      const document = readFileSync(new URL(`./golden/firewall-${name}.nft`, import.meta.url), 'utf8');
      await kernel.nftApply(document);
      await kernel.nftApply(document);
      assert.deepEqual(await fw.check(golden), { ok: true }, name);
    }
  } finally {
    await fw.remove();
  }
});

test('baseline without patchbay rules: everything reaches everything, without NAT', () => {
  assert.ok(ping('a1', '172.17.0.2'));
  assert.ok(ping('q1', '10.0.4.3'));
  assert.ok(ping('i1', OUT));
  assert.equal(ask('d1', 'tcp', OUT, 7000), '172.17.0.2');
  assert.equal(ask('out', 'tcp', HOST, 8080), undefined, 'no DNAT yet');
});

test('apply installs the tables and leaves other tables alone', async () => {
  await fw.apply(model);
  assert.deepEqual(await fw.check(model), { ok: true });
  assert.equal(await fw.ruleCount(), 24);
  const shown = (await fw.show()) ?? '';
  assert.match(shown, /table inet patchbay \{/);
  assert.match(shown, /table bridge patchbay \{/);
  assert.match(tables(), /table inet bystander/);
});

test('isolation: no traffic between two networks, each reaches its gateway', () => {
  assert.ok(!ping('a1', '172.17.0.2'));
  assert.ok(!ping('d1', '172.18.0.2'));
  assert.ok(ping('a1', '172.18.0.1'));
  assert.ok(ping('d1', '172.17.0.1'));
  assert.ok(ping('d1', '172.17.0.3'), 'ICC on: same network talks');
});

test('ICC off blocks endpoints of one network, with and without br_netfilter', () => {
  for (const callIptables of ['1', '0']) {
    setSysctl('net.bridge.bridge-nf-call-iptables', callIptables);
    assert.ok(!ping('q1', '10.0.4.3'), `bridge-nf-call-iptables=${callIptables}`);
    assert.ok(ping('q1', '10.0.4.1'));
    assert.ok(ping('d1', '172.17.0.3'));
  }
  setSysctl('net.bridge.bridge-nf-call-iptables', '1');
});

test('internal network: nothing in or out of the subnet', () => {
  assert.ok(!ping('i1', OUT));
  assert.ok(!ping('out', '10.0.3.2'));
  assert.ok(ping('i1', '10.0.3.1'));
});

test('masquerade: the outside sees the host address', () => {
  assert.equal(ask('d1', 'tcp', OUT, 7000), HOST);
  assert.equal(ask('a1', 'tcp', OUT, 7000), HOST);
  assert.equal(ask('q1', 'tcp', OUT, 7000), HOST);
  assert.equal(ask('i1', 'tcp', OUT, 7000), undefined);
});

test('published tcp port: from outside, other networks, the same network, and the host incl. loopback', () => {
  assert.equal(ask('out', 'tcp', HOST, 8080), OUT, 'DNAT without SNAT from outside');
  assert.ok(ask('a1', 'tcp', '172.18.0.1', 8080), 'other network via its gateway address');
  assert.ok(ask('a1', 'tcp', HOST, 8080), 'other network via a host address');
  assert.ok(ask('q1', 'tcp', HOST, 8080), 'from an ICC-off network');
  assert.equal(ask('d2', 'tcp', '172.17.0.1', 8080), '172.17.0.1', 'hairpin from the same network is masqueraded');
  assert.equal(ask('d1', 'tcp', HOST, 8080), '172.17.0.1', 'a container reaches its own published port');
  assert.ok(ask(null, 'tcp', HOST, 8080), 'host to its own address');
  assert.equal(ask(null, 'tcp', '127.0.0.1', 8080), '172.17.0.1', 'host loopback, no userland proxy');
  assert.equal(ask('i1', 'tcp', '10.0.3.1', 8080), undefined, 'not from an internal network');
  assert.equal(ask('out', 'tcp', '172.17.0.2', 80), undefined, 'container port not reachable directly');
});

test('ICC off also covers published ports of the same network (with and without br_netfilter)', () => {
  assert.equal(ask('out', 'tcp', HOST, 8082), OUT);
  for (const callIptables of ['1', '0']) {
    setSysctl('net.bridge.bridge-nf-call-iptables', callIptables);
    assert.equal(ask('q1', 'tcp', HOST, 8082), undefined, `bridge-nf-call-iptables=${callIptables}`);
    assert.ok(ask('d1', 'tcp', HOST, 8082), 'other networks still reach it');
  }
  setSysctl('net.bridge.bridge-nf-call-iptables', '1');
});

test('published udp port bound to one host address', () => {
  assert.equal(ask('out', 'udp', HOST, 5353), OUT);
  assert.equal(ask('out', 'udp', '172.17.0.1', 5353), undefined, 'not on other host addresses');
});

test('update: a port change is an element batch, and takes effect', async () => {
  const withPort: FirewallModel = { ...model, ports: [...model.ports, { ...web, hostPort: 8081, endpointId: 'ep-web2' }] };
  applied.length = 0;
  await fw.update(model, withPort);
  assert.deepEqual(applied, ['add element inet patchbay dnat_any_v4 { tcp . 8081 : 172.17.0.2 . 80 }\n']);
  assert.equal(ask('out', 'tcp', HOST, 8081), OUT);
  assert.deepEqual(await fw.check(withPort), { ok: true });
  assert.equal((await fw.check(model)).ok, false, 'check sees the extra element');
  await fw.update(withPort, model);
  assert.equal(ask('out', 'tcp', HOST, 8081), undefined);
  assert.deepEqual(await fw.check(model), { ok: true });
});

test('update: a network leaving or coming back is an element batch (no base chain is touched), and takes effect', async () => {
  assert.equal(ping('i1', OUT), false, 'internal: nothing leaves');
  const withoutInternal: FirewallModel = { ...model, networks: model.networks.filter((n) => n !== internalNetwork) };
  applied.length = 0;
  await fw.update(model, withoutInternal);
  assert.equal(applied.length, 1);
  assert.ok(applied[0]!.split('\n').filter(Boolean).every((l) => /^(add|delete) element inet patchbay /.test(l)), applied[0]);
  assert.deepEqual(await fw.check(withoutInternal), { ok: true });
  assert.equal(ping('i1', OUT), true, 'no longer a patchbay network: nothing stops it');
  applied.length = 0;
  await fw.update(withoutInternal, model);
  assert.ok(applied[0]!.split('\n').filter(Boolean).every((l) => /^(add|delete) element inet patchbay /.test(l)), applied[0]);
  assert.deepEqual(await fw.check(model), { ok: true });
  assert.equal(ping('i1', OUT), false, 'internal again');
  assert.ok(!ping('a1', '172.17.0.2'), 'isolation between networks stays');
});

test('a flushed ruleset is detected by check() and restored by apply()', async () => {
  run(['nft', 'flush', 'ruleset']);
  assert.deepEqual(await fw.check(model), { ok: false, reason: 'table inet patchbay is missing' });
  assert.ok(ping('a1', '172.17.0.2'), 'isolation is gone with the table');
  await fw.apply(model);
  assert.deepEqual(await fw.check(model), { ok: true });
  assert.ok(!ping('a1', '172.17.0.2'));
  assert.equal(ask('out', 'tcp', HOST, 8080), OUT);
  const other = { ...model, networks: model.networks.filter((n) => n !== userNetwork), ports: [web, dns] };
  assert.deepEqual(await fw.check(other), { ok: false, reason: 'set bridges has 4 elements, expected 3' });
  const noIccOff = { ...model, networks: model.networks.filter((n) => n !== iccOffNetwork), ports: [web, dns] };
  assert.deepEqual(await fw.check(noIccOff), { ok: false, reason: 'table bridge patchbay exists but no network has ICC off' });
});

test('an incremental update over a flushed ruleset falls back to the full document', async () => {
  run(['nft', 'flush', 'ruleset']);
  await fw.update(model, { ...model, ports: [web] });
  assert.deepEqual(await fw.check({ ...model, ports: [web] }), { ok: true });
});

test('remove() leaves no patchbay table, twice', async () => {
  run(['nft', '-f', '-'], 'table inet bystander {\n}\n');
  await fw.remove();
  await fw.remove();
  assert.doesNotMatch(tables(), /patchbay/);
  assert.match(tables(), /table inet bystander/);
  assert.equal(await fw.show(), undefined);
});

test('network changes made one by one as element batches leave exactly the tables a full apply of the end model leaves', async () => {
  /** what the kernel holds: sets with their elements (order aside), chains and rules, without handles */
  const held = () =>
    ['inet', 'bridge'].map((family) => {
      let listing: string;
      try {
        listing = run(['nft', '-j', 'list', 'table', family, 'patchbay']);
      } catch {
        return null;
      }
      const strip = (v: unknown): unknown =>
        Array.isArray(v)
          ? v.map(strip)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'handle').map(([k, x]) => [k, k === 'elem' ? (x as unknown[]).map((e) => JSON.stringify(e)).sort() : strip(x)]))
            : v;
      return (JSON.parse(listing).nftables as object[]).filter((o) => !('metainfo' in o)).map(strip);
    });
  const many = Array.from({ length: 24 }, (_, i): FirewallNetwork => ({
    ...[userNetwork, internalNetwork, iccOffNetwork][i % 3]!,
    id: `g${i}`.padEnd(64, '0'),
    name: `grow${i}`,
    bridge: `br-grow${i}`,
    subnets: [`10.${200 + i}.0.0/24`, ...(i % 3 !== 1 ? [`fd00:${200 + i}::/64`] : [])],
  }));
  let current: FirewallModel = { networks: [defaultBridge, iccOffNetwork], ports: [web] };
  await fw.apply(current);
  const step = async (networks: FirewallNetwork[]) => {
    const next = { ...current, networks };
    applied.length = 0;
    await fw.update(current, next);
    assert.ok(applied.every((doc) => doc.split('\n').filter(Boolean).every((l) => /^(add|delete) element /.test(l))), applied.join('\n'));
    current = next;
  };
  for (const n of many) await step([...current.networks, n]); // creates, one by one
  for (const gone of [3, 10, 11, 17]) await step(current.networks.filter((n) => n !== many[gone])); // deletes
  await step(current.networks.map((n) => (n === many[5] ? { ...n, icc: !n.icc } : n))); // one network's ICC flips
  await step([...current.networks, many[10]!]); // one comes back
  assert.deepEqual(await fw.check(current), { ok: true });
  const incremental = held();
  await fw.apply(current);
  assert.deepEqual(incremental, held());
  await fw.remove();
});
