import { PatchbayError } from '@patchbay/errors';
import { cidrOf, familyBits, tryParseCidr, type Cidr } from '@patchbay/ip';
import type { PoolDef } from './contract.js';

/**
 * dockerd's local default pools (libnetwork `ipamutils`): 172.17–19/16, 172.20/14, 172.24/14 and
 * 172.28/14 split into /16s, then 192.168/16 split into /20s — 31 subnets in all.
 */
export function defaultLocalPools(): PoolDef[] {
  return [
    { base: '172.17.0.0/16', size: 16 },
    { base: '172.18.0.0/16', size: 16 },
    { base: '172.19.0.0/16', size: 16 },
    { base: '172.20.0.0/14', size: 16 },
    { base: '172.24.0.0/14', size: 16 },
    { base: '172.28.0.0/14', size: 16 },
    { base: '192.168.0.0/16', size: 20 },
  ];
}

const invalidPool = (shown: string, reason: string) =>
  new PatchbayError('PB_ERR_INVALID_OPTION', `invalid default address pool ${shown}: ${reason}`);

/** A pool definition parsed: `base` as a block and the prefix length of the subnets cut from it. */
export interface ParsedPoolDef {
  base: Cidr;
  size: number;
}

/** Checks a pool definition (flag or daemon.json) and parses it; PB_ERR_INVALID_OPTION if bad. */
export function parsePoolDef(def: PoolDef, shown = `"base=${def.base},size=${def.size}"`): ParsedPoolDef {
  const base = tryParseCidr(def.base);
  if (!base) throw invalidPool(shown, `base "${def.base}" is not a CIDR block`);
  const bits = familyBits(base.family);
  if (!Number.isInteger(def.size) || def.size < base.prefix || def.size > bits - 1) {
    throw invalidPool(shown, `size must be an integer from ${base.prefix} (the base prefix) to ${bits - 1}`);
  }
  return { base, size: def.size };
}

/** The canonical form of a pool definition (base with host bits zero). */
export function validatePoolDef(def: PoolDef): PoolDef {
  const parsed = parsePoolDef(def);
  return { base: parsed.base.text, size: parsed.size };
}

/** Parses dockerd's `--default-address-pool base=10.10.0.0/16,size=24`. */
export function parseAddressPoolFlag(text: string): PoolDef {
  const shown = `"${text}"`;
  const fields = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (eq < 0 || (key !== 'base' && key !== 'size')) throw invalidPool(shown, `unexpected "${part}"; expected base=CIDR,size=N`);
    if (fields.has(key)) throw invalidPool(shown, `${key} is given twice`);
    fields.set(key, part.slice(eq + 1));
  }
  const base = fields.get('base');
  const size = fields.get('size');
  if (base === undefined || size === undefined) throw invalidPool(shown, 'both base=CIDR and size=N are required');
  if (!/^\d{1,3}$/.test(size)) throw invalidPool(shown, `size "${size}" is not a prefix length`);
  const parsed = parsePoolDef({ base, size: Number(size) }, shown);
  return { base: parsed.base.text, size: parsed.size };
}

/** Yields, in order, every subnet the definitions describe, computing each only when asked. */
export function* expandPools(defs: readonly PoolDef[]): Generator<string> {
  for (const def of defs) {
    const { base, size } = parsePoolDef(def);
    const step = 1n << BigInt(familyBits(base.family) - size);
    for (let first = base.first; first <= base.last; first += step) yield cidrOf(base.family, first, size).text;
  }
}
