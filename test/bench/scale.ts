import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { backgroundSettled, type BenchDaemon } from './daemon.js';
import { DOCKER_API } from './dockerd.js';
import { createSlots } from './netns.js';
import { markdownTable, ms } from './report.js';
import { SCALE_HEADING, withScaleSection } from './scale-section.js';
import { projectLimits, roughly } from './scale-limits.js';
import { schedDelta, schedTimes, type SchedTimes } from './schedstat.js';
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

export interface Row {
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
  const rssEmptyMb = daemon.rssMb();
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
  const settle = await backgroundSettled(client);
  log(`scale: background work after the fill (reaper, link quieter backlogs ${settle.backlogs.join(', ')}) done in ${Math.round(settle.ms)} ms`);
  const g = growth(attach, cfg.window);
  record(rows, {
    what: `attach, first ${g.window} → last ${g.window} of ${total}: median (p90)`,
    value: `${ms(g.first.median)} (${ms(g.first.p90)}) → ${ms(g.last.median)} (${ms(g.last.p90)}) ms: ${g.ratio.toFixed(2)}×`,
    target: 'last ≤ 1.2× first',
    pass: g.ratio <= 1.2,
  });
  const listBytes = await timeReads(daemon, total, cfg.repeats, (row) => record(rows, row));
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
  const limits = projectLimits({ endpoints: total, rssEmptyMb, rssMb: rss, checkMs: check.median, listBytes });
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
    `- ${cfg.networks} networks × ${cfg.perNetwork} endpoints, each in a namespace of its own (adopted as a sandbox, untimed), filled network after network, so the first and the last attaches see bridges of the same sizes. Before the reads the bench waits for the daemon's background work after the fill (its /metrics \`patchbay_reaper_backlog\` and \`patchbay_link_quieter_backlog\` at 0). Reads ${cfg.repeats}× each after ${CLIENT_WARMUPS} untimed ones (their median shown as the client's first), the check ${cfg.repeats}× after one, median; a read is timed from the request to the last byte of the answer (the client's JSON parse not counted); per timed call, means: the answer's size, the daemon's CPU (all its threads, schedstat), this bench client's CPU, and the time each side was runnable but waited for a core (what other work on the machine adds to the wall time). Restart: SIGTERM, then spawn to the first 200 of GET /v1/health, twice.`,
    '- Where a read of 10,000 endpoints goes (5.67 MB of JSON, 567 bytes an endpoint; measured 2026-12-02 on a daemon filled as here, with the bench\'s client of then (node:http), with curl, and with a Python server sending the same bytes): the daemon answers from views kept as JSON, first byte after 2–4 ms, 2–7 ms of CPU a call, most of it the kernel copying the answer into the socket (a profile of 40 reads shows no per-request work growing with the endpoints worth removing); curl has the last byte after 6–13 ms, and the Python server gives this client about the same figures (within 1–3 ms). The rest is the client. A node process\'s first reads of megabytes cost it 95–135 ms of CPU each (half of it system time: fresh memory for the socket buffers; then its young generation growing, and compiling the read path), later ones 6–35 ms depending on the load; the timed reads used to follow a single warm-up and so measured that first phase (99 ms in the run of 13:28). At a load of 4–6 on 2 cores the client also waits about as long as it runs for a core. A user\'s client adds 35–100 ms of JSON.parse; `patchbay endpoint ls` takes 0.65 s in all (0.25 s for `network ls`). Fewer bytes would help every client alike: an endpoint without its network\'s gateway and DNS (repeated in each item) is 16% smaller, without networkName and hostIfName as well 26%; that changes the API\'s list item, so it is left to a decision.',
    `- First limit after ${total.toLocaleString('en-US')} (linear from this run): \`patchbay system check\` (${ms(limits.checkPerEndpointMs * 1000)} µs per endpoint) passes 2 s at about ${roughly(limits.checkAt)} endpoints; the RSS after the fill, the reads and the check (${limits.rssPerEndpointKb.toFixed(1)} kB an endpoint above the empty daemon's ${rssEmptyMb.toFixed(0)} MB) passes 200 MB at about ${roughly(limits.rssAt)}; the list grows ${limits.listBytesPerEndpoint.toFixed(0)} bytes an endpoint, its time with the client. Past those, the kernel: a Linux bridge takes at most 1024 ports (BR_MAX_PORTS), so one bridge network holds at most 1023 endpoints, and each link notification looks the peer's netns id up in a list (peernet2id), linear in the namespaces. What the check spends at 10,000 (its own log, 2026-12-02): 0.6 s of CPU on the snapshot (the store and the host side's links) and 1.4–1.5 s looking inside each sandbox's namespace (about 145 µs each); passing 2 s takes one netlink round per namespace (links, addresses and routes together) or a host-side check unless asked for the full one (as start-up does). The memory: after a restart the RSS is about 50 MB lower (126 against 179 MB in the run of 2026-12-02 13:28), so much of the growth is what the fill, the reads and the check leave free in the heap and in malloc, not what the daemon keeps (the lists' last answers, about 11 MB, hold every item's JSON).`,
    '- How the attach stays flat: a bridge port\'s host veth gets `disable_ipv6` in the background, between the reaper\'s deletions, so the host namespace does not collect an ff00::/8 route per port that the kernel walks on every link event (rt6_sync_down_dev); what remains is the kernel\'s linear netns-id lookup per link notification (peernet2id). Memory: glibc malloc is limited to 2 arenas from the daemon\'s first line (the libuv workers that read namespaces would each keep an arena), and after start-up and a reconcile of 1000+ endpoints a full GC is followed by malloc_trim on a worker thread.',
    `- Load on the machine (1-minute load average, sampled every 10 s during the run): min ${loads.min.toFixed(1)}, median ${loads.median.toFixed(1)}, max ${loads.max.toFixed(1)} on ${loads.cores} cores.`,
    '',
  ].join('\n');
  const previous = await readFile(cfg.out, 'utf8').catch(() => '# Benchmarks\n');
  await writeFile(cfg.out, withScaleSection(previous, section));
  return section;
}

