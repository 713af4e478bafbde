#!/usr/bin/env node
// Runs the three test tiers with node's test runner (TypeScript through tsx).
//  - unit and API tests (`*.test.ts`): one run, no kernel access;
//  - integration tests (`*.int.test.ts`): each file in a fresh network+mount namespace made here
//    with `unshare`, with a private tmpfs on /run/netns and a private overlay on /etc, so nothing
//    touches the host.
// Usage: node scripts/run-tests.mjs [--unit|--int] [files...]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args.find((a) => a === '--unit' || a === '--int');
const explicit = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (entry.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = explicit.length > 0 ? explicit : walk(root, []).sort();
const unit = files.filter((f) => !f.endsWith('.int.test.ts'));
const integration = files.filter((f) => f.endsWith('.int.test.ts'));
// The timeout also bounds a whole file (node runs each file as one test): the crash suite kills
// and restarts its daemons dozens of times, which on a loaded machine takes minutes.
const nodeArgs = (timeoutMs) => ['--import', 'tsx', '--conditions=development', '--test', '--test-reporter=spec', `--test-timeout=${timeoutMs}`];

/**
 * A suite that drives a slow real peer (dockerd starting, stopping and pulling its containers up)
 * may ask for more time than the default (15 minutes an integration file) with a first-lines comment `// test-timeout: MS`.
 */
function argsFor(file) {
  const head = readFileSync(resolve(root, file), 'utf8').slice(0, 2000);
  const ms = /^\/\/ test-timeout: (\d+)$/m.exec(head)?.[1];
  return nodeArgs(ms ? Number(ms) : 900_000);
}

function run(cmd, argv, env) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      out += d.toString();
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

const totals = { pass: 0, fail: 0, skipped: 0 };
function count(out) {
  // spec reporter closing lines: "ℹ pass N", "ℹ fail N", "ℹ skipped N"
  const grab = (k) => Number((out.match(new RegExp(`^\\S*\\s*${k} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
  totals.pass += grab('pass');
  totals.fail += grab('fail');
  totals.skipped += grab('skipped');
}

let failed = false;
if (only !== '--int' && unit.length > 0) {
  const r = await run(process.execPath, [...nodeArgs(180_000), ...unit], {});
  count(r.out);
  if (r.code !== 0) failed = true;
}
if (only !== '--unit') {
  // /etc gets a private overlay (its changes on a tmpfs): a daemon under test writes
  // /etc/netns/<sandbox>/resolv.conf, which `ip netns exec` bind-mounts, never on the host's /etc.
  const privateEtc = 'scratch=$(mktemp -d) && mount -t tmpfs tmpfs "$scratch" && mkdir "$scratch/upper" "$scratch/work" && mount -t overlay overlay -o "lowerdir=/etc,upperdir=$scratch/upper,workdir=$scratch/work" /etc';
  // /run/docker (where dockerd finds plugin sockets) gets a private tmpfs when Docker made one on the
  // host: a daemon under test, whose Docker plugin is on when /run/docker exists, never serves there.
  const setup = `mount -t tmpfs tmpfs /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns; }; if [ -d /run/docker ]; then mount -t tmpfs tmpfs /run/docker || exit 1; fi; ip link set lo up; ${privateEtc} || exit 1; "$@"; rc=$?; umount /etc; umount "$scratch"; rmdir "$scratch"; exit $rc`;
  for (const file of integration) {
    const r = await run('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', setup, 'sh', process.execPath, ...argsFor(file), file], {
      PATCHBAY_TEST_NETNS: '1',
      PATCHBAY_OUTER_NETNS: readlinkSync('/proc/self/ns/net'),
    });
    count(r.out);
    if (r.code !== 0) failed = true;
  }
}
console.log(`\n${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failed || totals.fail > 0 ? 1 : 0);
