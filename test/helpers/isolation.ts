import { readlinkSync } from 'node:fs';

/**
 * Integration tests call this first. It throws unless the process runs in a throw-away network
 * namespace made by scripts/run-tests.mjs, so a stray run can never touch the host's interfaces.
 */
export function requireIsolatedNamespace(): void {
  if (process.env.PATCHBAY_TEST_NETNS !== '1') {
    throw new Error('integration tests run only through `node scripts/run-tests.mjs FILE` (in their own namespace)');
  }
  const outer = process.env.PATCHBAY_OUTER_NETNS;
  if (!outer || readlinkSync('/proc/self/ns/net') === outer) {
    throw new Error('refusing to run: this is the host network namespace');
  }
}
