import type { DriverRegistry } from '@patchbay/drivers';
import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';
import { requiredSysctls, type Firewall, type FirewallModel, type FirewallNetwork } from '../firewall/index.js';
import type { Store } from '../store/index.js';
import { driverNetwork } from './driver-objects.js';

/** The networks part, and the host interface of each network whose ports can be published. */
type NetworksPart = { networks: FirewallNetwork[]; bridgeOf: Map<string, string> };

/** The networks of the store whose drivers give firewall facts, as the firewall sees them. */
function firewallNetworks(store: Store, registry: DriverRegistry): NetworksPart {
  const networks: FirewallNetwork[] = [];
  const bridgeOf = new Map<string, string>();
  for (const n of store.networks()) {
    const facts = n.state === 'creating' ? undefined : registry.get(n.driver).firewallFacts?.(driverNetwork(store, n));
    if (!facts) continue;
    networks.push({
      id: n.id,
      name: n.name,
      bridge: facts.hostInterface,
      subnets: store.poolsOf(n.id).map((p) => p.subnet),
      internal: n.internal,
      icc: facts.icc,
      masquerade: facts.masquerade,
      ...(facts.hostBindingIpv4 ? { hostBindingIpv4: facts.hostBindingIpv4 } : {}),
    });
    if (facts.publishesPorts) bridgeOf.set(n.id, facts.hostInterface);
  }
  return { networks, bridgeOf };
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
 * change then costs no work per network (and the renderer hashes the same array only once).
 */
export function createModelCache(store: Store, registry: DriverRegistry) {
  let cached: { signature: string; part: NetworksPart } | undefined;
  return () => {
    const signature = store.networksSignature();
    if (cached?.signature !== signature) cached = { signature, part: firewallNetworks(store, registry) };
    return withPorts(store, cached.part);
  };
}

/**
 * Keeps the firewall in step with the store: applies the store's rules after each change. Calls
 * that arrive while an apply runs share the next apply, so a burst of N changes costs about two
 * nft runs, not N.
 */
export function createFirewallSync(store: Store, registry: DriverRegistry, firewall: Firewall, kernel: Kernel, config: DaemonConfig, log: Logger) {
  let applied: FirewallModel | undefined;
  const currentModel = createModelCache(store, registry);
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
      sysctlsSet.clear();
    },
  };
}
export type FirewallSync = ReturnType<typeof createFirewallSync>;
