import { PatchbayError } from '@patchbay/errors';

/** Times are nanoseconds since the epoch, as bigint (they exceed 2^53). */
export type Nanos = bigint;

export const nowNanos = (): Nanos => BigInt(Date.now()) * 1_000_000n;

const parseIntError = (s: string) => new PatchbayError('PB_ERR_INVALID', `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`);

/** moby's timetypes.ParseTimestamps: "seconds[.fraction]" as the API's `since`/`until` carry them. */
export function parseUnixTimestamp(value: string): Nanos {
  const dot = value.indexOf('.');
  const secText = dot < 0 ? value : value.slice(0, dot);
  if (!/^[+-]?\d{1,19}$/.test(secText)) throw parseIntError(secText);
  const sec = BigInt(secText);
  if (dot < 0) return sec * 1_000_000_000n;
  const frac = value.slice(dot + 1);
  if (!/^[+-]?\d{1,19}$/.test(frac)) throw parseIntError(frac);
  const digits = frac.replace(/^[+-]/, '');
  const ns = digits.length <= 9 ? BigInt(digits.padEnd(9, '0')) : BigInt(digits.slice(0, 9));
  return sec * 1_000_000_000n + (frac.startsWith('-') ? -ns : ns);
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration ("90s", "1h30m", "1.5h"); undefined when it is not one. */
export function parseGoDuration(text: string): Nanos | undefined {
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(text);
  if (!m) return text === '0' ? 0n : undefined;
  let total = 0;
  for (const part of m[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * UNIT_NS[part[2]!]!;
  return BigInt(Math.round(m[1] === '-' ? -total : total));
}

/**
 * moby's timetypes.GetTimestamp as prune's `until` uses it: a Go duration before `now`, an RFC 3339
 * or date-only time, or a Unix timestamp.
 */
export function parseTimeOrDuration(value: string, now: Nanos = nowNanos()): Nanos {
  const d = parseGoDuration(value);
  if (d !== undefined && value !== '0') return now - d;
  const fail = () => new PatchbayError('PB_ERR_INVALID', `failed to parse value as time or duration: ${JSON.stringify(value)}`);
  if (/[-T:]/.test(value.replace(/^[+-]/, ''))) {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw fail();
    const frac = /\.(\d+)/.exec(value)?.[1] ?? '';
    const subMs = frac.length > 3 ? BigInt(frac.slice(3, 9).padEnd(6, '0')) : 0n;
    return BigInt(ms) * 1_000_000n + subMs;
  }
  try {
    return parseUnixTimestamp(value);
  } catch {
    throw fail();
  }
}
