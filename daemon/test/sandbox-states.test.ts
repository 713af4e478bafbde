import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetnsState } from '@patchbay/kernel';
import { BATCHES_AHEAD, forEachStateBatch, SANDBOXES_PER_READ } from '../src/controller/reconcile/sandbox-states.js';

/** A state that names its namespace, so a test can tell whose it got. */
const stateOf = (key: string): NetnsState => ({ links: [{ name: key, index: 1, kind: 'veth', mtu: 1500, mac: '', up: true }], addresses: [], routes: [] });

function recordingReader(fail: (key: string) => Error | undefined = () => undefined) {
  const calls: string[][] = [];
  const netnsStates = async (keys: readonly string[]) => {
    calls.push([...keys]);
    return keys.map((k) => fail(k) ?? stateOf(k));
  };
  return { calls, netnsStates };
}

const sandboxes = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `sb${i}`, key: `/run/netns/ns${i}` }));
const nameOf = (s: NetnsState | Error) => (s instanceof Error ? s.message : s.links[0]!.name);

describe('batched sandbox states (deep reconcile)', () => {
  it('reads in batches, in order, BATCHES_AHEAD batches ahead, each sandbox once', async () => {
    const r = recordingReader();
    const batches = BATCHES_AHEAD + 3;
    const all = sandboxes(SANDBOXES_PER_READ * (batches - 1) + 5);
    const seen: string[] = [];
    const readsWhenVisited: number[] = [];
    await forEachStateBatch(r.netnsStates, all, async (from, states) => {
      assert.equal(from, seen.length);
      readsWhenVisited.push(r.calls.length);
      seen.push(...states.map(nameOf));
    });
    assert.deepEqual(seen, all.map((s) => s.key));
    // the batch visited and the BATCHES_AHEAD after it were asked for; never more
    assert.deepEqual(readsWhenVisited, Array.from({ length: batches }, (_, i) => Math.min(batches, i + 1 + BATCHES_AHEAD)));
    assert.deepEqual(r.calls.map((c) => c.length), [...Array.from({ length: batches - 1 }, () => SANDBOXES_PER_READ), 5]);
  });

  it('a sandbox that could not be read comes as its own error; the others in its batch are read', async () => {
    const r = recordingReader((k) => (k.endsWith('/ns1') ? new Error('Cannot open network namespace ns1') : undefined));
    const seen: string[] = [];
    await forEachStateBatch(r.netnsStates, sandboxes(3), async (_from, states) => void seen.push(...states.map(nameOf)));
    assert.deepEqual(seen, ['/run/netns/ns0', 'Cannot open network namespace ns1', '/run/netns/ns2']);
  });

  it('a batch whose read failed rejects when its turn comes; read ahead, it is no unhandled rejection', async () => {
    let n = 0;
    const visited: number[] = [];
    const run = forEachStateBatch(
      async (keys) => {
        if (n++ > 0) throw new Error('read failed');
        return keys.map(stateOf);
      },
      sandboxes(SANDBOXES_PER_READ * (BATCHES_AHEAD + 1)),
      async (from) => {
        // the failed read ahead settles while this batch is visited
        await new Promise((r) => setImmediate(r));
        visited.push(from);
      },
    );
    await assert.rejects(run, /read failed/);
    assert.deepEqual(visited, [0]);
  });

  it('a visit that throws stops the reads, and a failed read ahead is no unhandled rejection', async () => {
    let n = 0;
    const calls: number[] = [];
    const run = forEachStateBatch(
      async (keys) => {
        calls.push(keys.length);
        if (n++ > 0) throw new Error('read failed');
        return keys.map(stateOf);
      },
      sandboxes(SANDBOXES_PER_READ * (BATCHES_AHEAD + 3)),
      async () => {
        await new Promise((r) => setImmediate(r));
        throw new Error('check failed');
      },
    );
    await assert.rejects(run, /check failed/);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, BATCHES_AHEAD + 1);
  });
});
