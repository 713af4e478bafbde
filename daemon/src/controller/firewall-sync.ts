import type { DriverRegistry } from '@patchbay/drivers';
import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { requiredSysctls, type Firewall, type FirewallModel, type FirewallNetwork } from '../firewall/index.js';
import type { NetworkRecord, PoolRecord, Store } from '../store/index.js';
import { driverNetwork } from './driver-objects.js';
import { createNetworkCache, type CachedNetwork, type NetworkCache } from './network-cache.js';

/** The networks part, and the host interface of each network whose ports can be published. */
type NetworksPart = { networks: FirewallNetwork[]; bridgeOf: Map<string, string> };

/** One network as the firewall sees it (none when its driver gives no firewall facts), and its host interface when its ports can be published. */
type NetworkEntry = { network: FirewallNetwork; publishesOn?: string } | undefined;

function networkEntry(store: Store, registry: DriverRegistry, n: NetworkRecord, pools: readonly PoolRecord[]): NetworkEntry {
  const facts = n.state === 'creating' ? undefined : registry.get(n.driver).firewallFacts?.(driverNetwork(store, n, pools));
  if (!facts) return undefined;
  const network: FirewallNetwork = {
    id: n.id,
    name: n.name,
    bridge: facts.hostInterface,
    subnets: pools.map((p) => p.subnet),
    internal: n.internal,
    icc: facts.icc,
    masquerade: facts.masquerade,
    ...(facts.hostBindingIpv4 ? { hostBindingIpv4: facts.hostBindingIpv4 } : {}),
  };
  return { network, ...(facts.publishesPorts ? { publishesOn: facts.hostInterface } : {}) };
}

function partOf(entries: Iterable<[string, NetworkEntry]>): NetworksPart {
  const networks: FirewallNetwork[] = [];
  const bridgeOf = new Map<string, string>();
  for (const [id, entry] of entries) {
    if (!entry) continue;
    networks.push(entry.network);
    if (entry.publishesOn) bridgeOf.set(id, entry.publishesOn);
  }
  return { networks, bridgeOf };
}

/** The networks of the store whose drivers give firewall facts, as the firewall sees them. */
function firewallNetworks(store: Store, registry: DriverRegistry): NetworksPart {
  const poolsOf = store.poolsByNetwork(); // one query, not one per network
  return partOf(store.networks().map((n) => [n.id, networkEntry(store, registry, n, poolsOf.get(n.id) ?? [])]));
}

function withPorts(store: Store, { networks, bridgeOf }: NetworksPart): FirewallModel {
  return {
    networks,
    ports: store.publishedPorts().flatMap((p) => {
      const bridge = bridgeOf.get(p.networkId);
      const ip = p.hostIp.includes(':') ? p.ipv6 : p.ipv4;
      if (!bridge || !ip) return [];
      return [{ endpointId: p.endpointId, bridge, containerIp: ip.split('/')[0]!, containerPort: p.containerPort, ...(p.hostIp ? { hostIp: p.hostIp } : {}), hostPort: p.hostPort, protocol: p.protocol }];
    }),
  };
}

/** The firewall model as the store says it should be: networks with firewall facts and joined endpoints' ports. */
export const firewallModel = (store: Store, registry: DriverRegistry): FirewallModel => withPorts(store, firewallNetworks(store, registry));

/**
 * The same, with the networks part kept while the store's networks are unchanged: an endpoint
 * change then costs no work per network (and the renderer hashes the same array only once). When
 * they change, only the networks whose row is new or changed state are read again (the network
 * cache), and each network's entry is made once per row: a network create costs no store read and
 * no firewall facts per network. `forget` drops everything kept.
 */
