import { PatchbayError } from '@patchbay/errors';
import { cidrOf, familyBits, tryParseAddress, tryParseCidr } from '@patchbay/ip';
import { parseCidr } from './cidr.js';
import type { IpFamily, PoolDef } from './contract.js';
import { parsePoolDef } from './default-pools.js';

export interface ChoosePoolRequest {
  pools: readonly PoolDef[];
  /** Subnets of the existing networks. */
  inUse: readonly string[];
  /** The host's on-link (scope link) routes, as CIDRs; not the default route. */
  hostRoutes: readonly string[];
  /** The host's resolvers, e.g. from /etc/resolv.conf. */
  nameservers?: readonly string[];
  family: IpFamily;
}

interface Span {
  first: bigint;
  last: bigint;
}

/** Sorts and merges spans so that a binary search can find the first one ending at or after x. */
function mergeSpans(spans: Span[]): Span[] {
  spans.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: Span[] = [];
  for (const s of spans) {
    const prev = merged[merged.length - 1];
    if (prev && s.first <= prev.last + 1n) {
      if (s.last > prev.last) prev.last = s.last;
    } else {
      merged.push({ ...s });
    }
  }
  return merged;
}

function firstEndingAtOrAfter(spans: Span[], x: bigint): Span | undefined {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (spans[mid].last < x) lo = mid + 1;
    else hi = mid;
  }
  return spans[lo];
}

/** What a candidate must not overlap; host facts that do not parse or are of the other family are skipped. */
function blockedSpans(req: ChoosePoolRequest): Span[] {
  const spans: Span[] = [];
  for (const subnet of req.inUse) {
    const c = parseCidr(subnet);
    if (c.family === req.family) spans.push({ first: c.first, last: c.last });
  }
  for (const route of req.hostRoutes) {
    const c = tryParseCidr(route);
    if (c?.family === req.family) spans.push({ first: c.first, last: c.last });
  }
  for (const ns of req.nameservers ?? []) {
    const a = tryParseAddress(ns);
    if (a?.family === req.family) spans.push({ first: a.value, last: a.value });
  }
  return mergeSpans(spans);
}

/**
 * The first subnet of the pool definitions that overlaps no in-use subnet, on-link host route or
 * nameserver (libnetwork's `getPredefinedPool` + `FindAvailableNetwork`, without the rotating
 * start index). A blocked candidate jumps straight past the span that blocks it, so a /8 split
 * into /24s is walked in time proportional to the blocked spans, not to its 65,536 subnets.
 */
export function choosePool(req: ChoosePoolRequest): string {
  const blocked = blockedSpans(req);
  for (const def of req.pools) {
    const { base, size } = parsePoolDef(def);
    if (base.family !== req.family) continue;
    const step = 1n << BigInt(familyBits(base.family) - size);
    let first = base.first;
    while (first <= base.last) {
      const last = first + step - 1n;
      const hit = firstEndingAtOrAfter(blocked, first);
      if (!hit || hit.first > last) return cidrOf(base.family, first, size).text;
      // Next aligned candidate after the blocking span.
      first += ((hit.last - first) / step + 1n) * step;
    }
  }
  throw new PatchbayError(
    'PB_ERR_NO_POOL',
    `could not find an available, non-overlapping IPv${req.family} address pool among the defaults to assign to the network`,
  );
}
