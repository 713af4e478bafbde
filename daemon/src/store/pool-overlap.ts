import { PatchbayError } from '@patchbay/errors';
import { assertNoPoolOverlap, overlaps } from '@patchbay/ipam';

/** A pool as overlap checks see it: held by its network, else by whoever requested it. */
export interface HeldSubnet {
  subnet: string;
  networkName: string | null;
  requestedBy?: string | null | undefined;
}

/** PB_ERR_POOL_OVERLAP (libnetwork's message) when `subnet` shares an address with a held pool. */
export function assertSubnetFree(subnet: string, held: readonly HeldSubnet[]): void {
  const other = held.find((h) => overlaps(subnet, h.subnet));
  if (!other) return;
  if (other.networkName !== null) assertNoPoolOverlap(subnet, [{ subnet: other.subnet, networkName: other.networkName }]);
  throw new PatchbayError(
    'PB_ERR_POOL_OVERLAP',
    `Pool overlaps with other one on this address space: ${other.subnet} (pool requested by ${other.requestedBy ?? 'nobody'})`,
    { details: { subnet, otherPool: other.subnet } },
  );
}
