import type { DriverContext, DriverRegistry } from '@patchbay/drivers';
import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import type { ChangeFeed } from '../changes.js';
import type { DnsService } from '../dns/index.js';
import type { Store } from '../store/index.js';
import type { FirewallSync } from './firewall-sync.js';
import type { ClusterPort } from './global-networks.js';
import type { IpamService } from './ipam-service.js';
import type { Locks } from './locks.js';
import type { NetworkCache } from './network-cache.js';
import type { LinkReaper } from './reaper.js';
import type { LinkQuieter } from './link-quieter.js';
import type { LinkParking } from './parked-links.js';

export { DEFAULT_NETWORK } from './driver-objects.js';

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
  firewallSync: FirewallSync;
  /** every network's row and pools, re-read only for networks that are new or changed state */
  networkCache: NetworkCache;
  driverCtx: DriverContext;
  reaper: LinkReaper;
  quieter: LinkQuieter;
  /** left pairs kept for a join of the same sandbox and network (unset: every leave retires) */
  parking?: LinkParking;
  dns: DnsService;
  /** set when the daemon is part of a cluster (--cluster-store): global-scope networks */
  cluster?: ClusterPort;
}

export const PREDEFINED = ['bridge', 'host', 'none'] as const;

/** SQLite unique-constraint violations, for turning races into clean Conflict errors. */
export const isUniqueViolation = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