export function createModelCache(store: Store, registry: DriverRegistry, networks: NetworkCache = createNetworkCache(store)) {
  let cached: { list: readonly CachedNetwork[]; part: NetworksPart } | undefined;
  let entries = new WeakMap<NetworkRecord, NetworkEntry>();
  const entryOf = ({ record, pools }: CachedNetwork): NetworkEntry => {
    if (record.state === 'creating') return undefined;
    if (!entries.has(record)) entries.set(record, networkEntry(store, registry, record, pools));
    return entries.get(record);
  };
  const model = () => {
    const list = networks.all();
    if (cached?.list !== list) cached = { list, part: partOf(list.map((n) => [n.record.id, entryOf(n)])) };
    return withPorts(store, cached.part);
  };
  const forget = () => {
    cached = undefined;
    entries = new WeakMap();
    networks.forget();
  };
  return Object.assign(model, { forget });
}

/**
 * Keeps the firewall in step with the store: applies the store's rules after each change. Calls
 * that arrive while an apply runs share the next apply, so a burst of N changes costs about two
 * nft runs, not N.
 */
export function createFirewallSync(store: Store, registry: DriverRegistry, firewall: Firewall, kernel: Kernel, config: DaemonConfig, log: Logger, networks?: NetworkCache) {
  let applied: FirewallModel | undefined;
  const currentModel = createModelCache(store, registry, networks);
  const sysctlsSet = new Map<string, string>();
  let running: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;

  async function applySysctls(model: FirewallModel) {
    const wanted = requiredSysctls(model);
    // A bridge that went away takes its per-device sysctls with it; forget them so a new one gets set.
    for (const key of [...sysctlsSet.keys()]) if (!(key in wanted)) sysctlsSet.delete(key);
    for (const [key, value] of Object.entries(wanted)) {
      if (key.endsWith('forwarding') || key === 'net.ipv4.ip_forward') {
        if (!config.ipForward) continue;
      }
      if (sysctlsSet.get(key) === value) continue;
      await kernel.sysctlSet(key, value);
      sysctlsSet.set(key, value);
    }
  }

  /** No network with firewall facts, no table: patchbay leaves nothing in nftables it does not need. */
  const empty = (m: FirewallModel) => m.networks.length === 0;

  async function applyModel(next: FirewallModel, prev: FirewallModel | undefined) {
    if (config.iptables) await applySysctls(next);
    if (empty(next)) await firewall.remove();
    else if (prev === undefined || empty(prev)) await firewall.apply(next);
    else await firewall.update(prev, next);
    applied = next;
  }

  const once = () => applyModel(currentModel(), applied);

  /** Resolves when the rules of the store as it is now are applied. */
  const sync = (): Promise<void> => {
    if (queued) return queued;
    const mine = running.catch(() => {}).then(() => {
      queued = undefined;
      return once();
    });
    queued = mine;
    running = mine;
    return mine;
  };

  /** Re-apply everything when the tables are missing or differ (a flush by another tool). */
  async function repairIfNeeded(reason: string): Promise<boolean> {
    const model = currentModel();
    const check = await firewallCheck(model);
    if (check.ok) return false;
    log.warn({ reason, drift: check.reason }, 'firewall rules missing or changed; re-applying');
    // a re-made bridge lost its per-device sysctls too
    sysctlsSet.clear();
    await applyModel(model, undefined);
    return true;
  }

  async function firewallCheck(model: FirewallModel): Promise<{ ok: boolean; reason?: string }> {
    if (!empty(model)) return firewall.check(model);
    return (await firewall.show()) === undefined ? { ok: true } : { ok: false, reason: 'a patchbay table exists but no network needs one' };
  }

  return {
    sync,
    repairIfNeeded,
    /** Full apply (start-up). */
    applyAll: () => applyModel(currentModel(), undefined),
    /** Whether the applied tables are what the store gives (reconcile's firewall check). */
    check: () => firewallCheck(currentModel()),
    /** Forget what was applied (rules and per-device sysctls): the next sync applies everything. */
    forgetApplied() {
      applied = undefined;
      currentModel.forget();
      sysctlsSet.clear();
    },
  };
}
export type FirewallSync = ReturnType<typeof createFirewallSync>;
