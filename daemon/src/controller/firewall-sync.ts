import type { Logger } from 'pino';
import { BRIDGE_OPTIONS, bridgeStateOf } from '@patchbay/drivers';
import type { Kernel } from '@patchbay/kernel';
import type { DaemonConfig } from '../config.js';
import { requiredSysctls, type Firewall, type FirewallModel, type FirewallNetwork } from '../firewall/index.js';
import type { Store } from '../store/index.js';
import type { FirewallSync } from './core.js';

type NetworksPart = { networks: FirewallNetwork[]; bridgeOf: Map<string, string> };

/** The bridge networks of the store as the firewall sees them. */
function firewallNetworks(store: Store): NetworksPart {
  const records = store.networks().filter((n) => n.driver === 'bridge' && n.state !== 'creating');
  const bridgeOf = new Map(
    records.map((n) => [n.id, bridgeStateOf({ id: n.id, name: '', options: n.options, internal: false, isDefault: false, state: n.driverState }).bridge]),
  );
  const networks = records.map((n) => ({
    id: n.id,
    name: n.name,
    bridge: bridgeOf.get(n.id)!,
    subnets: store.poolsOf(n.id).map((p) => p.subnet),
    internal: n.internal,
    icc: n.options[BRIDGE_OPTIONS.icc] !== 'false',
    masquerade: n.options[BRIDGE_OPTIONS.masquerade] !== 'false',
    ...(n.options[BRIDGE_OPTIONS.hostBinding] && n.options[BRIDGE_OPTIONS.hostBinding] !== '0.0.0.0' ? { hostBindingIpv4: n.options[BRIDGE_OPTIONS.hostBinding] } : {}),
  }));
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

/** The firewall model as the store says it should be: bridge networks and joined endpoints' ports. */
export const firewallModel = (store: Store): FirewallModel => withPorts(store, firewallNetworks(store));

/**
 * The same, with the networks part kept while the store's networks are unchanged: an endpoint
 * change then costs no work per network (and the renderer hashes the same array only once).
 */
export function createModelCache(store: Store) {
  let cached: { signature: string; part: NetworksPart } | undefined;
  return () => {
    const signature = store.networksSignature();
    if (cached?.signature !== signature) cached = { signature, part: firewallNetworks(store) };
    return withPorts(store, cached.part);
  };
}

/**
 * Applies the store's rules after each change. Calls that arrive while an apply runs share the
 * next apply, so a burst of N changes costs about two nft runs, not N.
 */
export function createFirewallSync(store: Store, firewall: Firewall, kernel: Kernel, config: DaemonConfig, log: Logger) {
  let applied: FirewallModel | undefined;
  const currentModel = createModelCache(store);
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

  /** No bridge network, no table: patchbay leaves nothing in nftables it does not need. */
  const empty = (m: FirewallModel) => m.networks.length === 0;

  async function applyModel(next: FirewallModel, prev: FirewallModel | undefined) {
    if (config.iptables) await applySysctls(next);
    if (empty(next)) await firewall.remove();
    else if (prev === undefined || empty(prev)) await firewall.apply(next);
    else await firewall.update(prev, next);
    applied = next;
  }

  const once = () => applyModel(currentModel(), applied);

  const sync: FirewallSync['sync'] = () => {
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
    return (await firewall.show()) === undefined ? { ok: true } : { ok: false, reason: 'a patchbay table exists but no bridge network does' };
  }

  return {
    sync,
    repairIfNeeded,
    /** Full apply (start-up). */
    applyAll: () => applyModel(currentModel(), undefined),
    /** Whether the applied tables are what the store gives (reconcile's firewall check). */
    check: () => firewallCheck(currentModel()),
    forgetApplied() {
      applied = undefined;
      sysctlsSet.clear();
    },
  };
}
export type FirewallSyncService = ReturnType<typeof createFirewallSync>;
