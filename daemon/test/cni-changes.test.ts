import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import type { Stamped } from '../src/changes.js';
import { buildCniTestApp, cniConf, cniEnv, type CniTestApp } from './helpers/cni-app.js';

let t: CniTestApp;
const ns = (id: string) => `/var/run/netns/cni-${id}`;

/** Every change published while `work` runs, as `type` and the names of the objects it carries. */
async function changesOf(work: () => Promise<unknown>): Promise<string[]> {
  const seen: Stamped[] = [];
  const stop = t.controller.changes.subscribe((c) => seen.push(c));
  try {
    await work();
  } finally {
    stop();
  }
  return seen.map((c) => {
    const objects = [
      'network' in c ? c.network.name : '',
      'sandbox' in c ? c.sandbox.containerId : '',
      'endpoint' in c ? (c.endpoint.ipv4 ?? '') : '',
    ];
    return [c.type, ...objects.filter(Boolean)].join(' ');
  });
}

const exec = async (command: string, id: string) => {
  const r = await t.exec(cniEnv(command, id, ns(id)), cniConf());
  assert.ok(r.status < 300, JSON.stringify(r.body));
};

describe('CNI ADD and DEL on the change feed', () => {
  beforeEach(async () => {
    await t?.close();
    t = await buildCniTestApp();
    for (const id of ['c1', 'c2', 'n1']) t.kernel.addForeignNetns(ns(id));
  });
  after(() => t.close());

  it('publish what the native sandbox create, connect and sandbox remove publish', async () => {
    assert.deepEqual(await changesOf(() => exec('ADD', 'c1')), [
      'network.created cninet',
      'sandbox.created c1',
      'endpoint.created cninet 10.77.0.2/24',
      'endpoint.joined cninet c1 10.77.0.2/24',
    ]);
    const native = await changesOf(async () => {
      const sb = await t.controller.sandboxes.create({ containerId: 'n1', netnsPath: ns('n1') });
      await t.controller.endpoints.connect('cninet', sb.id, {});
    });
    assert.deepEqual(native, ['sandbox.created n1', 'endpoint.created cninet 10.77.0.3/24', 'endpoint.joined cninet n1 10.77.0.3/24']);

    const del = await changesOf(() => exec('DEL', 'c1'));
    assert.deepEqual(del, ['endpoint.left cninet c1 10.77.0.2/24', 'endpoint.removed cninet 10.77.0.2/24', 'sandbox.removed c1']);
    const nativeRemove = await changesOf(() => t.controller.sandboxes.remove('n1'));
    assert.deepEqual(nativeRemove, ['endpoint.left cninet n1 10.77.0.3/24', 'endpoint.removed cninet 10.77.0.3/24', 'sandbox.removed n1']);
  });

  it('a DEL after the namespace is gone publishes the same removals', async () => {
    await exec('ADD', 'c1');
    await exec('ADD', 'c2');
    t.kernel.removeForeignNetns(ns('c2'));
    assert.deepEqual(await changesOf(() => exec('DEL', 'c2')), [
      'endpoint.left cninet c2 10.77.0.3/24',
      'endpoint.removed cninet 10.77.0.3/24',
      'sandbox.removed c2',
    ]);
  });
});
