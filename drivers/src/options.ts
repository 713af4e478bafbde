import { PatchbayError } from '@patchbay/errors';

/**
 * Network options every driver may be given (libnetwork's generic labels), as opposed to a
 * driver's own options.
 */
export const NETWORK_OPTIONS = {
  /** the name prefix of the interfaces a join creates in a sandbox: <prefix><N>, default eth<N> */
  ifacePrefix: 'com.docker.network.container_iface_prefix',
  mtu: 'com.docker.network.driver.mtu',
} as const;

export const badOption = (key: string, value: string, why: string) =>
  new PatchbayError('PB_ERR_INVALID_OPTION', `invalid value for option ${key}: "${value}": ${why}`);

/** Checks one of the generic options (NETWORK_OPTIONS); other keys pass. */
export function checkNetworkOption(key: string, value: string): void {
  switch (key) {
    case NETWORK_OPTIONS.mtu: {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 68 || n > 65535) throw badOption(key, value, 'must be an integer from 68 to 65535');
      break;
    }
    case NETWORK_OPTIONS.ifacePrefix:
      if (!/^[a-z][a-z0-9]{0,9}$/.test(value)) throw badOption(key, value, 'must be 1-10 lowercase letters and digits');
      break;
  }
}
