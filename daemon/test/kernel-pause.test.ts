import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeKernel } from '@patchbay/kernel';
import { trackKernelPauses, waitForPause } from '../src/controller/kernel-pause.js';
import { setPauses } from './helpers/set-pauses.js';

describe('kernel pauses', () => {
  it('idleFor() is 0 while a call runs and counts from the end of the last one', async () => {
    let clock = 100;
    const fake = createFakeKernel();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { ...fake, ip: async (...args: Parameters<typeof fake.ip>) => (await gate, fake.ip(...args)) };
    const p = trackKernelPauses(slow, () => clock);
    clock = 150;
    assert.equal(p.idleFor(), 50);
    const call = p.kernel.ip(null, [{ op: 'dummy.add', name: 'd0' }]);
    clock = 400;
    assert.equal(p.idleFor(), 0, 'a call runs');
    release();
    await call;
    clock = 410;
    assert.equal(p.idleFor(), 10);
    assert.ok(await fake.link(null, 'd0'), 'the call went through');
    await assert.rejects(p.kernel.ip(null, [{ op: 'link.del', name: 'nope' }]));
    clock = 425;
    assert.equal(p.idleFor(), 15, 'a failed call ends too');
  });

  it('waitForPause resolves once idle long enough, at maxWaitMs at the latest, or at now()', async () => {
    const pauses = setPauses();
    pauses.set(0);
    let done = false;
    const w = waitForPause({ pauses, quietMs: 5, maxWaitMs: 10_000 });
    void w.done.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(done, false, 'never idle: still waiting');
    pauses.set(5);
    await w.done;

    const capped = waitForPause({ pauses: setPauses(), quietMs: 1000, maxWaitMs: 15 });
    const started = performance.now();
    await capped.done;
    assert.ok(performance.now() - started >= 14);

    const cut = waitForPause({ pauses: setPauses(), quietMs: 60_000, maxWaitMs: 60_000 });
    cut.now();
    await cut.done;
  });
});
