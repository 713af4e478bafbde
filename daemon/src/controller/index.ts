import { PARKED_LINK_GROUP, RETIRED_LINK_GROUP, type ClusterFacts, type DriverRegistry } from '@patchbay/drivers';
import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { createChangeFeed } from '../changes.js';
import { createDnsService, type DnsServiceOptions } from '../dns/index.js';
import { createFirewall } from '../firewall/index.js';
import { createSqliteIpamStore, type IpamStore, type Store } from '../store/index.js';
import type { ClusterPort } from './global-networks.js';
import { bootstrapNetworks } from './bootstrap.js';
import type { Core } from './core.js';
import { createEndpoints } from './endpoints.js';
import { createFirewallSync, firewallModel } from './firewall-sync.js';
import { createNetworkCache } from './network-cache.js';
import { createIpamService } from './ipam-service.js';
import { createLocks } from './locks.js';
import { findEndpoint, findNetwork, findSandbox } from './lookup.js';
import { createNetworks } from './networks.js';
import { createSandboxes } from './sandboxes.js';
import { recoverInterrupted } from './recovery.js';
import { reapVanishedSandboxes } from './vanished.js';
import { reconcile, type ReconcileResult } from './reconcile/index.js';
import { createLinkReaper } from './reaper.js';
import { collectAfterLargeWork } from './garbage.js';
import { createLinkQuieter } from './link-quieter.js';
import { createLinkParking, type ParkingOptions } from './parked-links.js';
import { trackKernelPauses, type PausePolicy } from './kernel-pause.js';
import { followChanges, restoreDns } from './dns.js';
import { phaseTimer } from './phases.js';

/** Hook points for observers (metrics): called after the fact, never able to change the outcome. */
export interface ControllerHooks {
  /** a reconcile finished; dry runs (checks) included */
  reconciled?(result: ReconcileResult, dryRun: boolean): void;
  /** the firewall tables were missing or changed and were re-applied */
  firewallRepaired?(trigger: 'periodic' | 'reconcile'): void;
}

export interface ControllerDeps {
  store: Store;
  kernel: Kernel;
  registry: DriverRegistry;
  config: DaemonConfig;
  log: Logger;
  hooks?: ControllerHooks;
  /** overrides of the DNS service's options (tests: a free port, a fake upstream's port) */
  dnsOptions?: Partial<DnsServiceOptions>;
  /** how long background kernel work waits for a pause (default BACKGROUND_PAUSE; tests on the fake kernel: none) */
  backgroundPause?: { quietMs: number; maxWaitMs: number };
  /**
   * Park a leaving endpoint's veth pair for a join of the same sandbox to the same network to take
   * back (see parked-links.ts); main.ts: on unless PATCHBAY_PARK_LINKS=0.
   */
  parkLinks?: boolean | Partial<Pick<ParkingOptions, 'parkMs' | 'maxParked'>>;
  /** the daemon is part of a cluster: global networks, the GlobalDefault IPAM store, this host's underlay */
  cluster?: { port: ClusterPort; ipamStore: IpamStore; facts: ClusterFacts };
}

/**
 * Background kernel work (deleting retired links, quieting host links) waits for 20 ms without
 * foreground kernel calls (a client's next request comes sooner), 1 s at most.
 */
const BACKGROUND_PAUSE = { quietMs: 20, maxWaitMs: 1000 };
/** a burst of leaves deletes its links in batches of this many owners at most */
const REAPER_MAX_BACKLOG = 32;
/** a burst of joins leaves at most this many host links with IPv6 on */
const QUIETER_MAX_BACKLOG = 8;
/**
 * A left pair waits this long for its sandbox to join its network again (a `docker network
 * disconnect` then `connect` from a shell comes well within it); at most this many wait.
 */
const PARKING = { parkMs: 1000, maxParked: 32 };

