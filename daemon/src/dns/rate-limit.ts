/**
 * One token bucket per client address: `burst` queries at once, refilled at `perSecond`. A query
 * finding the bucket empty is dropped (no reply, so a flood cannot be reflected). The table of
 * buckets is bounded: when full, buckets that have refilled completely (idle clients) go first,
 * and if none has, the whole table is reset (spoofed sources must not grow memory).
 */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface RateLimiter {
  allow(client: string): boolean;
  size(): number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 1000, burst: 2000 };
const MAX_CLIENTS = 4096;

export function createRateLimiter(limit: RateLimit, now: () => number = () => performance.now()): RateLimiter {
  const buckets = new Map<string, Bucket>();

  const refill = (b: Bucket, t: number) => {
    b.tokens = Math.min(limit.burst, b.tokens + ((t - b.at) / 1000) * limit.perSecond);
    b.at = t;
  };

  const makeRoom = (t: number) => {
    for (const [key, b] of buckets) {
      refill(b, t);
      if (b.tokens >= limit.burst) buckets.delete(key);
    }
    if (buckets.size >= MAX_CLIENTS) buckets.clear();
  };

  return {
    allow(client) {
      const t = now();
      let b = buckets.get(client);
      if (!b) {
        if (buckets.size >= MAX_CLIENTS) makeRoom(t);
        b = { tokens: limit.burst, at: t };
        buckets.set(client, b);
      } else {
        refill(b, t);
      }
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    size: () => buckets.size,
  };
}
