import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelError } from '@patchbay/errors';
import { createFakeKernel, runSteps, withFaults, type Kernel, type Step } from '../src/index.js';

/** A small multi-step operation with undos, as a driver would build it. */
function attachSteps(k: Kernel): Step[] {
  return [
    { name: 'netns', run: async () => void (await k.netnsAdd('sb')), undo: () => k.netnsDelete('sb') },
    {
      name: 'bridge',
      run: () => k.ip(null, [{ op: 'bridge.add', name: 'br0' }, { op: 'link.set', name: 'br0', up: true }]),
      undo: () => k.ip(null, [{ op: 'link.del', name: 'br0' }], { ignoreMissing: true }),
    },
    {
      name: 'veth',
      run: () => k.ip(null, [{ op: 'veth.add', name: 'vh', peer: 'eth0', peerNetns: '/run/netns/sb' }]),
      undo: () => k.ip(null, [{ op: 'link.del', name: 'vh' }], { ignoreMissing: true }),
    },
    { name: 'forwarding', run: () => k.sysctlSet('net.ipv4.ip_forward', '1'), undo: () => k.sysctlSet('net.ipv4.ip_forward', '0') },
    { name: 'firewall', run: () => k.nftApply('table inet patchbay {}\n'), undo: () => k.nftDeleteTable('inet', 'patchbay') },
  ];
}

describe('withFaults', () => {
  it('counts only mutating calls', async () => {
    const f = withFaults(createFakeKernel());
    await f.kernel.links(null);
    await f.kernel.netnsList();
    await f.kernel.isNetns('/proc/self/ns/net');
    await f.kernel.sysctlGet('net.ipv4.ip_forward');
    await f.kernel.nftListTable('inet', 'x');
    await f.kernel.checkTools(['ip']);
    assert.equal(f.mutations(), 0);
    await runSteps(attachSteps(f.kernel));
    assert.equal(f.mutations(), 5);
    await f.kernel.nftDeleteTable('inet', 'patchbay');
    assert.equal(f.mutations(), 6);
  });

  it('fails the Nth mutation without reaching the inner kernel, then lets calls through', async () => {
    const inner = createFakeKernel();
    const f = withFaults(inner);
    f.failAt(2);
    await f.kernel.netnsAdd('a');
    await assert.rejects(f.kernel.ip(null, [{ op: 'bridge.add', name: 'br0' }]), (err: KernelError) => {
      assert.equal(err.code, 'PB_ERR_KERNEL');
      assert.deepEqual(err.argv, ['fault-injection', 'ip', '#2']);
      assert.equal(err.details?.failedOp, 0);
      return true;
    });
    assert.deepEqual(inner.calls.map((c) => c.method), ['netnsAdd'], 'the faulted call never reached the kernel');
    await f.kernel.ip(null, [{ op: 'bridge.add', name: 'br0' }]);
    assert.equal(f.mutations(), 3);
  });

  it('breaks every step of an operation in turn; each time the undos leave nothing behind', async () => {
    const probe = withFaults(createFakeKernel());
    await runSteps(attachSteps(probe.kernel));
    const total = probe.mutations();
    for (let n = 1; n <= total; n++) {
      const inner = createFakeKernel();
      const f = withFaults(inner);
      f.failAt(n);
      await assert.rejects(runSteps(attachSteps(f.kernel)), (err: Error & { step?: string }) => typeof err.step === 'string');
      assert.deepEqual(await inner.netnsList(), [], `fault #${n}`);
      assert.deepEqual((await inner.links(null)).map((l) => l.name), ['lo'], `fault #${n}`);
      assert.equal(await inner.nftListTable('inet', 'patchbay'), undefined, `fault #${n}`);
      assert.equal(await inner.sysctlGet('net.ipv4.ip_forward'), '0', `fault #${n}`);
    }
  });

  it('rejects a mutation number below 1', () => {
    assert.throws(() => withFaults(createFakeKernel()).failAt(0), RangeError);
  });
});
