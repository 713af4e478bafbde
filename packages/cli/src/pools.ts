import { BlockList, isIP } from 'node:net';
import type { IpamPoolConfig } from '@patchbay/api';
import { UsageError } from './args.js';

export interface PoolFlags {
  subnets: string[];
  gateways: string[];
  ipRanges: string[];
  /** --aux-address name=ip, in the order given */
  auxAddresses: [string, string][];
}

interface Cidr {
  text: string;
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function parseCidr(text: string): Cidr {
  const [address = '', prefixText, ...rest] = text.split('/');
  const fam = isIP(address);
  const prefix = Number(prefixText);
  if (fam === 0 || rest.length > 0 || !/^\d{1,3}$/.test(prefixText ?? '') || prefix > (fam === 4 ? 32 : 128)) {
    throw new UsageError(`invalid CIDR address: ${text}`);
  }
  return { text, address, prefix, family: fam === 4 ? 'ipv4' : 'ipv6' };
}

const familyOf = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

class Pool {
  readonly config: IpamPoolConfig;
  private readonly block = new BlockList();
  constructor(readonly cidr: Cidr) {
    this.block.addSubnet(cidr.address, cidr.prefix, cidr.family);
    this.config = { subnet: cidr.text };
  }
  containsIp(ip: string): boolean {
    return isIP(ip) !== 0 && this.block.check(ip, familyOf(ip));
  }
  containsCidr(other: Cidr): boolean {
    return other.family === this.cidr.family && other.prefix >= this.cidr.prefix && this.block.check(other.address, other.family);
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
    if (isIP(gateway) === 0) throw new UsageError(`invalid gateway address: ${gateway}`);
    const pool = pools.find((p) => p.containsIp(gateway));
    if (!pool) throw new UsageError(`no matching subnet for gateway ${gateway}`);
    if (pool.config.gateway !== undefined) {
      throw new UsageError(`cannot configure multiple gateways (${gateway}, ${pool.config.gateway}) for the same subnet (${pool.cidr.text})`);
    }
    pool.config.gateway = gateway;
  }

  for (const [name, ip] of flags.auxAddresses) {
    if (isIP(ip) === 0) throw new UsageError(`invalid aux-address ${name}=${ip}: not an IP address`);
    const pool = pools.find((p) => p.containsIp(ip));
    if (!pool) throw new UsageError(`no matching subnet for aux-address ${ip}`);
    pool.config.auxAddresses = { ...pool.config.auxAddresses, [name]: ip };
  }
  return pools.map((p) => p.config);
}
