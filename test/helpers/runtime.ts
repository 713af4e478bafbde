import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { run as patchbayCli } from '@patchbay/cli';
import { sh, type TestDaemon } from './daemon.js';

/**
 * Empty tmpfs over directories a real runtime keeps state in (/var/lib/cni, /opt/cni/bin, …).
 * Only in this test's private mount namespace (scripts/run-tests.mjs), never the host's.
 */
export function emptyDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    sh(['mount', '-t', 'tmpfs', 'tmpfs', dir]);
  }
}

/** The `patchbay` CLI against a test daemon, in-process; throws on a non-zero exit. */
export function cliFor(d: TestDaemon) {
  return async (...argv: string[]): Promise<string> => {
    let out = '';
    let err = '';
    const code = await patchbayCli(['-H', `unix://${d.socket}`, ...argv], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {} });
    assert.equal(code, 0, err);
    return out;
  };
}
