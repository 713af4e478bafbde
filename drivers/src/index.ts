export * from './contract.js';
export * from './registry.js';
export * from './special.js';
export { NETWORK_OPTIONS } from './options.js';
export { createBridgeDriver } from './bridge/index.js';
export { createIpvlanDriver } from './ipvlan/index.js';
export { createMacvlanDriver } from './macvlan/index.js';
export { createOverlayDriver, overlayBridgeFor, overlayVxlanFor, VXLAN_ID_OPTION, VXLAN_OVERHEAD, VXLAN_PORT } from './overlay/index.js';
import { createBridgeDriver } from './bridge/index.js';
import { createIpvlanDriver } from './ipvlan/index.js';
import { createMacvlanDriver } from './macvlan/index.js';
import { createOverlayDriver } from './overlay/index.js';
import { createHostDriver, createNullDriver } from './special.js';
import { createRegistry } from './registry.js';

const localDrivers = () => [createBridgeDriver(), createNullDriver(), createHostDriver(), createMacvlanDriver(), createIpvlanDriver()];

/** The built-in drivers, in a static list. */
export const createBuiltinRegistry = () => createRegistry(localDrivers());

/** A daemon in a cluster (--cluster-store) also has the global-scope overlay driver. */
export const createClusterRegistry = () => createRegistry([...localDrivers(), createOverlayDriver()]);
