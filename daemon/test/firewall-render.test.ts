/**
 * Golden tests of the nft documents. After an intended change of the rules, regenerate with
 *   UPDATE_GOLDEN=1 node scripts/run-tests.mjs daemon/test/firewall-render.test.ts
 * and review the diff of daemon/test/golden/. daemon/test/firewall.int.test.ts applies every
 * golden file with the real nft, so a golden document is also known to be valid syntax.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { PatchbayError } from '@patchbay/errors';
import { planUpdate, renderRuleset, requiredSysctls, type FirewallModel } from '../src/firewall/index.js';
import {
  bound, defaultBridge, dns, goldenModels, iccOffNetwork, internalNetwork, onInternal, sctp, userNetwork, web, web6,
} from './firewall-fixtures.js';

const goldenPath = (name: string) => new URL(`./golden/firewall-${name}.nft`, import.meta.url);

for (const [name, model] of Object.entries(goldenModels)) {
  test(`golden: ${name}`, () => {
    const document = renderRuleset(model);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenPath(name), document);
    assert.equal(document, readFileSync(goldenPath(name), 'utf8'));
  });
}

test('rendering is deterministic and independent of input order', () => {
  const model = goldenModels.ports!;
  const shuffled: FirewallModel = { networks: [...model.networks].reverse(), ports: [...model.ports].reverse() };
  assert.equal(renderRuleset(model), renderRuleset(model));
  assert.equal(renderRuleset(shuffled), renderRuleset(model));
});

test('the document replaces existing tables in one transaction', () => {
  const lines = renderRuleset(goldenModels['icc-off']!).split('\n');
  assert.deepEqual(lines.slice(0, 4), [
    'table inet patchbay {}', 'delete table inet patchbay', 'table bridge patchbay {}', 'delete table bridge patchbay',
  ]);
  assert.ok(lines.includes('table inet patchbay {') && lines.includes('table bridge patchbay {'));
  // without ICC-off networks the bridge table is only deleted
  assert.ok(!renderRuleset(goldenModels['two-networks']!).includes('table bridge patchbay {\n'));
});

test('rule count does not grow with networks or ports', () => {
  const rules = (doc: string) => doc.split('\n').filter((l) => /^\t\t(?!type |flags |elements |comment )\S/.test(l) && !l.startsWith('\t\t\t')).length;
  const small = renderRuleset({ networks: [defaultBridge], ports: [] });
  const networks = Array.from({ length: 50 }, (_, i) => ({ ...userNetwork, bridge: `br-n${i}`, subnets: [`10.${i}.0.0/16`] }));
  const ports = networks.map((n, i) => ({ ...web, bridge: n.bridge, containerIp: `10.${i}.0.2`, hostPort: 10000 + i }));
  assert.equal(rules(renderRuleset({ networks, ports })), rules(small));
});

test('planUpdate: only element changes when only ports change', () => {
  const prev: FirewallModel = { networks: [defaultBridge, userNetwork], ports: [web, dns] };
  const next: FirewallModel = { networks: [defaultBridge, userNetwork], ports: [dns, { ...web, containerIp: '172.17.0.9' }, web6] };
  assert.equal(
    planUpdate(prev, next),
    [
      'delete element inet patchbay dnat_any_v4 { tcp . 8080 }',
      'add element inet patchbay dnat_any_v4 { tcp . 8080 : 172.17.0.9 . 80 }',
      'add element inet patchbay dnat_v6 { fd00::1 . tcp . 8443 : fd00:18::2 . 443 }',
      '',
    ].join('\n'),
  );
  assert.equal(planUpdate(next, prev).split('\n').filter((l) => l !== '').length, 3);
  assert.equal(planUpdate(prev, { ...prev, ports: [dns] }), 'delete element inet patchbay dnat_any_v4 { tcp . 8080 }\n');
});

test('planUpdate: nothing for an unchanged model; a network change is element changes; the bridge table coming or going is everything', () => {
  const model: FirewallModel = { networks: [defaultBridge], ports: [web] };
  assert.equal(planUpdate(model, { networks: [{ ...defaultBridge, id: 'renamed', name: 'other' }], ports: [web] }), '');
  assert.equal(planUpdate(undefined, model), renderRuleset(model));
  const withNetwork: FirewallModel = { networks: [defaultBridge, userNetwork], ports: [web] };
  const added = planUpdate(model, withNetwork).split('\n').filter(Boolean);
  const br = `"${userNetwork.bridge}"`;
  assert.deepEqual(added.map((l) => l.split(' {')[0]), [
    'add element inet patchbay bridges',
    'add element inet patchbay same_bridge',
    'add element inet patchbay subnets_v4',
    'add element inet patchbay subnets_v6',
    'add element inet patchbay masq_v4',
    'add element inet patchbay masq_v6',
  ]);
  assert.ok(added.every((l) => userNetwork.subnets.some((s) => l.includes(s)) || l.includes(br)), added.join('\n'));
  // and back: the same elements deleted (by key)
  const removed = planUpdate(withNetwork, model).split('\n').filter(Boolean);
  assert.equal(removed.length, 6);
  assert.ok(removed.every((l) => l.startsWith('delete element inet patchbay ')));
  assert.ok(removed.some((l) => l === `delete element inet patchbay same_bridge { ${br} . ${br} }`), removed.join('\n'));
  // the first network with ICC off brings the bridge table: the whole document
  const iccChanged: FirewallModel = { networks: [{ ...defaultBridge, icc: false }], ports: [web] };
  assert.equal(planUpdate(model, iccChanged), renderRuleset(iccChanged));
  // a second one with ICC off is elements in both tables
  const two: FirewallModel = { networks: [{ ...defaultBridge, icc: false }, { ...userNetwork, icc: false }], ports: [web] };
  const both = planUpdate(iccChanged, two);
  assert.match(both, /^add element bridge patchbay icc_off_v4 \{ 172\.18\.0\.0\/16 \. 172\.18\.0\.0\/16 \}$/m);
  assert.match(both, /^add element inet patchbay same_bridge \{ "br-1a2b3c4d5e6f" \. "br-1a2b3c4d5e6f" : drop \}$/m);
});

test('ports: host binding address, internal networks, address canonical form', () => {
  const doc = renderRuleset(goldenModels.ports!);
  assert.match(doc, /10\.250\.0\.1 \. tcp \. 2222 : 10\.0\.5\.2 \. 22/, 'hostBindingIpv4 used when hostIp is absent');
  assert.match(doc, /10\.250\.0\.1 \. udp \. 5353 : 172\.17\.0\.3 \. 53/);
  assert.match(doc, /tcp \. 8080 : 172\.17\.0\.2 \. 80/);
  assert.match(doc, /sctp \. 9000 : 172\.17\.0\.2 \. 9000/);
  assert.doesNotMatch(renderRuleset(goldenModels.internal!), /5432/, 'no published ports on internal networks');
  const spelled = renderRuleset({ networks: [userNetwork], ports: [{ ...web6, hostIp: 'FD00:0:0::0001', containerIp: 'fd00:18:0::2' }] });
  assert.equal(spelled, renderRuleset({ networks: [userNetwork], ports: [web6] }));
  const hostBits = renderRuleset({ networks: [{ ...defaultBridge, subnets: ['172.17.0.1/16'] }], ports: [] });
  assert.equal(hostBits, renderRuleset({ networks: [defaultBridge], ports: [] }));
});

test('invalid models are refused with domain errors before anything is rendered', () => {
  const refuses = (model: FirewallModel, code: string) =>
    assert.throws(() => renderRuleset(model), (e: unknown) => e instanceof PatchbayError && e.code === code);
  refuses({ networks: [{ ...defaultBridge, bridge: 'br0"; flush ruleset' }], ports: [] }, 'PB_ERR_INVALID_NAME');
  refuses({ networks: [{ ...defaultBridge, subnets: ['172.17.0.0/33'] }], ports: [] }, 'PB_ERR_INVALID_SUBNET');
  refuses({ networks: [defaultBridge], ports: [{ ...web, containerIp: '172.17.0.2 . 1' }] }, 'PB_ERR_INVALID_ADDRESS');
  refuses({ networks: [defaultBridge], ports: [{ ...web, hostIp: 'fd00::1' }] }, 'PB_ERR_INVALID_ADDRESS');
  refuses({ networks: [defaultBridge], ports: [{ ...web, hostPort: 70000 }] }, 'PB_ERR_INVALID');
  refuses({ networks: [defaultBridge], ports: [{ ...web, protocol: 'icmp' as 'tcp' }] }, 'PB_ERR_INVALID');
  refuses({ networks: [defaultBridge], ports: [{ ...web, bridge: 'br-gone' }] }, 'PB_ERR_INVALID');
  refuses({ networks: [defaultBridge], ports: [web, { ...web, endpointId: 'other', containerIp: '172.17.0.5' }] }, 'PB_ERR_PORT_IN_USE');
  refuses({ networks: [defaultBridge, { ...userNetwork, bridge: 'docker0' }], ports: [] }, 'PB_ERR_BRIDGE_IN_USE');
});

test('requiredSysctls', () => {
  assert.deepEqual(requiredSysctls({ networks: [], ports: [] }), {});
  assert.deepEqual(requiredSysctls({ networks: [defaultBridge], ports: [] }), { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(requiredSysctls({ networks: [defaultBridge, userNetwork, internalNetwork, iccOffNetwork], ports: [web, dns, sctp, web6, onInternal] }), {
    'net.ipv4.conf.docker0.route_localnet': '1',
    'net.ipv4.ip_forward': '1',
    'net.ipv6.conf.all.forwarding': '1',
    'net.ipv6.conf.default.forwarding': '1',
  });
  // a port bound to one non-loopback address cannot be reached through 127.0.0.1
  assert.deepEqual(requiredSysctls({ networks: [defaultBridge], ports: [dns] }), { 'net.ipv4.ip_forward': '1' });
  assert.deepEqual(Object.keys(requiredSysctls({ networks: [defaultBridge], ports: [{ ...dns, hostIp: '127.0.0.1' }] })), [
    'net.ipv4.conf.docker0.route_localnet', 'net.ipv4.ip_forward',
  ]);
  // hostBindingIpv4 makes an unbound port specific to that address
  assert.deepEqual(Object.keys(requiredSysctls(goldenModels.ports!)), [
    'net.ipv4.conf.docker0.route_localnet', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.default.forwarding',
  ]);
  assert.equal(requiredSysctls({ networks: goldenModels.ports!.networks, ports: [bound] })['net.ipv4.conf.br-routed.route_localnet'], undefined);
});
