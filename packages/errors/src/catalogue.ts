/**
 * The one catalogue of error codes. Each code belongs to exactly one kind; the kind decides the
 * transport status (mapped in one place, the daemon's error handler). Nothing here knows HTTP.
 */
export const ErrorKinds = [
  'InvalidParameter',
  'NotFound',
  'Conflict',
  'Forbidden',
  'Unavailable',
  'NotImplemented',
  'Internal',
] as const;
export type ErrorKind = (typeof ErrorKinds)[number];

export const ErrorCodes = {
  PB_ERR_INVALID: 'InvalidParameter',
  PB_ERR_INVALID_NAME: 'InvalidParameter',
  PB_ERR_INVALID_SUBNET: 'InvalidParameter',
  PB_ERR_INVALID_ADDRESS: 'InvalidParameter',
  PB_ERR_INVALID_OPTION: 'InvalidParameter',
  PB_ERR_INVALID_NETNS: 'InvalidParameter',
  PB_ERR_IP_OUT_OF_RANGE: 'InvalidParameter',
  PB_ERR_AMBIGUOUS: 'InvalidParameter',
  /** the running kernel lacks what the request needs (a link type such as ipvlan) */
  PB_ERR_KERNEL_FEATURE: 'InvalidParameter',
  PB_ERR_NETWORK_NOT_FOUND: 'NotFound',
  PB_ERR_SANDBOX_NOT_FOUND: 'NotFound',
  PB_ERR_ENDPOINT_NOT_FOUND: 'NotFound',
  PB_ERR_DRIVER_NOT_FOUND: 'NotFound',
  PB_ERR_POOL_NOT_FOUND: 'NotFound',
  PB_ERR_NOT_FOUND: 'NotFound',
  PB_ERR_NETWORK_EXISTS: 'Conflict',
  PB_ERR_SANDBOX_EXISTS: 'Conflict',
  PB_ERR_ENDPOINT_EXISTS: 'Conflict',
  PB_ERR_ALREADY_CONNECTED: 'Conflict',
  PB_ERR_IFNAME_IN_USE: 'Conflict',
  PB_ERR_PORT_IN_USE: 'Conflict',
  PB_ERR_BRIDGE_IN_USE: 'Conflict',
  /** macvlan/ipvlan: another network of the driver uses the parent interface (Docker's rule) */
  PB_ERR_PARENT_IN_USE: 'Conflict',
  PB_ERR_DRIVER_REGISTERED: 'Conflict',
  PB_ERR_PREDEFINED: 'Forbidden',
  PB_ERR_ACTIVE_ENDPOINTS: 'Forbidden',
  PB_ERR_ADDRESS_IN_USE: 'Forbidden',
  PB_ERR_POOL_OVERLAP: 'Forbidden',
  PB_ERR_ENDPOINT_JOINED: 'Forbidden',
  PB_ERR_FORBIDDEN: 'Forbidden',
  PB_ERR_POOL_EXHAUSTED: 'Unavailable',
  PB_ERR_NO_POOL: 'Unavailable',
  PB_ERR_IPAM_CONFLICT: 'Unavailable',
  /** global-scope work (overlay networks) while the cluster store (etcd) cannot be reached */
  PB_ERR_CLUSTER_UNAVAILABLE: 'Unavailable',
  /** global-scope work on a daemon started without --cluster-store */
  PB_ERR_NO_CLUSTER: 'InvalidParameter',
  PB_ERR_NOT_IMPLEMENTED: 'NotImplemented',
  // the CNI front door's own refusals (each has a CNI error code: daemon/src/cni/errors.ts)
  PB_ERR_CNI_VERSION: 'InvalidParameter',
  PB_ERR_CNI_UNSUPPORTED_FIELD: 'InvalidParameter',
  PB_ERR_CNI_UNKNOWN_CONTAINER: 'NotFound',
  PB_ERR_CNI_INVALID_ENV: 'InvalidParameter',
  PB_ERR_CNI_DECODE: 'InvalidParameter',
  PB_ERR_CNI_INVALID_CONFIG: 'InvalidParameter',
  PB_ERR_CNI_CHECK_FAILED: 'Conflict',
  PB_ERR_CNI_NOT_READY: 'Unavailable',
  PB_ERR_CNI_TRY_AGAIN: 'Unavailable',
  PB_ERR_KERNEL: 'Internal',
  PB_ERR_INTERNAL: 'Internal',
} as const satisfies Record<string, ErrorKind>;
export type ErrorCode = keyof typeof ErrorCodes;
