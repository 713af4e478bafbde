/**
 * A network change is planned from the networks that came or went (diffNetworkSets), not from
 * every network: these tests hold it to the element-by-element comparison of both models, which
 * it replaces on the daemon's path, and show it reads nothing of the networks that stayed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planUpdate, requiredSysctls, type FirewallModel, type FirewallNetwork } from '../src/firewall/index.js';
import { diffNetworkSets } from '../src/firewall/network-diff.js';
import { diffAllNetworkSets } from '../src/firewall/render.js';
import { defaultBridge, iccOffNetwork, internalNetwork, unmasqueradedNetwork, userNetwork, web } from './firewall-fixtures.js';

const TABLES = { inet: 'inet patchbay', bridge: 'bridge patchbay' };
const model = (networks: FirewallNetwork[]): FirewallModel => ({ networks, ports: [] });

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Networks of every shape the sets know, each on a bridge and subnets of its own. */
function pool(): FirewallNetwork[] {
  const shapes = [defaultBridge, userNetwork, internalNetwork, iccOffNetwork, unmasqueradedNetwork];
  return Array.from({ length: 24 }, (_, i) => {
    const shape = shapes[i % shapes.length]!;
    const subnets = [`10.${100 + i}.0.0/24`, ...(shape.subnets.some((s) => s.includes(':')) ? [`fd00:${i + 1}::/64`] : [])];
    return { ...shape, id: `n${i}`.padEnd(64, '0'), name: `net${i}`, bridge: `br-n${i}`, subnets };
  });
}

test('diffNetworkSets gives the lines of the element-by-element comparison, over a long random walk of network arrays', () => {
  for (const seed of [1, 2, 3, 4]) {
    const next = random(seed);
    const all = pool();
    let current: FirewallNetwork[] = all.slice(0, 3);
    for (let step = 0; step < 150; step++) {
      const roll = next();
      let following: FirewallNetwork[];
      if (roll < 0.35) {
        // one network comes (a bridge not in use)
        const free = all.filter((n) => !current.some((c) => c.bridge === n.bridge));
        following = free.length ? [...current, free[Math.floor(next() * free.length)]!] : [...current];
      } else if (roll < 0.6) {
        // one goes
        following = current.filter((_, i) => i !== Math.floor(next() * current.length));
      } else if (roll < 0.75) {
        // one is replaced by a changed copy of itself (ICC, internal or masquerade flipped): same bridge, other elements
        const i = Math.floor(next() * current.length);
        const flip = (['icc', 'internal', 'masquerade'] as const)[Math.floor(next() * 3)]!;
        following = current.map((n, j) => (j === i ? { ...n, [flip]: !n[flip] } : n));
      } else if (roll < 0.85) {
        // an equal copy of every network: new objects, the same elements
        following = current.map((n) => ({ ...n }));
      } else {
        // several at once, in another order
        const free = all.filter((n) => !current.some((c) => c.bridge === n.bridge));
        following = [...current.filter(() => next() < 0.7), ...free.filter(() => next() < 0.3)].reverse();
      }
      const expected = diffAllNetworkSets(model(current), model(following));
      // every fourth step starts from an array whose index is not kept (a fresh copy of the same array)
      const from = step % 4 === 3 ? [...current] : current;
      assert.deepEqual(diffNetworkSets(from, following, TABLES), expected, `seed ${seed}, step ${step}`);
      current = following;
    }
  }
});

test('planUpdate of a network create reads nothing of the networks that stay', () => {
  const reads = new Map<string, number>();
  /** a network whose subnets are counted when read */
  const counted = (n: FirewallNetwork): FirewallNetwork => {
    const { subnets, ...rest } = n;
    return Object.defineProperty({ ...rest } as FirewallNetwork, 'subnets', {
      enumerable: true,
      get: () => (reads.set(n.name, (reads.get(n.name) ?? 0) + 1), subnets),
    });
  };
  const networks = pool().map(counted);
  const first = model(networks.slice(0, 20));
  const second = model(networks.slice(0, 21));
  planUpdate(first, second); // builds what it keeps of the first array
  requiredSysctls(second);
  reads.clear();
  const third = { ...model(networks.slice(0, 22)), ports: [web].filter(() => false) };
  const plan = planUpdate(second, third);
  requiredSysctls(third);
  assert.match(plan, /add element inet patchbay bridges \{ "br-n21" \}/);
  assert.deepEqual([...reads.keys()], ['net21'], 'only the new network was read');
  // and its removal reads nothing at all: its elements are kept
  reads.clear();
  assert.match(planUpdate(third, second), /delete element inet patchbay bridges \{ "br-n21" \}/);
  assert.deepEqual([...reads.keys()], []);
});

test('a network whose bridge is taken is refused with the same error as before, and the next change is still right', () => {
  const [a, b, c] = pool();
  const prev = model([a!, b!]);
  const clash = model([a!, b!, { ...c!, name: 'clash', bridge: b!.bridge }]);
  assert.throws(() => planUpdate(prev, clash), { code: 'PB_ERR_BRIDGE_IN_USE', message: /bridge br-n1 used twice/ });
  assert.throws(() => planUpdate(prev, model([a!, { ...c!, bridge: 'bad name' }])), { code: 'PB_ERR_INVALID_NAME' });
  const good = model([a!, b!, c!]);
  const expected = diffAllNetworkSets(prev, good);
  assert.equal(planUpdate(prev, good), [...expected.inet.deletes, ...expected.inet.adds].join('\n') + '\n');
  assert.match(planUpdate(good, model([a!, c!])), /^delete element inet patchbay bridges \{ "br-n1" \}$/m);
});
