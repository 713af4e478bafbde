import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { on } from 'node:events';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, describe, it } from 'node:test';
import { loadNetlinkAddon, type AddonLoad } from '../src/netlink/addon.js';
import { replaceFile } from '../src/replace-file.js';

const dir = mkdtempSync(join(tmpdir(), 'pbt-replace-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const withoutAddon = (): AddonLoad => ({ error: 'not built (test)' });

describe('replaceFile', () => {
  it('the addon has it (built with the package)', () => {
    assert.equal(typeof loadNetlinkAddon().addon?.replaceFile, 'function');
  });

  for (const [how, load] of [['through the addon', loadNetlinkAddon], ['without the addon (rename)', withoutAddon]] as const) {
    it(`${how}: the target gets the new file, first or again, and the source name is gone`, async () => {
      const to = join(dir, `target-${load === withoutAddon ? 'r' : 'a'}`);
      const from = `${to}.tmp`;
      writeFileSync(from, 'one\n');
      await replaceFile(from, to, load);
      assert.equal(readFileSync(to, 'utf8'), 'one\n');
      writeFileSync(from, 'two\n');
      const inode = statSync(from).ino;
      await replaceFile(from, to, load);
      assert.equal(readFileSync(to, 'utf8'), 'two\n');
      assert.equal(statSync(to).ino, inode, 'the new file itself, not a copy');
      assert.equal(existsSync(from), false);
    });

    it(`${how}: a missing source fails as fs does and leaves the target as it was`, async () => {
      const to = join(dir, `kept-${load === withoutAddon ? 'r' : 'a'}`);
      writeFileSync(to, 'kept\n');
      await assert.rejects(replaceFile(join(dir, 'never'), to, load), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
      assert.equal(readFileSync(to, 'utf8'), 'kept\n');
    });
  }

  it('readers never find the target missing or partly written while it is replaced over and over', async (t) => {
    const cpus = availableParallelism();
    if (cpus < 2) return t.skip('one CPU: the reader would not run beside the writer');
    const to = join(dir, 'watched');
    writeFileSync(to, 'a'.repeat(100));
    const reader = new Worker(
      `const { readFileSync, readlinkSync } = require('node:fs');
       const { parentPort, workerData } = require('node:worker_threads');
       const seen = { reads: 0, bad: [] };
       let stop = false;
       parentPort.on('message', () => (stop = true));
       parentPort.postMessage(readlinkSync('/proc/thread-self').split('/').pop());
       (function loop() {
         for (let i = 0; i < 200; i++) {
           try {
             const text = readFileSync(workerData, 'utf8');
             if (!/^(a{100}|b{50})$/.test(text)) seen.bad.push(JSON.stringify(text.slice(0, 20)));
           } catch (err) { seen.bad.push(err.code); }
           seen.reads++;
         }
         if (stop) parentPort.postMessage(seen); else setImmediate(loop);
       })();`,
      { eval: true, workerData: to },
    );
    const messages = on(reader, 'message');
    const readerTid = String((await messages.next()).value[0]);
    // the reader and this thread on CPUs of their own: a scheduler that packs threads onto one CPU
    // would otherwise run the reader only between two replacements, never inside one
    execFileSync('taskset', ['-pc', '1', readerTid], { stdio: 'ignore' });
    execFileSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 2000; i++) {
        writeFileSync(`${to}.tmp`, i % 2 ? 'a'.repeat(100) : 'b'.repeat(50));
        await replaceFile(`${to}.tmp`, to);
        if (i % 100 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      execFileSync('taskset', ['-pc', `0-${cpus - 1}`, String(process.pid)], { stdio: 'ignore' });
    }
    reader.postMessage('stop');
    const seen = (await messages.next()).value[0] as { reads: number; bad: string[] };
    await reader.terminate();
    assert.ok(seen.reads > 0);
    assert.deepEqual(seen.bad, []);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('watched')), ['watched']);
  });
});
