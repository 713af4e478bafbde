import type { DriverContext, DriverNetwork, DriverRegistry } from '@patchbay/drivers';
import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import type { ChangeFeed } from '../changes.js';
import type { NetworkRecord, Store } from '../store/index.js';
import type { IpamService } from './ipam-service.js';
import type { Locks } from './locks.js';
import type { LinkReaper } from './reaper.js';

/** Keeps the firewall in step with the store; `sync()` resolves when the rules are applied. */
export interface FirewallSync {
  sync(): Promise<void>;
  /** Forget what was applied (rules and per-device sysctls): the next sync applies everything. */
  forgetApplied(): void;
}

/** What every controller module shares. */
export interface Core {
  store: Store;
  kernel: Kernel;
  registry: DriverRegistry;
  ipam: IpamService;
  locks: Locks;
  log: Logger;
  config: DaemonConfig;
  changes: ChangeFeed;
  firewall: FirewallSync;
  driverCtx: DriverContext;
  reaper: LinkReaper;
}

export const DEFAULT_NETWORK = 'bridge';
export const PREDEFINED = ['bridge', 'host', 'none'] as const;

/** The driver's view of a stored network. */
export function driverNetwork(core: Core, net: NetworkRecord): DriverNetwork {
  const pools = core.store.poolsOf(net.id);
  const v4 = pools.find((p) => p.family === 4);
  const v6 = pools.find((p) => p.family === 6);
  return {
    id: net.id,
    name: net.name,
    options: net.options,
    internal: net.internal,
    isDefault: net.name === DEFAULT_NETWORK && net.predefined,
    ...(v4 ? { ipv4: { subnet: v4.subnet, ...(v4.gateway ? { gateway: v4.gateway } : {}) } } : {}),
    ...(v6 ? { ipv6: { subnet: v6.subnet, ...(v6.gateway ? { gateway: v6.gateway } : {}) } } : {}),
    state: net.driverState,
  };
}

/** SQLite unique-constraint violations, for turning races into clean Conflict errors. */
export const isUniqueViolation = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
