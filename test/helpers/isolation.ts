import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';

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

/**
 * Back to an empty namespace between two daemons of one test file (a later describe block that
 * starts its own daemon): every named namespace, every link but lo, every nft table. Only inside
 * the test's own throw-away namespace, which requireIsolatedNamespace checks first.
 */
export function resetIsolatedNamespace(): void {
  requireIsolatedNamespace();
  const run = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  for (const name of existsSync('/run/netns') ? readdirSync('/run/netns') : []) run(['ip', 'netns', 'del', name]);
  const links = JSON.parse(run(['ip', '-json', 'link', 'show']).stdout || '[]') as { ifname: string }[];
  for (const { ifname } of links) if (ifname !== 'lo') run(['ip', 'link', 'del', ifname]);
  run(['nft', 'flush', 'ruleset']);
}
