import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { requireIsolatedNamespace } from '../../../test/helpers/isolation.js';
import { createRealKernel } from '../src/index.js';
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

kernelContract('real', () => createRealKernel(), { foreignNetns: containerNetns });

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
