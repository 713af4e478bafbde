import { readdirSync, readFileSync } from 'node:fs';

/** Time a process's threads spent running and waiting for a core, in milliseconds. */
export interface SchedTimes {
  runMs: number;
  waitMs: number;
}

/**
 * Adds up `/proc/PID/task/TID/schedstat` lines ("run-ns wait-ns timeslices"): nanosecond CPU time
 * (where /proc/PID/stat counts 10 ms ticks) and the time spent runnable but not running, which is
 * what other work on the machine adds to a wall-clock figure.
 */
export function sumSchedstat(lines: readonly string[]): SchedTimes {
  let run = 0;
  let wait = 0;
  for (const line of lines) {
    const [r, w] = line.trim().split(/\s+/).map(Number);
    if (!Number.isFinite(r) || !Number.isFinite(w)) throw new Error(`not a schedstat line: ${JSON.stringify(line)}`);
    run += r!;
    wait += w!;
  }
  return { runMs: run / 1e6, waitMs: wait / 1e6 };
}

/** The live threads' schedstat of `pid` (a thread that exits between two reads takes its share with it). */
export function schedTimes(pid: number | 'self'): SchedTimes {
  const lines: string[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      lines.push(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8'));
    } catch {
      // the thread exited since the listing
    }
  }
  return sumSchedstat(lines);
}

/** b − a */
export const schedDelta = (a: SchedTimes, b: SchedTimes): SchedTimes => ({ runMs: b.runMs - a.runMs, waitMs: b.waitMs - a.waitMs });
