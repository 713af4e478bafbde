import type { SideKey } from './sides.js';
import type { Growth, Summary } from './stats.js';

/** One measured value of one side. */
export type Cell =
  /** p99: when the row's target is about the tail */
  | { kind: 'samples'; summary: Summary; p99?: number }
  | { kind: 'growth'; growth: Growth }
  | { kind: 'wall'; ms: number; count: number }
  | { kind: 'scalar'; value: number; unit: 'MB' | 'rules' }
  /** a load run: answers per second (median round) and the latency of every answer */
  | { kind: 'rate'; perSecond: number; latency: Summary; lost: number; wrong: number }
  | { kind: 'na'; reason: string }
  | { kind: 'error'; message: string };

export type MetricId =
  | 'attach'
  | 'detach'
  | 'netCreate'
  | 'netDelete'
  | 'netCreateNft'
  | 'dockerNetCreate'
  | 'dockerNetDelete'
  | 'dockerConnect'
  | 'dockerDisconnect'
  | 'sbCreate'
  | 'sbDelete'
  | 'growthEndpoints'
  | 'growthEndpointsDetach'
  | 'growthNetworks'
  | 'sequential'
  | 'parallel'
  | 'firewallRules'
  | 'rulesetLines'
  | 'rssIdle'
  | 'rssLoaded'
  | 'restart'
  | 'cniAdd'
  | 'cniDel'
  | 'cniVersion'
  | 'attachDnsOff'
  | 'dnsLocal'
  | 'dnsForwarded'
  | 'dockerRun'
  | 'pluginJoin'
  | 'ovAttach'
  | 'ovAttachBridge'
  | 'ovReach'
  | 'ovRestartPeers'
  | 'ovRestartSelf';

export class Results {
  private readonly cells = new Map<MetricId, Map<SideKey, Cell>>();

  set(metric: MetricId, side: SideKey, cell: Cell): void {
    let row = this.cells.get(metric);
    if (!row) this.cells.set(metric, (row = new Map()));
    row.set(side, cell);
  }

  /** Sets the cell unless one is there already (a first error wins over later follow-ups). */
  setIfAbsent(metric: MetricId, side: SideKey, cell: Cell): void {
    if (!this.get(metric, side)) this.set(metric, side, cell);
  }

  get(metric: MetricId, side: SideKey): Cell | undefined {
    return this.cells.get(metric)?.get(side);
  }

  /** Every error cell, for the exit status and the log. */
  errors(): { metric: MetricId; side: SideKey; message: string }[] {
    const out: { metric: MetricId; side: SideKey; message: string }[] = [];
    for (const [metric, row] of this.cells) {
      for (const [side, cell] of row) if (cell.kind === 'error') out.push({ metric, side, message: cell.message });
    }
    return out;
  }
}

export const errorCell = (err: unknown): Cell => ({ kind: 'error', message: err instanceof Error ? err.message : String(err) });

/** The median of a samples cell, or of the wall time of a wall cell; undefined otherwise. */
export function centralMs(cell: Cell | undefined): number | undefined {
  if (cell?.kind === 'samples') return cell.summary.median;
  if (cell?.kind === 'wall') return cell.ms;
  if (cell?.kind === 'rate') return cell.latency.median;
  return undefined;
}
