// `npm run bench:launcher`: how long `patchbay network ls` takes through the launcher that
// `npm run install-system` writes (issue 15's target: under 150 ms), against a patchbayd started
// through its own launcher. Prints the median and p90 of 40 runs, interleaved with the floor every
// node program pays (`node -e 0`) and with `node packages/cli/bin/patchbay.js` (the launcher's entry before:
// the same built code as its thirty-odd modules, unbundled), so all three see the same machine load.
//
// Root only. Like `npm run bench`, it re-runs itself inside a new network + mount namespace (private
// /run/netns, lo up), so the daemon touches none of the host's interfaces, firewall or /run; the
// install goes to a temporary prefix and is removed again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchDaemon } from './daemon.js';
import { nowMs, summarize } from './stats.js';

const root = new URL('../..', import.meta.url).pathname;
const RUNS = 40;
const WARMUP = 3;
const TARGET_MS = 150;

if (process.env.PATCHBAY_BENCH_NETNS !== '1') {
  if (process.getuid?.() !== 0) {
    console.error('bench:launcher needs root (its daemon runs in a namespace of its own)');
    process.exit(1);
  }
  const setup = 'mount -t tmpfs tmpfs /run/netns 2>/dev/null || { mkdir -p /run/netns && mount -t tmpfs tmpfs /run/netns; }; ip link set lo up; exec "$@"';
  const self = [process.execPath, '--import', 'tsx', '--conditions=development', new URL(import.meta.url).pathname];
  const r = spawnSync('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', setup, 'sh', ...self], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATCHBAY_BENCH_NETNS: '1', PATCHBAY_BENCH_OUTER_NETNS: readlinkSync('/proc/self/ns/net') },
  });
  process.exit(r.status ?? 1);
}
if (readlinkSync('/proc/self/ns/net') === process.env.PATCHBAY_BENCH_OUTER_NETNS) throw new Error('bench:launcher must run in its own network namespace');

/** A side of the comparison: argv, run with the bench's environment less the variables in `unset`. */
type Side = { argv: string[]; unset?: string[] };
const envWithout = (unset: string[] = []) => Object.fromEntries(Object.entries(process.env).filter(([k]) => !unset.includes(k)));

/** Wall-clock milliseconds of one run of a side, which must succeed. */
function timed({ argv, unset }: Side): number {
  const env = envWithout(unset);
  const started = nowMs();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env });
  const ms = nowMs() - started;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  if (r.stderr !== '') throw new Error(`${argv.join(' ')} wrote to stderr: ${r.stderr}`);
  return ms;
}
/** CPU seconds (user + system) of the waited-for children so far: /proc/self/stat cutime + cstime. */
function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  // after "pid (comm) ", cutime and cstime are fields 14 and 15 (0-based), in clock ticks of 10 ms
  return (Number(fields[14]) + Number(fields[15])) * 10;
}
/**
 * Wall-clock summary of RUNS runs of each argv, taken in turns (so a change in the machine's load
 * hits every side alike), and each side's mean CPU time (less sensitive to a busy machine).
 */
function interleaved(sides: Side[]) {
  for (let i = 0; i < WARMUP; i++) for (const side of sides) timed(side);
  const wall = sides.map((): number[] => []);
  const cpu = sides.map(() => 0);
  for (let i = 0; i < RUNS; i++) {
    sides.forEach((side, j) => {
      const cpuBefore = childCpuMs();
      wall[j]!.push(timed(side));
      cpu[j]! += childCpuMs() - cpuBefore;
    });
  }
  return sides.map((_, j) => ({ ...summarize(wall[j]!), cpuMean: cpu[j]! / RUNS }));
}
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'pb-bench-launcher-'));
const prefix = join(dir, 'prefix');
const daemon = new BenchDaemon({ entry: join(prefix, 'bin/patchbayd'), dir });
try {
  for (const built of ['packages/cli/dist/main.js', 'daemon/dist/main.js']) {
    if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
  }
  const install = spawnSync(process.execPath, [join(root, 'scripts/install-system.mjs'), '--prefix', prefix], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`install-system failed: ${install.stderr}`);
  await daemon.start();
  for (const name of ['lb1', 'lb2', 'lb3']) {
    const r = await daemon.client.send('POST', '/v1/networks', { name });
    if (r.status !== 201) throw new Error(`creating network ${name}: ${r.status}`);
  }
  const args = ['-H', `unix://${daemon.socket}`, 'network', 'ls'];
  // node 20 parses a NODE_EXTRA_CA_CERTS bundle before any code runs; the CLI's launcher drops the
  // variable (the CLI verifies no certificate), so the floor is shown both ways when it is set
  const extraCerts = process.env.NODE_EXTRA_CA_CERTS;
  const [ls, floor, unbundled, bareFloor] = interleaved([
    { argv: [join(prefix, 'bin/patchbay'), ...args] },
    { argv: [process.execPath, '-e', '0'] },
    { argv: [process.execPath, join(root, 'packages/cli/bin/patchbay.js'), ...args], unset: ['NODE_EXTRA_CA_CERTS'] },
    ...(extraCerts ? [{ argv: [process.execPath, '-e', '0'], unset: ['NODE_EXTRA_CA_CERTS'] }] : []),
  ]);
  const row = (s: typeof ls) => `median ${fmt(s!.median)}  p90 ${fmt(s!.p90)}  min ${fmt(s!.min)}  max ${fmt(s!.max)}  CPU ${fmt(s!.cpuMean)} a run`;
  console.log(`patchbay network ls (5 networks), ${RUNS} runs of each side in turns after ${WARMUP} warm-up:`);
  console.log(`  through ${prefix}/bin/patchbay: ${row(ls)}   target < ${TARGET_MS} ms: ${ls!.median < TARGET_MS ? 'met' : 'NOT met'}`);
  console.log(`  node -e 0 (the floor):          ${row(floor)}   the launcher costs ${fmt(ls!.median - floor!.median)} above it`);
  if (bareFloor) {
    console.log(`    (the environment has NODE_EXTRA_CA_CERTS=${extraCerts}; the launcher runs node without it)`);
    console.log(`  node -e 0 without it:           ${row(bareFloor)}   the launcher costs ${fmt(ls!.median - bareFloor.median)} above it`);
  }
  console.log(`  unbundled (bin/patchbay.js):    ${row(unbundled)}   (without NODE_EXTRA_CA_CERTS too)`);
  console.log(`  load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${cpus().length} CPUs`);
} finally {
  await daemon.stop();
  spawnSync(process.execPath, [join(root, 'scripts/install-system.mjs'), '--uninstall', '--prefix', prefix], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
}
