import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFirewall, renderRuleset, type FirewallKernel, type FirewallModel } from '../src/firewall/index.js';
import { defaultBridge, dns, web } from './firewall-fixtures.js';

/** Records nft documents; can be told to refuse the next batch (as nft does for a missing element). */
function stubKernel() {
  const applied: string[] = [];
  const deleted: string[] = [];
  let refuseNext = false;
  const kernel: FirewallKernel = {
    async nftApply(document) {
      if (refuseNext) {
        refuseNext = false;
        throw new Error('Error: Could not process rule: No such file or directory');
      }
      applied.push(document);
    },
    async nftListTable() {
      return undefined;
    },
    async nftDeleteTable(family, name) {
      deleted.push(`${family} ${name}`);
    },
  };
  return { kernel, applied, deleted, refuse: () => (refuseNext = true) };
}

const quietLog = () => {
  const warnings: string[] = [];
  return { log: { debug() {}, info() {}, warn: (_: object, msg: string) => void warnings.push(msg) }, warnings };
};

const prev: FirewallModel = { networks: [defaultBridge], ports: [web] };
const next: FirewallModel = { networks: [defaultBridge], ports: [web, dns] };

test('update applies only the element batch when only ports changed', async () => {
  const k = stubKernel();
  const fw = createFirewall({ kernel: k.kernel, log: quietLog().log, enabled: true });
  await fw.update(prev, next);
  assert.deepEqual(k.applied, ['add element inet patchbay dnat_v4 { 10.250.0.1 . udp . 5353 : 172.17.0.3 . 53 }\n']);
  await fw.update(next, next);
  assert.equal(k.applied.length, 1, 'no nft call for an unchanged model');
  await fw.update(undefined, next);
  assert.equal(k.applied[1], renderRuleset(next));
});

test('update falls back to the full document when the element batch is refused', async () => {
  const k = stubKernel();
  const { log, warnings } = quietLog();
  const fw = createFirewall({ kernel: k.kernel, log, enabled: true });
  k.refuse();
  await fw.update(prev, next);
  assert.deepEqual(k.applied, [renderRuleset(next)]);
  assert.equal(warnings.length, 1);
});

test('remove deletes both tables; plan has no side effects', async () => {
  const k = stubKernel();
  const fw = createFirewall({ kernel: k.kernel, log: quietLog().log, enabled: true });
  assert.equal(fw.plan(next), renderRuleset(next));
  assert.deepEqual(k.applied, []);
  await fw.remove();
  assert.deepEqual(k.deleted, ['inet patchbay', 'bridge patchbay']);
  assert.deepEqual(await fw.check(next), { ok: false, reason: 'table inet patchbay is missing' });
  assert.equal(await fw.show(), undefined);
  assert.equal(await fw.ruleCount(), 0);
});

test('disabled (--iptables=false): every method is a no-op', async () => {
  const refusing = new Proxy({} as FirewallKernel, {
    get: () => () => assert.fail('the kernel must not be called'),
  });
  const fw = createFirewall({ kernel: refusing, log: quietLog().log, enabled: false });
  await fw.apply(next);
  await fw.update(prev, next);
  await fw.remove();
  assert.equal(fw.plan(next), '');
  assert.equal(await fw.show(), undefined);
  assert.deepEqual(await fw.check(next), { ok: true });
  assert.equal(await fw.ruleCount(), 0);
});
