import { PatchbayError } from '@patchbay/errors';
import { overlaps, parseCidr } from './cidr.js';

export interface ExistingPool {
  subnet: string;
  networkName: string;
}

/** The first existing pool that shares an address with `subnet`, if any. */
export function findOverlap(subnet: string, existing: readonly ExistingPool[]): ExistingPool | undefined {
  const wanted = parseCidr(subnet);
  return existing.find((e) => overlaps(wanted, e.subnet));
}

/** libnetwork's 403 for an explicit subnet that overlaps another network's pool. */
export function assertNoPoolOverlap(subnet: string, existing: readonly ExistingPool[]): void {
  const other = findOverlap(subnet, existing);
  if (other) {
    throw new PatchbayError(
      'PB_ERR_POOL_OVERLAP',
      `Pool overlaps with other one on this address space: ${parseCidr(other.subnet).text} (network ${other.networkName})`,
      { details: { subnet: parseCidr(subnet).text, otherNetwork: other.networkName } },
    );
  }
}
