import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NetnsState } from '@patchbay/kernel';
import { batchedSandboxStates, SANDBOXES_PER_READ } from '../src/controller/reconcile/sandbox-states.js';

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

describe('batched sandbox states (deep reconcile)', () => {
  it('reads in batches, in order, one batch ahead, each sandbox once', async () => {
    const r = recordingReader();
    const all = sandboxes(SANDBOXES_PER_READ * 2 + 5);
    const states = batchedSandboxStates(r.netnsStates, all);
    assert.equal((await states.take('sb0')).links[0]!.name, '/run/netns/ns0');
    // the first batch and the one after it
    assert.deepEqual(r.calls, [all.slice(0, SANDBOXES_PER_READ).map((s) => s.key), all.slice(SANDBOXES_PER_READ, SANDBOXES_PER_READ * 2).map((s) => s.key)]);
    for (const sb of all.slice(1)) assert.equal((await states.take(sb.id)).links[0]!.name, sb.key);
    assert.equal(r.calls.length, 3);
    assert.equal(r.calls.flat().length, all.length);
    await assert.rejects(states.take('sb0'), /not among those read/);
  });

  it("a sandbox that could not be read rejects with its own error; the others in its batch are read", async () => {
    const r = recordingReader((k) => (k.endsWith('/ns1') ? new Error('Cannot open network namespace ns1') : undefined));
    const states = batchedSandboxStates(r.netnsStates, sandboxes(3));
    await assert.rejects(states.take('sb1'), /Cannot open network namespace ns1/);
    assert.equal((await states.take('sb2')).links[0]!.name, '/run/netns/ns2');
  });

  it('a failed read ahead that nobody takes is not an unhandled rejection', async () => {
    let n = 0;
    const states = batchedSandboxStates(async (keys) => {
      if (n++ > 0) throw new Error('read failed');
      return keys.map(stateOf);
    }, sandboxes(SANDBOXES_PER_READ + 1));
    await states.take('sb0');
    await new Promise((r) => setImmediate(r));
    await assert.rejects(states.take(`sb${SANDBOXES_PER_READ}`), /read failed/);
  });
});
