import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processRunner } from '../src/index.js';

/** The default runner against real (harmless) programs: sh and a program that does not exist. */
describe('processRunner', () => {
  it('gives the exit status and both outputs, with stdin fed from input', async () => {
    const r = await processRunner(['sh', '-c', 'read line; echo "out:$line"; echo "err:$LC_ALL" >&2; exit 3'], 'hello\n');
    assert.deepStrictEqual(r, { exitCode: 3, stdout: 'out:hello\n', stderr: 'err:C\n' });
  });

  it('passes only a minimal environment (LC_ALL=C and PATH)', async () => {
    process.env.PB_RUNNER_TEST_LEAK = 'leaked';
    try {
      const r = await processRunner(['sh', '-c', 'echo "[$PB_RUNNER_TEST_LEAK]"']);
      assert.deepStrictEqual(r, { exitCode: 0, stdout: '[]\n', stderr: '' });
    } finally {
      delete process.env.PB_RUNNER_TEST_LEAK;
    }
  });

  it('reports a program that cannot be started by its spawn error, with no exit status', async () => {
    const r = await processRunner(['pb-no-such-program-here', '--version'], 'ignored');
    assert.equal(r.exitCode, undefined);
    assert.equal(r.spawnError, 'ENOENT');
  });

  it('gives no exit status for a process killed by a signal', async () => {
    const r = await processRunner(['sh', '-c', 'echo before; kill -9 $$']);
    assert.equal(r.exitCode, undefined);
    assert.equal(r.spawnError, undefined);
    assert.equal(r.stdout, 'before\n');
  });
});
