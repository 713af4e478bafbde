import { PatchbayError } from '@patchbay/errors';
import { tryParseAddress, type IpFamily } from '@patchbay/ip';

/** Parses an address of the given family, or throws PB_ERR_INVALID_ADDRESS naming `field`. */
export function parseAddressOf(text: string, family: IpFamily, field: string): bigint {
  const addr = tryParseAddress(text);
  if (!addr) throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `invalid ${field} "${text}": not an IP address`);
  if (addr.family !== family) {
    throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `invalid ${field} "${text}": not an IPv${family} address`);
  }
  return addr.value;
}
