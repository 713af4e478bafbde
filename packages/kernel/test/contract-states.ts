import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KernelError } from '@patchbay/errors';
import type { LinkCaseContext } from './contract-links.js';

/**
 * The kernel contract's cases for reading a namespace's state at once (netnsState) and many at
 * once (netnsStates): the same as links, addresses and routes read one by one. A kernel without
 * them (the `ip` backend) skips these cases: callers fall back to the separate reads.
 */
export function stateCases(ctx: () => LinkCaseContext): void {
  /** a namespace with eth0 up, addressed, with default routes of both families (its peer on a host bridge) */
  async function configured(which = 'a'): Promise<string> {
    const { k, nm, newNetns, cleanup } = ctx();
    const ns = await newNetns();
    const [br, host] = [`${nm('pbsbr')}${which}`, `${nm('pbsv')}${which}`];
    const octet = Number(nm('')) % 250;
    await k.ip(null, [
      { op: 'bridge.add', name: br },
      { op: 'link.set', name: br, up: true },
      { op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns },
      { op: 'link.set', name: host, master: br, up: true },
    ]);
    cleanup(() => k.ip(null, [{ op: 'link.del', name: br }, { op: 'link.del', name: host }], { ignoreMissing: true }));
    await k.ip(ns, [
      { op: 'addr.add', dev: 'eth0', cidr: `10.78.${octet}.2/24` },
      { op: 'link.set', name: 'eth0', up: true },
      { op: 'route.add', dst: 'default', via: `10.78.${octet}.1` },
      { op: 'addr.add', dev: 'eth0', cidr: `fd78:${octet}::2/64` },
      { op: 'route.add', dst: 'default', via: `fd78:${octet}::1` },
    ]);
    return ns;
  }

  it("netnsState is a namespace's links, addresses and routes in one read", async (t) => {
    const { k } = ctx();
    if (!k.netnsState) return t.skip('this kernel has no netnsState');
    const ns = await configured();
    const state = await k.netnsState(ns);
    assert.deepEqual(state, { links: await k.links(ns), addresses: await k.addresses(ns), routes: await k.routes(ns) });
    assert.ok(state.routes.some((r) => r.dst === 'default' && r.dev === 'eth0' && r.family === 4));
    assert.ok(state.routes.some((r) => r.dst === 'default' && r.dev === 'eth0' && r.family === 6));
  });

  it('netnsStates reads many namespaces in their order; one that cannot be read has its error in place', async (t) => {
    const { k } = ctx();
    if (!k.netnsStates || !k.netnsState) return t.skip('this kernel has no netnsStates');
    const [a, b] = [await configured('a'), await configured('b')];
    const missing = '/run/netns/pb-no-such-namespace';
    const states = await k.netnsStates([b, missing, a, b]);
    assert.equal(states.length, 4);
    assert.deepEqual([states[0], states[2], states[3]], [await k.netnsState(b), await k.netnsState(a), await k.netnsState(b)]);
    assert.ok(states[1] instanceof KernelError, `expected a KernelError, got ${String(states[1])}`);
    await assert.rejects(k.netnsState(missing), (err: unknown) => err instanceof KernelError && err.message === (states[1] as KernelError).message);
    assert.deepEqual(await k.netnsStates([]), []);
  });

  it('netnsStates refuses the daemon namespace and unsafe paths before reading anything', async (t) => {
    const { k } = ctx();
    if (!k.netnsStates) return t.skip('this kernel has no netnsStates');
    await assert.rejects(k.netnsStates([null as unknown as string]), TypeError);
    await assert.rejects(k.netnsStates(['/run/netns/../x']), /netns path/);
  });
}
