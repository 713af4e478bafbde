import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { requireIsolatedNamespace } from '../../../test/helpers/isolation.js';
import type { KernelError } from '@patchbay/errors';
import { createRealKernel, resolveKernelBackend } from '../src/index.js';
import { kernelContract, type ForeignNetns } from './contract.js';

requireIsolatedNamespace();

/** A "container": a process in its own network namespace, addressed as /proc/PID/ns/net. */
async function containerNetns(): Promise<ForeignNetns> {
  const child = spawn('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' });
  const path = `/proc/${child.pid}/ns/net`;
  const mine = readlinkSync('/proc/self/ns/net');
  // unshare(2) happens just after the spawn: wait until the process is in its own namespace
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(path) !== mine) break;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    path,
    dispose: async () => {
      child.kill();
    },
  };
}

kernelContract('real, in-process netlink', () => createRealKernel({ backend: 'netlink' }), { foreignNetns: containerNetns });
kernelContract('real, ip processes', () => createRealKernel({ backend: 'ip' }), { foreignNetns: containerNetns });

const ipLinkNames = (ns?: string): string[] =>
  (JSON.parse(execFileSync('ip', [...(ns ? ['-n', ns] : []), '-json', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname);

describe('real kernel: the netlink backend', () => {
  it('is what the default kernel uses once the addon is built', () => {
    assert.equal(resolveKernelBackend('auto').backend, 'netlink');
  });

  it('worker threads always return to the daemon namespace: 40 concurrent batches land where they were sent', async () => {
    const k = createRealKernel({ backend: 'netlink' });
    const sb = await k.netnsAdd('pbt-threads');
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => k.ip(i % 2 === 0 ? null : sb, [{ op: 'bridge.add', name: `pbthr${i}` }])),
      );
      const host = ipLinkNames().filter((n) => n.startsWith('pbthr'));
      const inside = ipLinkNames('pbt-threads').filter((n) => n.startsWith('pbthr'));
      const want = (parity: number) => Array.from({ length: 20 }, (_, j) => `pbthr${j * 2 + parity}`).sort();
      assert.deepEqual(host.sort(), want(0));
      assert.deepEqual(inside.sort(), want(1));
    } finally {
      await k.ip(null, Array.from({ length: 40 }, (_, i) => ({ op: 'link.del' as const, name: `pbthr${i}` })), { ignoreMissing: true });
      await k.netnsDelete('pbt-threads');
    }
  });

  it('a failure names the op, the errno and the kernel\'s own words', async () => {
    const k = createRealKernel({ backend: 'netlink' });
    await k.ip(null, [{ op: 'bridge.add', name: 'pbnl0' }, { op: 'addr.add', dev: 'pbnl0', cidr: '10.77.0.1/24' }]);
    try {
      await assert.rejects(k.ip(null, [{ op: 'link.set', name: 'pbnl0', up: true }, { op: 'addr.add', dev: 'pbnl0', cidr: '10.77.0.1/24' }]), (err: KernelError) => {
        assert.equal(err.details?.failedOp, 1);
        assert.match(err.message, /^netlink: EEXIST: addr add 10\.77\.0\.1\/24 dev pbnl0: RTNETLINK answers: File already exists/);
        return true;
      });
      await assert.rejects(k.ip(null, [{ op: 'link.set', name: 'pbnl0', master: 'pbnope9' }]), /ENODEV: .*Cannot find device "pbnope9"/);
    } finally {
      await k.ip(null, [{ op: 'link.del', name: 'pbnl0' }]);
    }
  });
});

describe('real kernel: specifics', () => {
  it('logs every command with argv and duration', async () => {
    const entries: { obj: Record<string, unknown>; msg: string }[] = [];
    const k = createRealKernel({ log: { debug: (obj, msg) => entries.push({ obj: obj as Record<string, unknown>, msg }) } });
    await k.links(null);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.msg, 'kernel call');
    assert.deepEqual(entries[0]!.obj.argv, ['ip', '-details', '-json', 'link', 'show']);
    assert.equal(typeof entries[0]!.obj.ms, 'number');
  });

  it('isNetns reads the type of a bind-mounted namespace file: a uts namespace is not a network one', async () => {
    const k = createRealKernel();
    const file = '/run/netns/pbt-uts';
    writeFileSync(file, '');
    execFileSync('mount', ['--bind', '/proc/self/ns/uts', file]);
    try {
      assert.equal(await k.isNetns(file), false);
    } finally {
      execFileSync('umount', [file]);
      rmSync(file);
    }
  });

  it('drives the daemon namespace through nsenter when given as a path', async () => {
    const k = createRealKernel();
    await k.ip('/proc/self/ns/net', [{ op: 'bridge.add', name: 'pbself0' }]);
    assert.ok((await k.links(null)).some((l) => l.name === 'pbself0'));
    await k.ip(null, [{ op: 'link.del', name: 'pbself0' }]);
  });
});
