import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createChangeFeed, type Change, type Stamped } from '../src/changes.js';
import type { SandboxRecord } from '../src/store/index.js';
import { buildTestApp } from './helpers/app.js';

const sandbox = (name: string): SandboxRecord => ({ id: `id-${name}`, name, containerId: `c-${name}`, key: `/run/netns/${name}`, external: false, created: '', state: 'ready' });
const created = (name: string): Change => ({ type: 'sandbox.created', sandbox: sandbox(name) });
const names = (seen: Stamped[]) => seen.map((c) => ('sandbox' in c ? c.sandbox.name : c.type));

describe('change feed', () => {
  test('every subscriber sees every change, in publish order, stamped with the publish time', () => {
    const feed = createChangeFeed();
    const a: Stamped[] = [];
    const b: Stamped[] = [];
    feed.subscribe((c) => a.push(c));
    feed.subscribe((c) => b.push(c));
    const before = Date.now();
    for (const n of ['one', 'two', 'three']) feed.publish(created(n));
    assert.deepStrictEqual(names(a), ['one', 'two', 'three']);
    assert.deepStrictEqual(names(b), ['one', 'two', 'three']);
    for (const c of a) assert.ok(c.at >= before && c.at <= Date.now());
  });

  test('delivery is synchronous: publish returns after the subscribers ran', () => {
    const feed = createChangeFeed();
    let seen = 0;
    feed.subscribe(() => seen++);
    feed.publish(created('x'));
    assert.equal(seen, 1);
  });

  test('an unsubscribed subscriber gets nothing more; the others go on', () => {
    const feed = createChangeFeed();
    const a: Stamped[] = [];
    const b: Stamped[] = [];
    const stopA = feed.subscribe((c) => a.push(c));
    feed.subscribe((c) => b.push(c));
    feed.publish(created('one'));
    stopA();
    stopA();
    feed.publish(created('two'));
    assert.deepStrictEqual(names(a), ['one']);
    assert.deepStrictEqual(names(b), ['one', 'two']);
  });

  test('a throwing subscriber breaks neither the publisher nor the others, and is reported', () => {
    const reported: [unknown, string][] = [];
    const feed = createChangeFeed({ onSubscriberError: (err, c) => reported.push([err, 'sandbox' in c ? c.sandbox.name : c.type]) });
    const before: Stamped[] = [];
    const after: Stamped[] = [];
    feed.subscribe((c) => before.push(c));
    feed.subscribe((c) => {
      if (c.type === 'sandbox.created' && c.sandbox.name === 'bad') throw new Error('boom');
    });
    feed.subscribe((c) => after.push(c));
    assert.doesNotThrow(() => feed.publish(created('bad')));
    feed.publish(created('good'));
    assert.deepStrictEqual(names(before), ['bad', 'good']);
    assert.deepStrictEqual(names(after), ['bad', 'good']);
    assert.equal(reported.length, 1);
    assert.equal((reported[0]![0] as Error).message, 'boom');
    assert.equal(reported[0]![1], 'bad');
  });

  test('a change published from inside a subscriber comes after the current one, for everyone', () => {
    const feed = createChangeFeed();
    const a: Stamped[] = [];
    const b: Stamped[] = [];
    feed.subscribe((c) => {
      a.push(c);
      if (c.type === 'sandbox.created' && c.sandbox.name === 'outer') feed.publish(created('inner'));
    });
    feed.subscribe((c) => b.push(c));
    feed.publish(created('outer'));
    assert.deepStrictEqual(names(a), ['outer', 'inner']);
    assert.deepStrictEqual(names(b), ['outer', 'inner']);
    assert.deepStrictEqual(names([...feed.recent()]), ['outer', 'inner']);
  });

  test('subscribing or unsubscribing during a delivery takes effect from the next change', () => {
    const feed = createChangeFeed();
    const late: Stamped[] = [];
    const victim: Stamped[] = [];
    let stopVictim = () => {};
    feed.subscribe(() => {
      stopVictim();
      feed.subscribe((c) => late.push(c));
    });
    stopVictim = feed.subscribe((c) => victim.push(c));
    feed.publish(created('first'));
    feed.publish(created('second'));
    assert.deepStrictEqual(names(victim), ['first']);
    assert.deepStrictEqual(names(late), ['second']);
  });

  test('recent() keeps the last historySize changes, oldest first, and a copy', () => {
    const feed = createChangeFeed({ historySize: 2 });
    for (const n of ['one', 'two', 'three']) feed.publish(created(n));
    const recent = feed.recent();
    assert.deepStrictEqual(names([...recent]), ['two', 'three']);
    feed.publish(created('four'));
    assert.deepStrictEqual(names([...recent]), ['two', 'three']);
    assert.deepStrictEqual(names([...feed.recent()]), ['three', 'four']);
  });
});

describe('the controller publishes its changes', () => {
  test('network, sandbox and endpoint lifecycles, with their records', async () => {
    const t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'] });
    try {
      const seen: string[] = [];
      t.controller.changes.subscribe((c) => {
        const parts: string[] = [c.type];
        if ('network' in c) parts.push(`net=${c.network.name}`);
        if ('sandbox' in c) parts.push(`sb=${c.sandbox.name}`);
        if ('endpoint' in c) parts.push(`ep=${c.endpoint.name}`, `in=${c.endpoint.sandboxId === null ? '-' : c.endpoint.sandboxId === t.controller.sandboxes.list()[0]?.id ? 'sb' : '?'}`);
        if ('networks' in c) parts.push(`names=${c.networks.join(',')}`);
        seen.push(parts.join(' '));
      });
      const c = t.controller;
      await c.networks.create({ name: 'n1', driver: 'bridge', ipamDriver: 'default', ipamConfig: [], ipamOptions: {}, enableIPv6: false, internal: false, attachable: false, options: {}, labels: {} });
      const sb = await c.sandboxes.create({ name: 's1' });
      await c.endpoints.create('n1', { name: 'e1', ports: [], aliases: [] });
      await c.endpoints.join('n1', 'e1', 's1');
      await c.endpoints.leave('n1', 'e1');
      await c.endpoints.remove('n1', 'e1');
      await c.endpoints.connect('n1', 's1', {});
      await c.endpoints.disconnect('n1', 's1');
      await c.sandboxes.remove(sb.id);
      await c.networks.remove('n1');
      assert.deepStrictEqual(seen, [
        'network.created net=n1',
        'sandbox.created sb=s1',
        'endpoint.created net=n1 ep=e1 in=-',
        'endpoint.joined net=n1 sb=s1 ep=e1 in=sb',
        'endpoint.left net=n1 sb=s1 ep=e1 in=sb',
        'endpoint.removed net=n1 ep=e1 in=-',
        // a connect's endpoint is created in its sandbox: it is published when both are done
        'endpoint.created net=n1 ep=s1 in=sb',
        'endpoint.joined net=n1 sb=s1 ep=s1 in=sb',
        'endpoint.left net=n1 sb=s1 ep=s1 in=sb',
        'endpoint.removed net=n1 ep=s1 in=sb',
        'sandbox.removed sb=s1',
        'network.removed net=n1',
      ]);
    } finally {
      await t.close();
    }
  });
});
