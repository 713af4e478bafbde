/** Plain statistics over durations in milliseconds. */

export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

/** Linear-interpolation quantile (type 7) of an ascending array; q in [0, 1]. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of an empty sample');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

export interface Growth {
  window: number;
  first: Summary;
  last: Summary;
  /** last median ÷ first median */
  ratio: number;
}

/** Compares the first `window` operations with the last `window` (window clamped to half the run). */
export function growth(samples: readonly number[], window: number): Growth {
  const w = Math.min(window, Math.floor(samples.length / 2));
  if (w < 1) throw new Error(`growth needs at least 2 samples, got ${samples.length}`);
  const first = summarize(samples.slice(0, w));
  const last = summarize(samples.slice(samples.length - w));
  return { window: w, first, last, ratio: last.median / first.median };
}

/** The median of each consecutive `window` of samples (the last one may be shorter): where a growth row's change happened. */
export function windowMedians(samples: readonly number[], window: number): number[] {
  const medians: number[] = [];
  for (let i = 0; i < samples.length; i += window) medians.push(summarize(samples.slice(i, i + window)).median);
  return medians;
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs fn and returns how long it took, in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}
