/**
 * Network options every driver may be given (libnetwork's generic labels), as opposed to a
 * driver's own options.
 */
export const NETWORK_OPTIONS = {
  /** the name prefix of the interfaces a join creates in a sandbox: <prefix><N>, default eth<N> */
  ifacePrefix: 'com.docker.network.container_iface_prefix',
  mtu: 'com.docker.network.driver.mtu',
} as const;
