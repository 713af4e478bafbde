#!/usr/bin/env node
// `npm run bench [-- --quick] [--out FILE] [--no-build]`: the benchmark of issue 6.
// PATCHBAY_BENCH_DAEMON=/path/to/main.js benchmarks that daemon entry instead (no build).
// Builds the daemon (tsc -b daemon), then runs test/bench/main.ts as root inside a network + mount
// namespace made here with `unshare`, with a private tmpfs on /run/netns and lo up, so every
// interface, firewall rule and netns the bench makes lives and dies inside it. When the daemon
// cannot be built, the bench still runs the CNI and raw-ip sides and marks patchbay n/a.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const entry = process.env.PATCHBAY_BENCH_DAEMON;
const noBuild = args.includes('--no-build') || entry !== undefined;
const benchArgs = args.filter((a) => a !== '--no-build');

if (process.getuid?.() !== 0) {
  console.error('npm run bench needs root (it creates namespaces, bridges and veths inside its own namespace)');
  process.exit(1);
}

let skip;
if (!noBuild) {
  console.error('bench: building the daemon (tsc -b daemon)…');
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'daemon'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) {
    const out = `${build.stdout ?? ''}${build.stderr ?? ''}`.trim().split('\n');
    console.error(`bench: daemon build failed; patchbay columns will be n/a\n${out.slice(0, 15).join('\n')}${out.length > 15 ? '\n…' : ''}`);
    skip = 'daemon build failed';
  }
}
if (!skip && !existsSync(entry ?? join(root, 'daemon/dist/main.js'))) skip = 'daemon not built';

const setup = 'mount -t tmpfs tmpfs /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns; }; ip link set lo up; exec "$@"';
const node = [process.execPath, '--import', 'tsx', '--conditions=development', 'test/bench/main.ts', ...benchArgs];
const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', setup, 'sh', ...node], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PATCHBAY_BENCH_NETNS: '1',
    // the namespace the bench must NOT run in; main.ts checks it is somewhere else
    PATCHBAY_BENCH_OUTER_NETNS: readlinkSync('/proc/self/ns/net'),
    ...(skip ? { PATCHBAY_BENCH_SKIP_DAEMON: skip } : {}),
  },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