/**
 * Untimed reads before the timed ones: a client process's first reads of megabytes cost it several
 * times what later ones do (fresh memory for its socket buffers, its young generation growing with
 * scavenges of tens of ms, the read path compiled), whatever the server: about 6 reads of 5.67 MB
 * here, so one warm-up left all five timed reads in that phase.
 */
const CLIENT_WARMUPS = 8;

/**
 * The timed reads of the lists at full size, each a row; returns the size of GET /v1/endpoints's
 * answer. (Exported so a daemon filled once can be read again, e.g. after a restart with another build.)
 */
export async function timeReads(daemon: BenchDaemon, total: number, repeats: number, row: (r: Row) => void): Promise<number> {
  const client = daemon.client;
  let listBytes = 0;
  for (const [what, path] of [
    ['GET /v1/endpoints', '/v1/endpoints'],
    ['GET /v1/networks', '/v1/networks'],
    ['Docker GET /networks', `${DOCKER_API}/networks`],
    ['GET /v1/sandboxes', '/v1/sandboxes'],
  ] as const) {
    // request to the last byte of the answer (the client's JSON.parse of megabytes is the client's)
    const s = await repeat(repeats, () => getOk(client, path), daemon, CLIENT_WARMUPS);
    if (path === '/v1/endpoints') listBytes = s.bytes;
    await memLog(client, `after ${path}`);
    const information = what === 'GET /v1/sandboxes';
    row({ what: `${what} with ${total} endpoints`, value: `${withCpu(s)}; the client's first ${CLIENT_WARMUPS} (untimed): median ${ms(s.cold.median)} ms`, target: information ? '(information)' : '≤ 50 ms', ...(information ? {} : { pass: s.median <= 50 }) });
  }
  return listBytes;
}

/** GET, and fail unless 200; the body is not parsed, but returned (its size is counted after the clock stops). */
async function getOk(client: BenchDaemon['client'], path: string): Promise<string> {
  const res = await client.send('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${res.body.slice(0, 300)}`);
  return res.body;
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

/** Per timed call, means: the answer's size, and each side's run time and run-queue wait (the daemon's threads, this bench client's). */
interface ReadCosts {
  bytes: number;
  daemon: SchedTimes;
  client: SchedTimes;
}

/**
 * The timed calls' summary and what each call cost on either side: where a wall-clock figure goes
 * (the daemon's CPU, the client reading megabytes, and both waiting for a core on a busy machine).
 */
async function repeat(times: number, fn: () => Promise<string>, daemon: BenchDaemon, warmups = 1): Promise<Summary & ReadCosts & { cold: Summary }> {
  const cold: number[] = [];
  for (let i = 0; i < warmups; i++) {
    const start = nowMs();
    await fn();
    cold.push(nowMs() - start);
  }
  const samples: number[] = [];
  let body = '';
  const [daemon0, client0] = [daemon.sched(), schedTimes('self')];
  for (let i = 0; i < times; i++) {
    const start = nowMs();
    body = await fn();
    samples.push(nowMs() - start);
  }
  const [daemon1, client1] = [daemon.sched(), schedTimes('self')];
  // after the clock and the CPU figures: counting UTF-8 bytes flattens a string of megabytes read in pieces
  const bytes = Buffer.byteLength(body);
  const perCall = (d: SchedTimes) => ({ runMs: d.runMs / times, waitMs: d.waitMs / times });
  return { ...summarize(samples), bytes, daemon: perCall(schedDelta(daemon0, daemon1)), client: perCall(schedDelta(client0, client1)), cold: summarize(cold) };
}

const size = (bytes: number) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : bytes >= 1e3 ? `${(bytes / 1e3).toFixed(1)} kB` : `${bytes} B`);
const withCpu = (s: Summary & ReadCosts) =>
  `${median(s)}; ${size(s.bytes)}; daemon CPU ${ms(s.daemon.runMs)} ms, bench client CPU ${ms(s.client.runMs)} ms; waiting for a core: client ${ms(s.client.waitMs)}, daemon ${ms(s.daemon.waitMs)} ms`;

/** The daemon's memory as its /metrics show it (resident, V8 heap total and used, external), logged between phases: where RSS goes. */
async function memLog(client: BenchDaemon['client'], when: string): Promise<void> {
  const res = await client.send('GET', '/metrics');
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(res.body)?.[1]) / 1e6;
  log(
    `scale: memory ${when}: RSS ${value('process_resident_memory_bytes').toFixed(1)} MB, V8 heap ${value('nodejs_heap_size_used_bytes').toFixed(1)} used of ${value('nodejs_heap_size_total_bytes').toFixed(1)} MB, external ${value('nodejs_external_memory_bytes').toFixed(1)} MB`,
  );
}
