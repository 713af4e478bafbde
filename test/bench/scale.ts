import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import type { BenchDaemon } from './daemon.js';
import { DOCKER_API } from './dockerd.js';
import { createSlots } from './netns.js';
import { markdownTable, ms } from './report.js';
import { SCALE_HEADING, withScaleSection } from './scale-section.js';
import { growth, nowMs, summarize, timed, type Summary } from './stats.js';

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

/** Sizes of the scale run (issue 16): `networks` networks of `perNetwork` endpoints, each in a sandbox of its own. */
export interface ScaleConfig {
  networks: number;
  perNetwork: number;
  /** first-N vs last-N attaches */
  window: number;
  /** timed repetitions of each read and of the restart */
  repeats: number;
  out: string;
}

export const SCALE_FULL: Omit<ScaleConfig, 'out'> = { networks: 20, perNetwork: 500, window: 1000, repeats: 5 };
export const SCALE_QUICK: Omit<ScaleConfig, 'out'> = { networks: 4, perNetwork: 100, window: 100, repeats: 3 };

/** `--scale-size NxM`: the window is a tenth of the endpoints, at most the full run's. */
export const scaleSized = (size: { networks: number; perNetwork: number }): Omit<ScaleConfig, 'out' | 'repeats'> => ({
  ...size,
  window: Math.min(SCALE_FULL.window, Math.max(1, Math.floor((size.networks * size.perNetwork) / 10))),
});

interface Row {
  what: string;
  value: string;
  target: string;
  pass?: boolean;
}

/** Each row is logged as soon as it is measured: a long run stopped half-way still shows them. */
function record(rows: Row[], row: Row): void {
  rows.push(row);
  log(`scale: ${row.what}: ${row.value} (target ${row.target})`);
}

const median = (s: Summary) => `${ms(s.median)} ms (p90 ${ms(s.p90)})`;

/**
 * The scale run: fill network after network (so the first and the last attaches see bridges of
 * the same sizes: any growth between them is patchbay's, not the kernel's), then time the views,
 * the check, memory and restarts at full size.
 */
