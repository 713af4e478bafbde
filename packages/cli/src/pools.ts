import type { IpamPoolConfig } from '@patchbay/api';
import { contains, isAddress, isInside, tryParseAddress, tryParseCidr, type Cidr } from '@patchbay/ip';
import { UsageError } from './args.js';

export interface PoolFlags {
  subnets: string[];
  gateways: string[];
  ipRanges: string[];
  /** --aux-address name=ip, in the order given */
  auxAddresses: [string, string][];
}

/** A CIDR flag: parsed, and its text as given (sent to the daemon unchanged). */
interface CidrFlag {
  text: string;
  block: Cidr;
}

function parseCidr(text: string): CidrFlag {
  const block = tryParseCidr(text);
  if (!block) throw new UsageError(`invalid CIDR address: ${text}`);
  return { text, block };
}

class Pool {
  readonly config: IpamPoolConfig;
  constructor(readonly cidr: CidrFlag) {
    this.config = { subnet: cidr.text };
  }
  containsIp(ip: string): boolean {
    const addr = tryParseAddress(ip);
    return addr !== undefined && contains(this.cidr.block, addr);
  }
  containsCidr(other: CidrFlag): boolean {
    return isInside(other.block, this.cidr.block);
  }
}

/**
 * Docker's consolidation of `--subnet/--gateway/--ip-range/--aux-address` (docker/cli
 * `createIPAMConfig`): each gateway, range and aux address goes to the subnet that contains it,
 * so with one value per subnet given in order the pairing is positional, and a value that fits
 * no subnet, or a second gateway or range for one subnet, is an error.
 */
export function buildPools(flags: PoolFlags): IpamPoolConfig[] {
  if (flags.gateways.length > flags.subnets.length || flags.ipRanges.length > flags.subnets.length) {
    throw new UsageError('every ip-range or gateway must have a corresponding subnet');
  }
  const pools: Pool[] = [];
  for (const text of flags.subnets) {
    const cidr = parseCidr(text);
    if (pools.some((p) => p.containsCidr(cidr) || new Pool(cidr).containsCidr(p.cidr))) {
      throw new UsageError('multiple overlapping subnet configuration is not supported');
    }
    pools.push(new Pool(cidr));
  }

  for (const text of flags.ipRanges) {
    const range = parseCidr(text);
    const pool = pools.find((p) => p.containsCidr(range));
    if (!pool) throw new UsageError(`no matching subnet for range ${text}`);
    if (pool.config.ipRange !== undefined) {
      throw new UsageError(`cannot configure multiple ranges (${text}, ${pool.config.ipRange}) on the same subnet (${pool.cidr.text})`);
    }
    pool.config.ipRange = text;
  }

  for (const gateway of flags.gateways) {
    if (!isAddress(gateway)) throw new UsageError(`invalid gateway address: ${gateway}`);
    const pool = pools.find((p) => p.containsIp(gateway));
    if (!pool) throw new UsageError(`no matching subnet for gateway ${gateway}`);
    if (pool.config.gateway !== undefined) {
      throw new UsageError(`cannot configure multiple gateways (${gateway}, ${pool.config.gateway}) for the same subnet (${pool.cidr.text})`);
    }
    pool.config.gateway = gateway;
  }

  for (const [name, ip] of flags.auxAddresses) {
    if (!isAddress(ip)) throw new UsageError(`invalid aux-address ${name}=${ip}: not an IP address`);
    const pool = pools.find((p) => p.containsIp(ip));
    if (!pool) throw new UsageError(`no matching subnet for aux-address ${ip}`);
    pool.config.auxAddresses = { ...pool.config.auxAddresses, [name]: ip };
  }
  return pools.map((p) => p.config);
}
