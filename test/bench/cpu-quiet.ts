import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMs } from './stats.js';

export interface CpuTicks {
  busy: number;
  total: number;
}

/** The machine's CPU time from /proc/stat's `cpu` line; idle and iowait are not busy. */
export function parseCpuLine(line: string): CpuTicks {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu') throw new Error(`not the cpu line of /proc/stat: ${line}`);
  const ticks = fields.slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
}

const readTicks = (): CpuTicks => parseCpuLine(readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!);

/** The busy share of all CPUs between two readings (0 when no time passed). */
export const busyShare = (a: CpuTicks, b: CpuTicks): number => (b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0);

/**
 * Waits until the machine's CPUs were busy less than `maxBusy` of one `windowMs` window (work the
 * bench's own set-up left to the kernel, or a previous phase's teardown), at most `timeoutMs`.
 * Says how long it waited and the last window's share, so a run that started loaded is visible.
 */
export async function waitForQuietCpu(o: { maxBusy?: number; windowMs?: number; timeoutMs?: number } = {}): Promise<{ ms: number; busy: number; quiet: boolean }> {
  const { maxBusy = 0.1, windowMs = 500, timeoutMs = 60_000 } = o;
  const start = nowMs();
  let before = readTicks();
  for (;;) {
    await sleep(windowMs);
    const after = readTicks();
    const busy = busyShare(before, after);
    const ms = nowMs() - start;
    if (busy < maxBusy || ms >= timeoutMs) return { ms, busy, quiet: busy < maxBusy };
    before = after;
  }
}
