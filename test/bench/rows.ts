import type { BenchConfig } from './config.js';
import { centralMs, type Cell, type MetricId, type Results } from './results.js';
import type { SideKey } from './sides.js';

/** A target (issue 6's, or a later issue's): true = PASS, false = MISS, undefined = not measurable in this run. */
export interface Target {
  text: string;
  check(results: Results): boolean | undefined;
}

export interface RowDef {
  metric: MetricId;
  label(cfg: BenchConfig): string;
  /** show patchbay ÷ CNI and patchbay ÷ floor */
  ratios?: boolean;
  /** why a side has no value on this row */
  notApplicable?: Partial<Record<SideKey, string>>;
  targets?: Target[];
}

const pb = (r: Results, m: MetricId): Cell | undefined => r.get(m, 'patchbay');

/** patchbay's median ÷ another side's median on the same row. */
export function ratio(results: Results, metric: MetricId, other: SideKey): number | undefined {
  const a = centralMs(results.get(metric, 'patchbay'));
  const b = centralMs(results.get(metric, other));
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

const ratioAtMost = (metric: MetricId, other: SideKey, limit: number, name: string): Target => ({
  text: `≤ ${limit}× ${name}`,
  check: (r) => {
    const x = ratio(r, metric, other);
    return x === undefined ? undefined : x <= limit;
  },
});

const growthAtMost = (metric: MetricId, limit: number): Target => ({
  text: `last ≤ ${limit}× first`,
  check: (r) => {
    const c = pb(r, metric);
    return c?.kind === 'growth' ? c.growth.ratio <= limit : undefined;
  },
});

/**
 * Issue 16's growth target: patchbay adds no growth of its own. Its (last − first) median over
 * the growth run may exceed the floor's, whose growth is the kernel's (bridge ports), by 0.5 ms.
 */
const noGrowthOfItsOwn = (metric: MetricId, slackMs: number): Target => ({
  text: `no growth of its own: Δ ≤ floor Δ + ${slackMs} ms`,
  check: (r) => {
    const a = pb(r, metric);
    const f = r.get(metric, 'floor');
    if (a?.kind !== 'growth' || f?.kind !== 'growth') return undefined;
    const delta = (c: typeof a & { kind: 'growth' }) => c.growth.last.median - c.growth.first.median;
    return delta(a) <= delta(f as typeof a) + slackMs;
  },
});

const scalarAtMost = (metric: MetricId, limit: number, unit: string): Target => ({
  text: `≤ ${limit} ${unit}`,
  check: (r) => {
    const c = pb(r, metric);
    return c?.kind === 'scalar' ? c.value <= limit : undefined;
  },
});

/** Issue 14's goal: within 2× of aardvark-dns (or faster): at least half its rate, at most twice its median. */
const withinTwiceOfAardvark = (metric: MetricId): Target => ({
  text: '≥ ½× aardvark-dns /s, median ≤ 2×',
  check: (r) => {
    const a = pb(r, metric);
    const b = r.get(metric, 'aardvark');
    if (a?.kind !== 'rate' || b?.kind !== 'rate') return undefined;
    return a.perSecond >= b.perSecond / 2 && a.latency.median <= 2 * b.latency.median;
  },
});

const noDns = { cni: 'no DNS', floor: 'no DNS', cniMasq: 'no DNS' };
const noCni = { cni: 'no network object' };
const noDaemon = { cni: 'no daemon', floor: 'no daemon' };
const noEngineApi = { cni: 'no Engine API', floor: 'no Engine API', cniMasq: 'no Engine API' };
const overlayOnly = { cni: 'patchbay only', floor: 'patchbay only', cniMasq: 'patchbay only' };
const dockerOnly = { cni: 'Docker row', floor: 'Docker row', cniMasq: 'Docker row', aardvark: 'Docker row' };

export const ROWS: readonly RowDef[] = [
  { metric: 'attach', label: () => 'attach: fresh netns → bridge network', ratios: true, targets: [ratioAtMost('attach', 'cni', 0.5, 'CNI ADD'), ratioAtMost('attach', 'floor', 2, 'floor')] },
  { metric: 'detach', label: () => 'detach', ratios: true, targets: [ratioAtMost('detach', 'cni', 0.3, 'CNI DEL')] },
  { metric: 'cniAdd', label: () => 'CNI ADD: the plugin exec’d as a runtime does (patchbay: packages/cni)', ratios: true, notApplicable: { floor: 'no plugin', cniMasq: 'see attach' }, targets: [ratioAtMost('cniAdd', 'cni', 0.5, 'CNI ADD')] },
  { metric: 'cniDel', label: () => 'CNI DEL', ratios: true, notApplicable: { floor: 'no plugin', cniMasq: 'see detach' }, targets: [ratioAtMost('cniDel', 'cni', 0.3, 'CNI DEL')] },
  { metric: 'cniVersion', label: () => 'CNI VERSION probe (floor: exec of /bin/true)', ratios: true, notApplicable: { cniMasq: 'same binary' }, targets: [ratioAtMost('cniVersion', 'floor', 2, 'exec of /bin/true')] },
  {
    metric: 'attachDnsOff',
    label: () => 'attach, network with DNS off (`-o patchbay.dns=false`; the attach row has DNS on)',
    notApplicable: { cni: 'patchbay only', floor: 'patchbay only', cniMasq: 'patchbay only' },
  },
  { metric: 'netCreate', label: () => 'network create', ratios: true, notApplicable: noCni, targets: [ratioAtMost('netCreate', 'floor', 1.5, 'floor')] },
  { metric: 'netDelete', label: () => 'network delete', ratios: true, notApplicable: noCni, targets: [ratioAtMost('netDelete', 'floor', 1.5, 'floor')] },
  {
    metric: 'netCreateNft',
    label: () => 'network create: its `nft -f -` process alone (floor, information)',
    notApplicable: { patchbay: 'inside its create', cni: 'no network object', cniMasq: 'no network object' },
  },
  { metric: 'dockerNetCreate', label: () => 'Engine API: network create (`POST /networks/create`)', ratios: true, notApplicable: noEngineApi, targets: [ratioAtMost('dockerNetCreate', 'dockerd', 0.3, 'dockerd')] },
  { metric: 'dockerNetDelete', label: () => 'Engine API: network delete', ratios: true, notApplicable: noEngineApi, targets: [ratioAtMost('dockerNetDelete', 'dockerd', 0.3, 'dockerd')] },
  { metric: 'dockerConnect', label: () => 'Engine API: connect a running container (2nd network)', ratios: true, notApplicable: noEngineApi, targets: [ratioAtMost('dockerConnect', 'dockerd', 0.1, 'dockerd')] },
  { metric: 'dockerDisconnect', label: () => 'Engine API: disconnect it again', ratios: true, notApplicable: noEngineApi, targets: [ratioAtMost('dockerDisconnect', 'dockerd', 0.1, 'dockerd')] },
  { metric: 'sbCreate', label: () => 'sandbox create (own netns, loopback up)', ratios: true, notApplicable: { cni: "the runtime's job" } },
  { metric: 'sbDelete', label: () => 'sandbox delete', ratios: true, notApplicable: { cni: "the runtime's job" } },
  { metric: 'sequential', label: (c) => `${c.concurrency} attaches one after another (wall)`, ratios: true },
  {
    metric: 'parallel',
    label: (c) => `${c.concurrency} attaches in parallel (wall)`,
    ratios: true,
    targets: [
      {
        text: 'faster than sequential',
        check: (r) => {
          const par = centralMs(pb(r, 'parallel'));
          const seq = centralMs(pb(r, 'sequential'));
          return par === undefined || seq === undefined ? undefined : par < seq;
        },
      },
    ],
  },
  {
    metric: 'growthEndpoints',
    label: (c) => `growth: attach ${c.growthEndpoints} endpoints to one network`,
    // issue 16 restated issue 6's endpoint target (last ≤ 1.5× first), which the kernel's own
    // bridge-port cost made flaky, as growth against the floor's; the ratio stays in the cell
    targets: [noGrowthOfItsOwn('growthEndpoints', 0.5)],
  },
  { metric: 'growthEndpointsDetach', label: (c) => `growth: detach those ${c.growthEndpoints}` },
  { metric: 'growthNetworks', label: (c) => `growth: create ${c.growthNetworks} networks`, notApplicable: noCni, targets: [growthAtMost('growthNetworks', 1.5)] },
  { metric: 'firewallRules', label: (c) => `firewall rules with ${c.growthEndpoints} endpoints (GET /v1/firewall/rules)`, notApplicable: { cni: 'ipMasq off', floor: 'none' } },
  { metric: 'rulesetLines', label: (c) => `\`nft list ruleset\` lines added by the ${c.growthEndpoints}-endpoint run` },
  { metric: 'rssIdle', label: () => 'daemon RSS, idle', notApplicable: noDaemon, targets: [scalarAtMost('rssIdle', 80, 'MB')] },
  { metric: 'rssLoaded', label: (c) => `daemon RSS with ${c.growthEndpoints} endpoints`, notApplicable: noDaemon, targets: [scalarAtMost('rssLoaded', 150, 'MB')] },
  { metric: 'dnsLocal', label: (c) => `DNS, local names: answers/s, ms: median (p90), ${c.dnsConcurrency} in flight`, notApplicable: noDns, targets: [withinTwiceOfAardvark('dnsLocal')] },
  { metric: 'dnsForwarded', label: (c) => `DNS, forwarded names (fake upstream), ${c.dnsConcurrency} in flight`, notApplicable: noDns, targets: [withinTwiceOfAardvark('dnsForwarded')] },
  { metric: 'dockerRun', label: () => '`docker run -d --network N` … `docker rm -f` (dockerd 20.10; patchbay: `-d patchbay` network)', notApplicable: dockerOnly },
  { metric: 'pluginJoin', label: () => 'Docker plugin: NetworkDriver.Join handling', notApplicable: { ...dockerOnly, dockerd: 'in-process driver' } },
  {
    metric: 'restart',
    label: (c) => `restart to ready with ${c.growthEndpoints} endpoints (${c.restarts === 1 ? '1 restart' : `median of ${c.restarts}`})`,
    notApplicable: noDaemon,
    targets: [
      {
        text: '≤ 2 s',
        check: (r) => {
          const ms = centralMs(pb(r, 'restart'));
          return ms === undefined ? undefined : ms <= 2000;
        },
      },
    ],
  },
  { metric: 'ovAttach', label: () => 'overlay: attach on an overlay network (3 hosts in namespaces, etcd on this machine; interleaved with the next row on the same host)', notApplicable: overlayOnly },
  { metric: 'ovAttachBridge', label: () => 'overlay: attach on a bridge network, same host and daemon', notApplicable: overlayOnly },
  {
    metric: 'ovReach',
    label: () => 'overlay: connect on one host → both other hosts hold its neighbour + FDB entries (seen by `ip monitor neigh`), from the connect\'s request',
    notApplicable: overlayOnly,
    targets: [
      {
        text: 'p99 ≤ 200 ms',
        check: (r) => {
          const c = pb(r, 'ovReach');
          return c?.kind === 'samples' && c.p99 !== undefined ? c.p99 <= 200 : undefined;
        },
      },
    ],
  },
  {
    metric: 'ovRestartPeers',
    label: (c) => `overlay: 10 hosts × ${c.mode === 'quick' ? 20 : 100} endpoints; a host killed past its lease, entries flushed, restarted: from its start until every other host has its peers again`,
    notApplicable: overlayOnly,
  },
  { metric: 'ovRestartSelf', label: () => 'overlay: … until the restarted host has every other host\'s peers again', notApplicable: overlayOnly },
];
