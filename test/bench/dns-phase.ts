/**
 * The DNS rows of `npm run bench`: test/bench/dns.ts's measurement (patchbay's resolver and
 * podman's aardvark-dns answering the same names, and forwarding to the same fake upstream) as
 * cells of the one table.
 */
import type { BenchConfig } from './config.js';
import { dnsBenchOptions, dnsCellSummary, measureDns } from './dns.js';
import { errorCell, type MetricId, type Results } from './results.js';

const METRIC = { local: 'dnsLocal', forwarded: 'dnsForwarded' } as const satisfies Record<string, MetricId>;

export async function dnsRows(cfg: BenchConfig, results: Results): Promise<void> {
  try {
    const cells = await measureDns(dnsBenchOptions(cfg.mode === 'quick', cfg.dnsConcurrency));
    for (const cell of cells) {
      const { rates, latency, lost, wrong } = dnsCellSummary(cell);
      const side = cell.server === 'patchbay' ? 'patchbay' : 'aardvark';
      results.set(METRIC[cell.kind], side, latency ? { kind: 'rate', perSecond: rates.median, latency, lost, wrong } : { kind: 'error', message: `no answers (${lost} lost)` });
    }
    for (const metric of Object.values(METRIC)) results.setIfAbsent(metric, 'aardvark', { kind: 'na', reason: 'not installed' });
  } catch (err) {
    for (const metric of Object.values(METRIC)) results.set(metric, 'patchbay', errorCell(err));
  }
}