export async function scaleRun(daemon: BenchDaemon, cfg: ScaleConfig): Promise<string> {
  const client = daemon.client;
  const load = sampleLoad();
  const total = cfg.networks * cfg.perNetwork;
  const rows: Row[] = [];
  const networkIds: string[] = [];
  for (let n = 0; n < cfg.networks; n++) {
    // a /16 each, well clear of the other phases' subnets
    const net = await client.call<{ id: string }>('POST', '/v1/networks', { name: `scale-${n}`, ipam: { config: [{ subnet: `10.${150 + n}.0.0/16` }] } });
    networkIds.push(net.id);
  }
  log(`scale: ${total} namespaces`);
  const slots = await createSlots('s', total);
  const sandboxOf = new Map<number, string>();
  const attach: number[] = [];
  const started = nowMs();
  for (let n = 0; n < cfg.networks; n++) {
    for (const slot of slots.slice(n * cfg.perNetwork, (n + 1) * cfg.perNetwork)) {
      sandboxOf.set(slot.id, (await client.call<{ id: string }>('POST', '/v1/sandboxes', { netnsPath: slot.path })).id);
      attach.push(await timed(() => client.call('POST', `/v1/networks/${networkIds[n]}/connect`, { sandbox: sandboxOf.get(slot.id) })));
    }
    log(`scale: ${attach.length} endpoints (${Math.round((nowMs() - started) / 1000)} s), last ${cfg.perNetwork}: median ${ms(summarize(attach.slice(-cfg.perNetwork)).median)} ms`);
  }
  await memLog(client, 'after fill');
  const g = growth(attach, cfg.window);
  record(rows, {
    what: `attach, first ${g.window} → last ${g.window} of ${total}: median (p90)`,
    value: `${ms(g.first.median)} (${ms(g.first.p90)}) → ${ms(g.last.median)} (${ms(g.last.p90)}) ms: ${g.ratio.toFixed(2)}×`,
    target: 'last ≤ 1.2× first',
    pass: g.ratio <= 1.2,
  });
  for (const [what, path] of [
    ['GET /v1/endpoints', '/v1/endpoints'],
    ['GET /v1/networks', '/v1/networks'],
    ['Docker GET /networks', `${DOCKER_API}/networks`],
    ['GET /v1/sandboxes', '/v1/sandboxes'],
  ] as const) {
    // request to the last byte of the answer (the client's JSON.parse of megabytes is the client's)
    const s = await repeat(cfg.repeats, () => getOk(client, path), daemon);
    await memLog(client, `after ${path}`);
    record(rows, { what: `${what} with ${total} endpoints`, value: withCpu(s), target: what === 'GET /v1/sandboxes' ? '(information)' : '≤ 50 ms', ...(what === 'GET /v1/sandboxes' ? {} : { pass: s.median <= 50 }) });
  }
  const check = await repeat(cfg.repeats, () => getOk(client, '/v1/system/check'), daemon);
  record(rows, { what: '`patchbay system check` (GET /v1/system/check)', value: withCpu(check), target: '≤ 2 s', pass: check.median <= 2000 });
  await memLog(client, 'after check');
  const rss = daemon.rssMb();
  record(rows, { what: `daemon RSS with ${total} endpoints`, value: `${rss.toFixed(1)} MB`, target: '≤ 200 MB', pass: rss <= 200 });
  const restarts: number[] = [];
  for (let i = 0; i < 2; i++) {
    await daemon.stop();
    restarts.push(await daemon.start(120_000));
  }
  const restart = summarize(restarts);
  record(rows, { what: `restart to ready with ${total} endpoints`, value: median(restart), target: '≤ 5 s', pass: restart.median <= 5000 });
  record(rows, { what: 'daemon RSS after the restart', value: `${daemon.rssMb().toFixed(1)} MB`, target: '(information)' });
  // no teardown: the endpoints, their namespaces and the daemon's networks die with the bench's
  // namespace (deleting 10,000 of each, one by one, would take longer than making them)
  const loads = load.stop();
  const table = markdownTable(
    [`${cfg.networks} networks × ${cfg.perNetwork} endpoints`, 'patchbay', 'target', 'result'],
    rows.map((r) => [r.what, r.value, r.target, r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS']),
  );
  const full = cfg.networks === SCALE_FULL.networks && cfg.perNetwork === SCALE_FULL.perNetwork;
  const section = [
    SCALE_HEADING,
    '',
    `Written by \`npm run bench -- --scale\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC${full ? '' : ` (a smaller run: ${cfg.networks * cfg.perNetwork} endpoints)`}.`,
    '',
    table,
    '',
    `- ${cfg.networks} networks × ${cfg.perNetwork} endpoints, each in a namespace of its own (adopted as a sandbox, untimed), filled network after network, so the first and the last attaches see bridges of the same sizes. Reads and the check ${cfg.repeats}× each after one untimed call, median; a read is timed from the request to the last byte of the answer (the client's JSON parse not counted); daemon CPU: the daemon's user + system time over the timed calls, per call (10 ms clock ticks). Restart: SIGTERM, then spawn to the first 200 of GET /v1/health, twice.`,
    '- How the attach stays flat: a bridge port\'s host veth gets `disable_ipv6` in the background, between the reaper\'s deletions, so the host namespace does not collect an ff00::/8 route per port that the kernel walks on every link event (rt6_sync_down_dev); what remains is the kernel\'s linear netns-id lookup per link notification (peernet2id). Memory: glibc malloc is limited to 2 arenas from the daemon\'s first line (the libuv workers that read namespaces would each keep an arena), and after start-up and a reconcile of 1000+ endpoints a full GC is followed by malloc_trim on a worker thread.',
    `- Load on the machine (1-minute load average, sampled every 10 s during the run): min ${loads.min.toFixed(1)}, median ${loads.median.toFixed(1)}, max ${loads.max.toFixed(1)} on ${loads.cores} cores.`,
    '',
  ].join('\n');
  const previous = await readFile(cfg.out, 'utf8').catch(() => '# Benchmarks\n');
  await writeFile(cfg.out, withScaleSection(previous, section));
  return section;
}

/** GET, and fail unless 200; the body is not parsed. */
async function getOk(client: BenchDaemon['client'], path: string): Promise<void> {
  const res = await client.send('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${res.body.slice(0, 300)}`);
}

/** The 1-minute load average every 10 s until stop() (other work on the machine shows in the figures). */
function sampleLoad(): { stop(): { min: number; median: number; max: number; cores: number } } {
  const read = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const samples = [read()];
  const timer = setInterval(() => samples.push(read()), 10_000);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(read());
      const sorted = [...samples].sort((a, b) => a - b);
      return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]!, cores: cpus().length };
    },
  };
}

/** The timed calls' summary, and the daemon's mean CPU time per timed call (load on the machine stretches wall time, not CPU time). */
async function repeat(times: number, fn: () => Promise<unknown>, daemon: BenchDaemon): Promise<Summary & { cpuMs: number }> {
  await fn(); // warm
  const samples: number[] = [];
  const cpu0 = daemon.cpuMs();
  for (let i = 0; i < times; i++) samples.push(await timed(fn));
  return { ...summarize(samples), cpuMs: (daemon.cpuMs() - cpu0) / times };
}

const withCpu = (s: Summary & { cpuMs: number }) => `${median(s)}; daemon CPU ${ms(s.cpuMs)} ms`;


/** The daemon's memory as its /metrics show it (resident, V8 heap total and used, external), logged between phases: where RSS goes. */
async function memLog(client: BenchDaemon['client'], when: string): Promise<void> {
  const res = await client.send('GET', '/metrics');
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(res.body)?.[1]) / 1e6;
  log(
    `scale: memory ${when}: RSS ${value('process_resident_memory_bytes').toFixed(1)} MB, V8 heap ${value('nodejs_heap_size_used_bytes').toFixed(1)} used of ${value('nodejs_heap_size_total_bytes').toFixed(1)} MB, external ${value('nodejs_external_memory_bytes').toFixed(1)} MB`,
  );
}
