import { PatchbayError } from '@patchbay/errors';
import { familyBits, formatAddress, isInside, type Cidr } from '@patchbay/ip';
import { parseAddressOf } from './address.js';
import { parseCidr, protocolReserved } from './cidr.js';
import type { IpFamily, NormalizedPool, PoolConfig } from './contract.js';

export interface PoolValidationOptions {
  family: IpFamily;
  /** Only carried into error details, so logs can say which network was refused. */
  networkName: string;
}

const fail = (code: 'PB_ERR_INVALID_SUBNET' | 'PB_ERR_INVALID_ADDRESS', message: string): never => {
  throw new PatchbayError(code, message);
};

function parseBlock(text: string, field: string, family: IpFamily): Cidr {
  const cidr = parseCidr(text, field);
  if (cidr.family !== family) fail('PB_ERR_INVALID_SUBNET', `invalid ${field} "${text}": not an IPv${family} CIDR block`);
  return cidr;
}

function checkSubnetSize(subnet: Cidr, text: string): void {
  const bits = familyBits(subnet.family);
  if (subnet.prefix === 0) {
    fail('PB_ERR_INVALID_SUBNET', `invalid subnet "${text}": a /0 subnet would overlap every other network`);
  }
  if (subnet.prefix === bits) {
    fail(
      'PB_ERR_INVALID_SUBNET',
      `invalid subnet "${text}": a /${bits} subnet has no room for endpoint addresses; use /${bits - 1} or shorter`,
    );
  }
}

/** The role ('network' or 'broadcast') that makes an address unusable in the subnet, if any. */
function reservedRole(subnet: Cidr, value: bigint): string | undefined {
  return protocolReserved(subnet).find((r) => r.value === value)?.role;
}

/**
 * Checks one pool of a network and returns it in canonical form. Every refusal is a 400-kind
 * PatchbayError whose message names the offending field. Rules beyond dockerd's own checks:
 * /0 and host-sized (/32, /128) subnets are refused; the gateway and aux addresses may not be
 * the network or IPv4 broadcast address, nor repeat one another.
 */
export function validatePoolConfig(cfg: PoolConfig, opts: PoolValidationOptions): NormalizedPool {
  try {
    return normalizePool(cfg, opts.family);
  } catch (error) {
    if (!(error instanceof PatchbayError)) throw error;
    throw new PatchbayError(error.code, error.message, { cause: error, details: { network: opts.networkName } });
  }
}

function normalizePool(cfg: PoolConfig, family: IpFamily): NormalizedPool {
  const subnet = parseBlock(cfg.subnet, 'subnet', family);
  checkSubnetSize(subnet, cfg.subnet);
  const pool: Omit<NormalizedPool, 'auxAddresses'> = { family, subnet: subnet.text };

  if (cfg.ipRange !== undefined && cfg.ipRange !== '') {
    const range = parseBlock(cfg.ipRange, 'ip range', family);
    if (!isInside(range, subnet)) fail('PB_ERR_INVALID_SUBNET', `ip range ${range.text} is not inside subnet ${subnet.text}`);
    pool.ipRange = range.text;
  }

  const inSubnet = (value: bigint) => subnet.first <= value && value <= subnet.last;
  let gatewayValue: bigint | undefined;
  if (cfg.gateway !== undefined && cfg.gateway !== '') {
    gatewayValue = parseAddressOf(cfg.gateway, family, 'gateway');
    const gateway = formatAddress(family, gatewayValue);
    if (!inSubnet(gatewayValue)) fail('PB_ERR_INVALID_ADDRESS', `gateway ${gateway} is not inside subnet ${subnet.text}`);
    const role = reservedRole(subnet, gatewayValue);
    if (role) fail('PB_ERR_INVALID_ADDRESS', `gateway ${gateway} is the ${role} address of subnet ${subnet.text}`);
    pool.gateway = gateway;
  }

  const auxAddresses: Record<string, string> = {};
  const auxByValue = new Map<bigint, string>();
  for (const [name, text] of Object.entries(cfg.auxAddresses ?? {})) {
    if (name === '') fail('PB_ERR_INVALID_ADDRESS', `auxiliary address "=${text}" has no name`);
    const value = parseAddressOf(text, family, `auxiliary address ${name}`);
    const aux = `${name}=${formatAddress(family, value)}`;
    if (!inSubnet(value)) fail('PB_ERR_INVALID_ADDRESS', `auxiliary address ${aux} is not inside subnet ${subnet.text}`);
    const role = reservedRole(subnet, value);
    if (role) fail('PB_ERR_INVALID_ADDRESS', `auxiliary address ${aux} is the ${role} address of subnet ${subnet.text}`);
    if (value === gatewayValue) fail('PB_ERR_INVALID_ADDRESS', `auxiliary address ${aux} is the gateway address`);
    const twin = auxByValue.get(value);
    if (twin !== undefined) fail('PB_ERR_INVALID_ADDRESS', `auxiliary address ${aux} repeats auxiliary address ${twin}`);
    auxByValue.set(value, name);
    auxAddresses[name] = formatAddress(family, value);
  }
  return { ...pool, auxAddresses };
}
