import { PatchbayError } from '@patchbay/errors';
import { cidrSize, formatAddress, type Cidr } from '@patchbay/ip';
import { parseAddressOf } from './address.js';
import { parseCidr, protocolReserved } from './cidr.js';
import type { AddressAllocator, AddressCounts, AllocatorOptions, NormalizedPool } from './contract.js';
import { IntervalSet } from './interval-set.js';
import { validatePoolConfig } from './pool-config.js';

export interface CreateAllocatorOptions extends AllocatorOptions {
  /** The network's name, used in the exhaustion message. */
  networkLabel: string;
}

/**
 * An address allocator over one pool. It reserves, by itself, the network address (and IPv4
 * broadcast), the pool's gateway and every aux address; release() never frees those. Everything
 * else the daemon has persisted is put back with reserve() when it rebuilds the allocator.
 * Dynamic allocation takes the lowest free address of the ip range (or subnet); in serial mode
 * it goes on after the last dynamic allocation and wraps around. A requested address may lie
 * anywhere in the subnet and does not move the serial cursor.
 */
export function createAllocator(pool: NormalizedPool, opts: CreateAllocatorOptions): AddressAllocator {
  const normalized = validatePoolConfig(pool, { family: pool.family, networkName: opts.networkLabel });
  const family = normalized.family;
  const subnet = parseCidr(normalized.subnet);
  const range: Cidr = normalized.ipRange ? parseCidr(normalized.ipRange, 'ip range') : subnet;
  const taken = new IntervalSet();
  const system = new Map(protocolReserved(subnet).map((r) => [r.value, r.role]));
  const held = new Set<bigint>(system.keys());
  let inRange = 0;
  let cursor = range.first;

  const fmt = (value: bigint) => formatAddress(family, value);
  const inSubnet = (value: bigint) => subnet.first <= value && value <= subnet.last;
  const inDynamicRange = (value: bigint) => range.first <= value && value <= range.last;

  function take(value: bigint): boolean {
    if (!taken.add(value)) return false;
    if (inDynamicRange(value)) inRange++;
    return true;
  }

  function parseInSubnet(text: string, field: string): bigint {
    const value = parseAddressOf(text, family, field);
    if (!inSubnet(value)) {
      throw new PatchbayError('PB_ERR_IP_OUT_OF_RANGE', `${field} ${fmt(value)} is out of range: not inside subnet ${subnet.text}`);
    }
    return value;
  }

  for (const value of system.keys()) take(value);
  const poolHeld = [normalized.gateway, ...Object.values(normalized.auxAddresses)].filter((a) => a !== undefined);
  for (const text of poolHeld) {
    const value = parseInSubnet(text, 'address');
    held.add(value);
    take(value);
  }

  function allocateRequested(text: string): string {
    const value = parseInSubnet(text, 'requested address');
    const role = system.get(value);
    if (role) {
      throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `requested address ${fmt(value)} is the ${role} address of subnet ${subnet.text}`);
    }
    if (!take(value)) throw new PatchbayError('PB_ERR_ADDRESS_IN_USE', 'Address already in use', { details: { address: fmt(value) } });
    return fmt(value);
  }

  function allocateDynamic(): string {
    const value = opts.serial
      ? (taken.firstAbsent(cursor, range.last) ?? taken.firstAbsent(range.first, cursor - 1n))
      : taken.firstAbsent(range.first, range.last);
    if (value === undefined) {
      throw new PatchbayError(
        'PB_ERR_POOL_EXHAUSTED',
        `no available IPv${family} addresses on this network's address pools: ${opts.networkLabel} (${subnet.text})`,
      );
    }
    take(value);
    cursor = value === range.last ? range.first : value + 1n;
    return fmt(value);
  }

  return {
    family,
    subnet: subnet.text,
    dynamicRange: range.text,
    // '' counts as "no preference", as in Docker's API where an empty IPv4Address is common.
    allocate: (requested) => (requested ? allocateRequested(requested) : allocateDynamic()),
    reserve: (address) => take(parseInSubnet(address, 'address')),
    release(address) {
      const value = parseAddressOf(address, family, 'address');
      if (held.has(value) || !taken.delete(value)) return false;
      if (inDynamicRange(value)) inRange--;
      return true;
    },
    isAllocated(address) {
      const value = parseAddressOf(address, family, 'address');
      return taken.has(value);
    },
    counts(): AddressCounts {
      const reserved = BigInt(system.size);
      return {
        total: cidrSize(subnet) - reserved,
        used: BigInt(taken.size) - reserved,
        free: cidrSize(range) - BigInt(inRange),
      };
    },
    allocations() {
      const out: string[] = [];
      for (const value of taken.values()) if (!system.has(value)) out.push(fmt(value));
      return out;
    },
    getCursor: () => fmt(cursor),
    setCursor(address) {
      const value = parseAddressOf(address, family, 'cursor');
      if (!inDynamicRange(value)) {
        throw new PatchbayError('PB_ERR_IP_OUT_OF_RANGE', `cursor ${fmt(value)} is out of range: not inside ${range.text}`);
      }
      cursor = value;
    },
  };
}
