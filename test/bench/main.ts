/**
 * The benchmark of issue 6: patchbay vs the CNI reference plugins vs raw `ip` (the floor).
 * Run it with `npm run bench [-- --quick]`; scripts/run-bench.mjs starts this file inside a
 * network + mount namespace of its own, so every interface, rule and netns made here dies with it.
 */
import { readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveKernelBackend } from '@patchbay/kernel';
import { parseConfig, runsPhase, type BenchConfig } from './config.js';
import { dockerRows } from './docker-phase.js';
import { createCniSide } from './cni.js';
import { createPatchbayCniSide, versionRounds } from './cni-plugin.js';
import { backgroundSettled, BenchDaemon } from './daemon.js';
import { dnsRows } from './dns-phase.js';
import { dockerRunRows } from './docker-run-phase.js';
import { overlayRows } from './overlay-phase.js';
import { createFloorAttachSide, createFloorNetworkSide, createFloorSandboxSide, createKernelFloorAttachSide } from './floor.js';
import { describeMachine } from './machine.js';
import { createSlots, deleteAllSlots } from './netns.js';
import { createPatchbayAttachSide, createPatchbayNetworkSide, createPatchbaySandboxSide, patchbayRuleCount } from './patchbay.js';
import { waitForQuietCpu } from './cpu-quiet.js';
import { attachDetachRounds, concurrencyRun, growthEndpointsSideBySide, growthNetworksRun, networkRounds, sandboxRounds } from './phases.js';
import { run } from './proc.js';
import { keptSections, renderDocument, renderTable } from './report.js';
import { SCALE_FULL, SCALE_QUICK, scaleRun, scaleSized } from './scale.js';
import { keepScaleSection } from './scale-section.js';
import { errorCell, Results, type Cell } from './results.js';
import type { AttachSide, NetworkSide } from './sides.js';
import { summarize } from './stats.js';

const root = new URL('../../', import.meta.url).pathname;
const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

/**
 * Refuses to run unless this process sits in a namespace other than the one run-bench.mjs was
 * started in (it passes that one's id), so nothing here can ever touch the host's interfaces.
 */
function requireBenchNamespace(): void {
  const outer = process.env.PATCHBAY_BENCH_OUTER_NETNS;
  if (process.env.PATCHBAY_BENCH_NETNS !== '1' || !outer || readlinkSync('/proc/self/ns/net') === outer) {
    throw new Error('run the benchmark with `npm run bench` (it makes its own network namespace); refusing to touch this one');
  }
}

/** A /24 per network index, e.g. subnet24(10.110, 3) = 10.110.3.0/24 (the second octet moves on past 255). */
function subnet24(firstTwo: number, index: number): { subnet: string; gateway: string; prefixLength: number } {
  const base = `10.${firstTwo + (index >> 8)}.${index & 255}`;
  return { subnet: `${base}.0/24`, gateway: `${base}.1`, prefixLength: 24 };
}