/** The network controller: networks, sandboxes and endpoints over the store, IPAM, drivers and firewall. */
export function createController(deps: ControllerDeps) {
  const { store, registry, config, log, hooks = {} } = deps;
  // the controller's own calls are foreground work; the reaper's and the quieter's are not
  const pauses = trackKernelPauses(deps.kernel);
  const kernel = pauses.kernel;
  const background: PausePolicy = { pauses, ...(deps.backgroundPause ?? BACKGROUND_PAUSE) };
  const firewall = createFirewall({ kernel, log: log.child({ component: 'firewall' }), enabled: config.iptables });
  const networkCache = createNetworkCache(store);
  const firewallSync = createFirewallSync(store, registry, firewall, kernel, config, log.child({ component: 'firewall' }), networkCache);
  const reaper = createLinkReaper(deps.kernel, RETIRED_LINK_GROUP, log.child({ component: 'reaper' }), { deferral: { ...background, maxBacklog: REAPER_MAX_BACKLOG } });
  // host links get IPv6 turned off between the reaper's deletions, never during one (rtnl)
  const quieter = createLinkQuieter(deps.kernel, () => reaper.deletion(), log.child({ component: 'link-quieter' }), { ...background, maxBacklog: QUIETER_MAX_BACKLOG });
  const parking = deps.parkLinks
    ? createLinkParking(deps.kernel, reaper, log.child({ component: 'parking' }), {
        group: PARKED_LINK_GROUP,
        retiredGroup: RETIRED_LINK_GROUP,
        ...PARKING,
        ...(typeof deps.parkLinks === 'object' ? deps.parkLinks : {}),
      })
    : undefined;
  const core: Core = {
    store,
    kernel,
    registry,
    config,
    log: log.child({ component: 'controller' }),
    ipam: createIpamService(store, kernel, config.defaultAddressPools, {
      log: log.child({ component: 'ipam' }),
      ...(deps.cluster ? { stores: [createSqliteIpamStore(store), deps.cluster.ipamStore] } : {}),
    }),
    locks: createLocks(),
    changes: createChangeFeed({ onSubscriberError: (err, change) => log.error({ err, change: change.type }, 'a change subscriber failed') }),
    firewallSync,
    networkCache,
    driverCtx: {
      kernel,
      defaults: { mtu: 1500 },
      retiredLinkGroup: RETIRED_LINK_GROUP,
      retiredSettled: () => reaper.settled(),
      quietHostLink: (name) => quieter.quiet(name),
      ...(parking ? { parkedLinks: parking } : {}),
      ...(deps.cluster ? { cluster: deps.cluster.facts } : {}),
    },
    reaper,
    quieter,
    ...(parking ? { parking } : {}),
    dns: createDnsService({ log: log.child({ component: 'dns' }), resolvConfPath: config.dnsResolvConf, enabled: config.dns, ...deps.dnsOptions }),
    ...(deps.cluster ? { cluster: deps.cluster.port } : {}),
  };
  followChanges(core);
  const networks = createNetworks(core);
  const endpoints = createEndpoints(core);
  const sandboxes = createSandboxes(core, endpoints.leaveAll);
  const repairFirewall = async (trigger: 'periodic' | 'reconcile') => {
    if (await firewallSync.repairIfNeeded(trigger === 'periodic' ? 'periodic check' : 'reconcile')) hooks.firewallRepaired?.(trigger);
  };
  const firewallCheck = { check: () => firewallSync.check(), repair: () => repairFirewall('reconcile') };
  const reconcileNow = async (opts: { dryRun: boolean; depth?: 'host' | 'full' }, collect = true) => {
    const result = await core.locks.with(['reconcile'], () => reconcile(core, { ...opts, firewall: firewallCheck }));
    if (collect) collectAfterLargeWork(store.counts().endpoints);
    hooks.reconciled?.(result, opts.dryRun);
    return result;
  };

  return {
    core,
    firewall,
    firewallSync,
    fwModel: () => firewallModel(store, registry),
    changes: core.changes,
    async start() {
      const phases = phaseTimer();
      const recovered = await phases.time('recover', () => recoverInterrupted(core));
      // links a previous run retired but did not get to delete (and any the recovery retired)
      await phases.time('reap', async () => {
        await parking?.discardLeftovers();
        await core.reaper.reapNow();
      });
      await phases.time('bootstrap', () => bootstrapNetworks(core, networks));
      await phases.time('firewall', () => firewallSync.applyAll());
      // Host-side only, so start-up costs no process per sandbox; `reconcile` looks inside too.
      // After a crash recovery, inside too: an undone join or leave may have taken a default route.
      // (its garbage is collected with the rest of start-up's once the daemon is ready: main.ts)
      await phases.time('reconcile', () => reconcileNow({ dryRun: false, depth: recovered.length > 0 ? 'full' : 'host' }, false));
      await phases.time('dns', () => restoreDns(core));
      core.log.info({ ms: phases.ms, cpuMs: phases.cpuMs, endpoints: store.counts().endpoints }, 'started: recovery, firewall and reconcile done');
    },
    /** Stop what runs beside the store: the DNS servers and the resolv.conf watch. */
    close: () => core.dns.close(),
    /**
     * The periodic sweep: adopted namespaces that vanished lose their sandbox and endpoints (no
     * leaked addresses), and firewall tables someone removed or changed are re-applied.
     */
    async periodicCheck() {
      await reapVanishedSandboxes(core);
      if (config.iptables) await repairFirewall('periodic');
    },
    /** Resolves when every retired link is deleted and every host link quieted (shutdown waits for it). */
    settled: async () => {
      await parking?.release();
      await quieter.settled();
      await core.reaper.settled();
    },
    /** Compare store and kernel; repair every drift unless dryRun. */
    reconcile: reconcileNow,
    /** A dry-run reconcile: do store and kernel agree? */
    async check() {
      const { drifts } = await reconcileNow({ dryRun: true });
      return { consistent: drifts.length === 0, drifts };
    },
    /** `patchbayd --cleanup`: remove every sandbox, network and firewall table patchbay made. */
    async cleanup() {
      await recoverInterrupted(core);
      await parking?.release();
      await core.reaper.reapNow();
      for (const sb of store.sandboxes()) await sandboxes.remove(sb.id);
      // every network but the singletons (none, host), the default network included
      for (const net of store.networks()) {
        // a global network's copy on this host goes; the cluster keeps it for the other hosts
        const driver = registry.get(net.driver);
        if (!driver.singleton) await networks.remove(net.id, { allowPredefined: true, mirrorOnly: driver.scope === 'global' });
      }
      await core.reaper.settled();
      await firewall.remove();
    },
    networks: {
      ...networks,
      list: () => store.networks().filter((n) => n.state === 'ready'),
      get: (ref: string) => findNetwork(store, ref),
    },
    sandboxes: {
      ...sandboxes,
      list: () => store.sandboxes(),
      get: (ref: string) => findSandbox(store, ref),
    },
    endpoints: {
      ...endpoints,
      list: (netRef?: string) => (netRef ? store.endpointsOf(findNetwork(store, netRef).id) : store.endpoints()),
      get: (netRef: string, epRef: string) => findEndpoint(store, findNetwork(store, netRef), epRef),
    },
  };
}
export type Controller = ReturnType<typeof createController>;
