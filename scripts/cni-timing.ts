/**
 * Figures for the CNI plugin, exec'd the way a runtime does (env + stdin, one process per call),
 * side by side in one run: VERSION against /bin/true and the reference bridge plugin, and ADD/DEL
 * against the reference bridge + host-local. Medians of N runs. Needs a throw-away namespace:
 *   unshare --net --mount --propagation private sh -c \
 *     'mount -t tmpfs tmpfs /run/netns; ip link set lo up; exec node --import tsx --conditions=development scripts/cni-timing.ts'
 * PB_TIMING_LOG=info adds the daemon's own time per command; PB_TIMING_CPU_PROF=DIR makes it write a CPU profile.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CNI_PLUGIN_PATH } from '@patchbay/cni';
import { createTestDaemon, sh } from '../test/helpers/daemon.js';

const N = Number(process.env.N ?? 40);
const REF = '/usr/lib/cni';

if (process.env.PATCHBAY_TIMING_NETNS !== '1' && readLink('/proc/self/ns/net') === readLink('/proc/1/ns/net')) {
  console.error('run this in a throw-away network namespace (see the comment at the top)');
  process.exit(2);
}
function readLink(p: string): string {
  return sh(['readlink', p]).out.trim();
}

function timeExec(bin: string, env: Record<string, string>, stdin: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, [], { env: { PATH: process.env.PATH ?? '', ...env }, input: stdin, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${bin} ${env.CNI_COMMAND ?? ''} failed: ${r.stdout}${r.stderr}`);
  return ms;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const row = (label: string, ms: number, base?: number) => console.log(`${label.padEnd(44)} ${ms.toFixed(2).padStart(8)} ms${base ? `   (${(ms / base).toFixed(2)}×)` : ''}`);

const versionIn = '{"cniVersion":"1.0.0"}';
const probe = { CNI_COMMAND: 'VERSION', CNI_IFNAME: 'dummy', CNI_NETNS: 'dummy', CNI_PATH: 'dummy' };
const times = (f: () => number) => Array.from({ length: N }, f);
const trueMs = median(times(() => timeExec('/bin/true', {}, versionIn)));
const ourVersion = median(times(() => timeExec(CNI_PLUGIN_PATH, probe, versionIn)));
const refVersion = median(times(() => timeExec(join(REF, 'bridge'), probe, versionIn)));
row('exec /bin/true', trueMs);
row('patchbay VERSION', ourVersion, trueMs);
row('reference bridge VERSION', refVersion, trueMs);

/** spawnSync blocks this loop: let the daemon's log pipe drain between calls, so it never fills. */
const drainDaemonOutput = () => new Promise((r) => setTimeout(r, 1));
// PB_TIMING_CPU_PROF=DIR: the daemon writes a V8 CPU profile there when it stops
const profDir = process.env.PB_TIMING_CPU_PROF;
const d = createTestDaemon(['--bip', '10.170.0.1/24', '--log-level', process.env.PB_TIMING_LOG ?? 'warn'], profDir ? { prefix: ['sh', '-c', `exec "$0" --cpu-prof --cpu-prof-interval 100 --cpu-prof-dir=${profDir} "$@"`] } : {});
const data = mkdtempSync(join(tmpdir(), 'cni-timing-'));
try {
  await d.start();
  const ours = JSON.stringify({ cniVersion: '1.0.0', name: 'timing', type: 'patchbay', socket: d.socket, ipam: { subnet: '10.171.0.0/16' } });
  const ref = JSON.stringify({ cniVersion: '1.0.0', name: 'timing-ref', type: 'bridge', bridge: 'cniref0', isGateway: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.172.0.0/16' }]], dataDir: data } });
  // each side attaches its own namespaces: p<i> for patchbay, r<i> for the reference plugins
  const run = (bin: string, conf: string, cmd: string, i: number) => {
    const ns = `${bin === CNI_PLUGIN_PATH ? 'p' : 'r'}${i}`;
    return timeExec(bin, { CNI_COMMAND: cmd, CNI_CONTAINERID: ns, CNI_NETNS: `/run/netns/${ns}`, CNI_IFNAME: 'eth0', CNI_PATH: REF }, conf);
  };
  for (let i = 0; i < N; i++) for (const side of ['p', 'r']) sh(['ip', 'netns', 'add', `${side}${i}`]);
  // warm: the first ADD of each creates its bridge
  for (const [bin, conf] of [[CNI_PLUGIN_PATH, ours], [join(REF, 'bridge'), ref]] as const) {
    run(bin, conf, 'ADD', 0);
    run(bin, conf, 'DEL', 0);
  }
  const result: Record<string, number[]> = { ourAdd: [], ourDel: [], refAdd: [], refDel: [] };
  for (let i = 1; i < N; i++) {
    // interleaved, so both see the same machine load
    result.ourAdd!.push(run(CNI_PLUGIN_PATH, ours, 'ADD', i));
    result.refAdd!.push(run(join(REF, 'bridge'), ref, 'ADD', i));
    await drainDaemonOutput();
  }
  for (let i = 1; i < N; i++) {
    result.ourDel!.push(run(CNI_PLUGIN_PATH, ours, 'DEL', i));
    result.refDel!.push(run(join(REF, 'bridge'), ref, 'DEL', i));
    await drainDaemonOutput();
  }
  const refAdd = median(result.refAdd!);
  const refDel = median(result.refDel!);
  // a round trip to the daemon that does almost nothing there: exec + HTTP over the socket
  const status = JSON.stringify({ ...JSON.parse(ours), cniVersion: '1.1.0' });
  const statusMs = median(times(() => timeExec(CNI_PLUGIN_PATH, { CNI_COMMAND: 'STATUS', CNI_PATH: REF }, status)));
  row('reference bridge + host-local ADD', refAdd);
  row('patchbay ADD', median(result.ourAdd!), refAdd);
  row('reference bridge + host-local DEL', refDel);
  row('patchbay DEL', median(result.ourDel!), refDel);
  row('patchbay STATUS (exec + daemon round trip)', statusMs, trueMs);
  if (process.env.PB_TIMING_LOG) {
    // the daemon's own time per command (its "CNI" log lines), against the plugin's wall time
    const inside: Record<string, number[]> = {};
    await new Promise((r) => setTimeout(r, 200));
    for (const line of d.logs().split('\n')) {
      if (!line.includes('"msg":"CNI"')) continue;
      const { command, ms } = JSON.parse(line) as { command: string; ms: number };
      (inside[command] ??= []).push(ms);
    }
    for (const [command, xs] of Object.entries(inside)) row(`patchbayd's own ${command} handling`, median(xs));
  }
} finally {
  // a clean stop, so the daemon writes its CPU profile
  if (profDir) await d.stop('SIGTERM');
  await d.cleanup();
  rmSync(data, { recursive: true, force: true });
}