async function main(): Promise<void> {
  requireBenchNamespace();
  let cfg: BenchConfig = parseConfig(process.argv.slice(2), process.env);
  const scratch = await mkdtemp(join(tmpdir(), 'pb-bench-'));
  const results = new Results();
  const machine = await describeMachine();
  const hasIptables = (await run('iptables', ['-V']).catch(() => undefined))?.code === 0;
  const rounds = { warmup: cfg.warmup, timed: cfg.iterations };
  const cni = (key: 'cni' | 'cniMasq', bridge: string, prefix16: string): AttachSide =>
    createCniSide({ key, bridge, subnet: `${prefix16}.0.0/16`, ipMasq: key === 'cniMasq', dataDir: join(scratch, `cni-${bridge}`) });

  let daemon: BenchDaemon | undefined;
  if (!cfg.patchbaySkip) {
    daemon = new BenchDaemon({ entry: cfg.daemonEntry ?? join(root, 'daemon/bin/patchbayd.js'), dir: scratch });
    try {
      await daemon.start();
      await new Promise((r) => setTimeout(r, 500));
      results.set('rssIdle', 'patchbay', { kind: 'scalar', value: daemon.rssMb(), unit: 'MB' });
    } catch (err) {
      results.set('rssIdle', 'patchbay', errorCell(err));
      cfg = { ...cfg, patchbaySkip: 'daemon did not start' };
      daemon = undefined;
    }
  }
  if (cfg.scale) {
    if (!daemon) throw new Error(`the scale run needs the daemon (${cfg.patchbaySkip})`);
    const sizes = cfg.mode === 'quick' ? SCALE_QUICK : SCALE_FULL;
    const text = await scaleRun(daemon, { ...sizes, ...(cfg.scaleSize ? scaleSized(cfg.scaleSize) : {}), out: resolve(root, cfg.out) });
    await daemon.stop();
    process.stdout.write(`\n${text}\n`);
    log(`wrote ${cfg.out}`);
    return;
  }
  const client = daemon?.client;
  const withPatchbay = <T>(make: () => T): T[] => (client ? [make()] : []);

  if (runsPhase(cfg, 'attach')) {
    log(`attach/detach: ${rounds.warmup}+${rounds.timed} rounds`);
    const masq: AttachSide[] = hasIptables ? [cni('cniMasq', 'cnim0', '10.76')] : [];
    if (!hasIptables) for (const metric of ['attach', 'detach'] as const) results.set(metric, 'cniMasq', { kind: 'na', reason: 'no iptables' });
    await attachDetachRounds(
      [
        ...withPatchbay(() => createPatchbayAttachSide(client!, { network: 'bench-attach', subnet: '10.78.0.0/16' })),
        // the same attach on a network without DNS, interleaved: what DNS adds to an attach
        ...withPatchbay(() => createPatchbayAttachSide(client!, { network: 'bench-nodns', subnet: '10.75.0.0/16', options: { 'patchbay.dns': 'false' }, metrics: { attach: 'attachDnsOff' }, slotPrefix: 'aq' })),
        cni('cni', 'cni0', '10.77'),
        createFloorAttachSide({ bridge: 'flr0', prefix16: '10.79' }),
        ...masq,
      ],
      rounds,
      results,
    );
  }

  if (runsPhase(cfg, 'cni')) {
    log(`CNI plugin ADD/DEL: ${rounds.warmup}+${rounds.timed} rounds, VERSION`);
    await attachDetachRounds(
      [...withPatchbay(() => createPatchbayCniSide({ socket: daemon!.socket, network: 'bench-cni', subnet: '10.88.0.0/16' })), cni('cni', 'cni3', '10.87')],
      rounds,
      results,
      { attach: 'cniAdd', detach: 'cniDel' },
    );
    await versionRounds(rounds, results);
  }

  if (runsPhase(cfg, 'net')) {
    log(`network create/delete: ${cfg.networkIterations} rounds`);
    const floorNetworks = createFloorNetworkSide({ namePrefix: 'fbr', subnetOf: (i) => subnet24(102, i % 256) });
    await networkRounds(
      [...withPatchbay(() => createPatchbayNetworkSide(client!, { namePrefix: 'bench-net-', subnetOf: (i) => subnet24(101, i % 256).subnet })), floorNetworks],
      { warmup: cfg.warmup, timed: cfg.networkIterations },
      results,
    );
    if (floorNetworks.nftMs.length > cfg.warmup) results.set('netCreateNft', 'floor', { kind: 'samples', summary: summarize(floorNetworks.nftMs.slice(cfg.warmup)) });
  }

  if (runsPhase(cfg, 'docker')) {
    log('Engine API: patchbay and dockerd');
    await dockerRows(cfg, scratch, client, results);
  }

  if (runsPhase(cfg, 'sandbox')) {
    log(`sandbox create/delete: ${cfg.networkIterations} rounds`);
    await sandboxRounds(
      [...withPatchbay(() => createPatchbaySandboxSide(client!, 'bench-sb-')), createFloorSandboxSide('fsb')],
      { warmup: cfg.warmup, timed: cfg.networkIterations },
      results,
    );
  }

  if (runsPhase(cfg, 'concurrency')) {
    log(`concurrency: ${cfg.concurrency} attaches`);
    for (const side of [
      ...withPatchbay(() => createPatchbayAttachSide(client!, { network: 'bench-conc', subnet: '10.81.0.0/16' })),
      cni('cni', 'cni1', '10.82'),
      createFloorAttachSide({ bridge: 'flc0', prefix16: '10.83' }),
    ]) {
      await concurrencyRun(side, cfg.concurrency, results);
  }
  }

  if (runsPhase(cfg, 'growth')) {
    log(`growth: ${cfg.growthNetworks} networks`);
    const networkSides: NetworkSide[] = [
      createFloorNetworkSide({ namePrefix: 'fbg', subnetOf: (i) => subnet24(120, i) }),
      ...withPatchbay(() => createPatchbayNetworkSide(client!, { namePrefix: 'bench-grow-', subnetOf: (i) => subnet24(110, i).subnet })),
    ];
    // each side starts on a quiet kernel: not while the daemon still deletes what the side before it left
    // (and on a quiet machine: not while the kernel still works off what the set-up before it did)
    const quiet = async (label: string) => {
      if (daemon) {
        const settle = await backgroundSettled(daemon.client);
        if (settle.ms >= 1) log(`growth: before ${label}, the daemon's background work (reaper, link quieter backlogs ${settle.backlogs.join(', ')}) took ${Math.round(settle.ms)} ms to finish`);
      }
      const cpu = await waitForQuietCpu();
      log(`growth: before ${label}, ${Math.round(cpu.ms)} ms until the CPUs were quiet (${(cpu.busy * 100).toFixed(0)}% busy in the last 0.5 s${cpu.quiet ? '' : ', not quiet yet: going on'})`);
    };
    for (const side of networkSides) {
      await quiet(`${side.key}'s network creates`);
      await growthNetworksRun(side, cfg.growthNetworks, cfg.growthWindow, results);
    }

    log(`growth: ${cfg.growthEndpoints} endpoints`);
    // CNI on its own first; its pool, which its detaches leave empty, is then the floor's
    const slots = await createSlots('g', cfg.growthEndpoints);
    const cniSide = cni('cni', 'cni2', '10.85');
    await quiet(`${cniSide.key}'s attaches`);
    const cniBaseline = await rulesetLines();
    await growthEndpointsSideBySide([{ side: cniSide, slots }], cfg.growthWindow, results, async () => {
      results.set('rulesetLines', cniSide.key, linesAdded(cniBaseline, await rulesetLines()));
    });
    // the floors and patchbay side by side, each into a pool of its own; each floor's bridge in a
    // host namespace of its own, so no side's ports are in another's namespace
    const [floorHost, kernelFloorHost] = await createSlots('gfh', 2);
    const netlink = resolveKernelBackend('auto');
    if (netlink.backend !== 'netlink') {
      for (const metric of ['growthEndpoints', 'growthEndpointsDetach'] as const) results.set(metric, 'kernelFloor', { kind: 'na', reason: `no netlink addon: ${netlink.reason}` });
    }
    const sideBySide = [
      { side: createFloorAttachSide({ bridge: 'flg0', prefix16: '10.86', hostNetns: floorHost!.name }), slots },
      ...(netlink.backend === 'netlink'
        ? [{ side: createKernelFloorAttachSide({ bridge: 'fkg0', prefix16: '10.87', hostNetns: kernelFloorHost!.name }), slots: await createSlots('gk', cfg.growthEndpoints) }]
        : []),
      ...withPatchbay(async () => ({ side: createPatchbayAttachSide(client!, { network: 'bench-growth', subnet: '10.84.0.0/16' }), slots: await createSlots('gp', cfg.growthEndpoints) })),
    ];
    const entries = await Promise.all(sideBySide);
    await quiet("the floors' and patchbay's attaches");
    const baselines = { floor: await rulesetLines(floorHost!.name), patchbay: await rulesetLines() };
    await growthEndpointsSideBySide(entries, cfg.growthWindow, results, async () => {
      results.set('rulesetLines', 'floor', linesAdded(baselines.floor, await rulesetLines(floorHost!.name)));
      if (daemon) {
        results.set('rulesetLines', 'patchbay', linesAdded(baselines.patchbay, await rulesetLines()));
        await measurePatchbayPeak(daemon, cfg.restarts, results);
      }
    });
  }
  await daemon?.stop();
  await deleteAllSlots();

  if (runsPhase(cfg, 'dns')) {
    log('DNS: local and forwarded names, patchbay and aardvark-dns');
    await dnsRows(cfg, results);
  }

  if (runsPhase(cfg, 'dockerrun') && cfg.dockerdSkip === undefined) {
    log('Docker: docker run … rm -f on patchbay and on dockerd\'s bridge; the plugin\'s Join');
    await dockerRunRows(cfg, results, cfg.daemonEntry ?? join(root, 'daemon/bin/patchbayd.js'), scratch);
  }

  if (runsPhase(cfg, 'overlay')) {
    if (cfg.patchbaySkip) log(`overlay: skipped (${cfg.patchbaySkip})`);
    else {
      log('overlay: simulated hosts in namespaces, each with its own patchbayd, etcd on the same machine');
      await overlayRows(cfg, results, cfg.daemonEntry ?? join(root, 'daemon/bin/patchbayd.js'), scratch);
    }
  }

  const table = renderTable(results, cfg);
  process.stdout.write(`\n${table}\n\n`);
  const file = resolve(root, cfg.out);
  // the sections other scripts measure stay: below the marker, and the scale run's (npm run bench -- --scale writes it)
  const previous = await readFile(file, 'utf8').catch(() => undefined);
  await writeFile(file, keepScaleSection(previous, renderDocument(results, cfg, machine, new Date(), keptSections(previous))));
  log(`wrote ${cfg.out}`);
  const errors = results.errors();
  for (const e of errors) log(`error: ${e.side}, ${e.metric}: ${e.message}`);
  if (errors.length === 0) await rm(scratch, { recursive: true, force: true });
  else if (daemon) log(`daemon log kept: ${join(scratch, 'daemon.log')}`);
  process.exitCode = errors.length > 0 ? 1 : 0;
}

