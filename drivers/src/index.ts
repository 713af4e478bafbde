export * from './contract.js';
export * from './registry.js';
export * from './special.js';
export { NETWORK_OPTIONS } from './options.js';
export { createBridgeDriver } from './bridge/index.js';
export { createIpvlanDriver } from './ipvlan/index.js';
export { createMacvlanDriver } from './macvlan/index.js';
import { createBridgeDriver } from './bridge/index.js';
import { createIpvlanDriver } from './ipvlan/index.js';
import { createMacvlanDriver } from './macvlan/index.js';
import { createHostDriver, createNullDriver } from './special.js';
import { createRegistry } from './registry.js';

/** The built-in drivers, in a static list. */
export const createBuiltinRegistry = () => createRegistry([createBridgeDriver(), createNullDriver(), createHostDriver(), createMacvlanDriver(), createIpvlanDriver()]);