/** Non-empty lines of `nft list ruleset` in the bench namespace, or in the named one (all tables, any owner). */
async function rulesetLines(netns?: string): Promise<number | undefined> {
  const listing = await (netns ? run('ip', ['netns', 'exec', netns, 'nft', 'list', 'ruleset']) : run('nft', ['list', 'ruleset'])).catch(() => undefined);
  return listing?.code === 0 ? listing.stdout.split('\n').filter((l) => l.trim()).length : undefined;
}

const linesAdded = (before: number | undefined, after: number | undefined): Cell =>
  before === undefined || after === undefined ? { kind: 'na', reason: 'nft failed' } : { kind: 'scalar', value: after - before, unit: 'rules' };

/** Long enough to measure a slow restart rather than only report that it missed 2 s. */
const RESTART_TIMEOUT_MS = 120_000;

/** With all growth endpoints in place: firewall rules, memory, and restart to ready. */
async function measurePatchbayPeak(daemon: BenchDaemon, restarts: number, results: Results): Promise<void> {
  try {
    results.set('firewallRules', 'patchbay', { kind: 'scalar', value: await patchbayRuleCount(daemon.client), unit: 'rules' });
  } catch (err) {
    results.set('firewallRules', 'patchbay', errorCell(err));
  }
  results.set('rssLoaded', 'patchbay', { kind: 'scalar', value: daemon.rssMb(), unit: 'MB' });
  try {
    const times: number[] = [];
    for (let i = 0; i < restarts; i++) {
      await daemon.stop();
      times.push(await daemon.start(RESTART_TIMEOUT_MS));
    }
    results.set('restart', 'patchbay', { kind: 'samples', summary: summarize(times) });
  } catch (err) {
    results.set('restart', 'patchbay', errorCell(err));
    throw err; // without a daemon the growth run cannot detach
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
