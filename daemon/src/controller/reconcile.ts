import { PATCHBAY_LINK_PREFIXES, hostVethFor } from '@patchbay/drivers';
import type { Drift, ReconcileResult } from '@patchbay/api';
import { runSteps, type AddrInfo, type IpOp, type LinkInfo } from '@patchbay/kernel';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../store/index.js';
import { driverNetwork, type Core } from './core.js';
import { electSandboxGateway } from './gateway.js';
import { sandboxIfName } from './ids.js';
import { sandboxNetnsName } from './sandboxes.js';
import { dropVanishedSandbox, namespacePresent } from './vanished.js';

export type { Drift, ReconcileResult } from '@patchbay/api';

/** The firewall seen by reconcile: compare with the store, re-apply on drift. */
export interface FirewallCheck {
  check(): Promise<{ ok: boolean; reason?: string }>;
  repair(): Promise<void>;
}

interface Planned {
  drift: Drift;
  repair(): Promise<void>;
}

const gatewayCidrs = (core: Core, net: NetworkRecord) =>
  core.store.poolsOf(net.id).flatMap((p) => (p.gateway ? [`${p.gateway}/${p.subnet.split('/')[1]}`] : []));

/**
 * Compare store and kernel and (unless dryRun) repair every drift: lost bridges, gateway
 * addresses, veths and sandbox interfaces are re-made; sandboxes whose namespace vanished are
 * re-created (own) or dropped with their endpoints (adopted); kernel objects with patchbay's
 * names that no record owns are deleted; a missing or changed firewall is re-applied.
 */
export async function reconcile(
  core: Core,
  opts: {
    dryRun: boolean;
    firewall?: FirewallCheck;
    /**
     * 'host' checks only what the daemon's namespace shows (bridges, addresses, host veths,
     * orphans): a live host veth proves its peer lives too. 'full' (default) also looks inside
     * every sandbox (interface, addresses, default route): a few processes per sandbox.
     */
    depth?: 'host' | 'full';
  },
): Promise<ReconcileResult> {
  const deep = opts.depth !== 'host';
  const { store, kernel, registry, log } = core;
  // compare the settled state: links retired by a recent leave are deleted first
  await core.reaper.settled();
  // Kernel first, then the store: an object made in between already has its row (intent first).
  const rootLinks = await kernel.links(null);
  const rootAddrs = await kernel.addresses(null);
  const netnsNames = await kernel.netnsList();
  const networks = store.networks();
  const sandboxes = store.sandboxes();
  const endpoints = store.endpoints();
  const planned: Planned[] = [];
  const linkByName = new Map(rootLinks.map((l) => [l.name, l]));
  const ipRoot = (ops: IpOp[], ignoreMissing = false) => kernel.ip(null, ops, { ignoreMissing });

  const gatewayOf = (sb: SandboxRecord) => electSandboxGateway(store, registry, store.endpointsInSandbox(sb.id));

  /** Delete what is left of the endpoint's links and run the driver's join again, same ifIndex and addresses. */
  async function rejoin(ep: EndpointRecord, net: NetworkRecord, sb: SandboxRecord) {
    const driver = registry.get(net.driver);
    const ifIndex = ep.ifIndex ?? 0;
    await ipRoot([{ op: 'link.del', name: ep.hostIf ?? hostVethFor(ep.id) }], true);
    const ifName = sandboxIfName(net, ep);
    await kernel.ip(sb.key, [{ op: 'link.del', name: ifName }], { ignoreMissing: true });
    const plan = driver.planJoin?.(
      driverNetwork(core, net),
      { id: ep.id, ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}), ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}), ...(ep.mac ? { mac: ep.mac } : {}) },
      { id: sb.id, key: sb.key },
      { ifIndex, ifName, isGateway: gatewayOf(sb)?.id === ep.id },
      core.driverCtx,
    );
    await runSteps(plan?.steps ?? [], log.child({ op: 'reconcile.rejoin', endpoint: ep.name }));
  }

  const gone = new Set<string>(); // sandboxes whose endpoints are handled with the sandbox
  for (const sb of sandboxes) {
    if (sb.state !== 'ready') continue;
    const present = await namespacePresent(core, sb, netnsNames, sandboxNetnsName(sb.id));
    if (present) continue;
    gone.add(sb.id);
    const joined = endpoints.filter((e) => e.sandboxId === sb.id);
    if (sb.external) {
      planned.push({
        drift: { kind: 'sandbox-netns-gone', object: `sandbox ${sb.name}`, action: `remove the sandbox and its ${joined.length} endpoint(s)` },
        repair: () => dropVanishedSandbox(core, sb),
      });
    } else {
      planned.push({
        drift: { kind: 'sandbox-netns-missing', object: `sandbox ${sb.name}`, action: `re-create namespace ${sandboxNetnsName(sb.id)} and re-join ${joined.length} endpoint(s)` },
        repair: async () => {
          await kernel.netnsAdd(sandboxNetnsName(sb.id));
          for (const ep of store.endpointsInSandbox(sb.id)) await rejoin(ep, store.networkById(ep.networkId)!, sb);
        },
      });
    }
  }

  const bridgeOf = new Map<string, string>();
  for (const net of networks) {
    const bridge = registry.get(net.driver).hostInterface?.(driverNetwork(core, net));
    if (bridge) bridgeOf.set(net.id, bridge);
  }

  for (const net of networks) {
    const driver = registry.get(net.driver);
    const bridge = bridgeOf.get(net.id);
    if (net.state !== 'ready' || !bridge || !driver.planCreateNetwork) continue;
    const link = linkByName.get(bridge);
    if (!link) {
      planned.push({
        drift: { kind: 'bridge-missing', object: `network ${net.name}`, action: `re-create bridge ${bridge}` },
        repair: async () => {
          const plan = await driver.planCreateNetwork!(driverNetwork(core, net), core.driverCtx);
          await runSteps(plan.steps, log.child({ op: 'reconcile.bridge', network: net.name }));
          // the new device has none of the old one's sysctls (route_localnet for published ports)
          core.firewall.forgetApplied();
          await core.firewall.sync();
        },
      });
      continue;
    }
    for (const cidr of gatewayCidrs(core, net)) {
      if (rootAddrs.some((a) => a.dev === bridge && a.cidr === cidr)) continue;
      planned.push({
        drift: { kind: 'gateway-address-missing', object: `network ${net.name}`, action: `add ${cidr} to ${bridge}` },
        repair: () => ipRoot([{ op: 'addr.add', dev: bridge, cidr }]),
      });
    }
    if (!link.up) {
      planned.push({
        drift: { kind: 'bridge-down', object: `network ${net.name}`, action: `set ${bridge} up` },
        repair: () => ipRoot([{ op: 'link.set', name: bridge, up: true }]),
      });
    }
  }

  const sbLinks = new Map<string, LinkInfo[]>();
  const sbAddrs = new Map<string, AddrInfo[]>();
  const sandboxById = new Map(sandboxes.map((sb) => [sb.id, sb]));
  for (const ep of endpoints) {
    if (ep.state !== 'ready' || !ep.sandboxId || gone.has(ep.sandboxId)) continue;
    const net = store.networkById(ep.networkId);
    const sb = sandboxById.get(ep.sandboxId);
    if (!net || !sb || sb.state !== 'ready' || !registry.get(net.driver).planJoin) continue;
    const hostIf = ep.hostIf ?? hostVethFor(ep.id);
    const ifName = sandboxIfName(net, ep);
    if (deep && !sbLinks.has(sb.id)) sbLinks.set(sb.id, await kernel.links(sb.key));
    const hostLink = linkByName.get(hostIf);
    const inside = deep ? sbLinks.get(sb.id)!.find((l) => l.name === ifName) : hostLink;
    const object = `endpoint ${ep.name} (network ${net.name}, sandbox ${sb.name})`;
    if (!hostLink || !inside) {
      const lost = [!hostLink ? `host veth ${hostIf}` : '', !inside ? `${ifName} in the sandbox` : ''].filter(Boolean).join(' and ');
      planned.push({
        drift: { kind: 'endpoint-link-missing', object, action: `re-join (lost ${lost})` },
        repair: () => rejoin(ep, net, sb),
      });
      continue;
    }
    const bridge = bridgeOf.get(net.id);
    if (bridge && hostLink.master !== bridge) {
      planned.push({
        drift: { kind: 'veth-detached', object, action: `attach ${hostIf} to ${bridge}` },
        repair: () => ipRoot([{ op: 'link.set', name: hostIf, master: bridge, up: true }, { op: 'link.set', name: hostIf, hairpin: true }]),
      });
    }
    if (!deep) continue;
    if (!sbAddrs.has(sb.id)) sbAddrs.set(sb.id, await kernel.addresses(sb.key));
    const addrs = sbAddrs.get(sb.id)!;
    for (const cidr of [ep.ipv4, ep.ipv6]) {
      if (!cidr || addrs.some((a) => a.dev === ifName && a.cidr === cidr)) continue;
      planned.push({
        drift: { kind: 'endpoint-address-missing', object, action: `add ${cidr} to ${ifName}` },
        repair: () => kernel.ip(sb.key, [{ op: 'addr.add', dev: ifName, cidr }]),
      });
    }
    if (gatewayOf(sb)?.id === ep.id) {
      const routes = await kernel.routes(sb.key);
      const ops = registry.get(net.driver).gatewayOps?.(driverNetwork(core, net), ifName) ?? [];
      const missing = ops.filter((op) => op.op === 'route.add' && !routes.some((r) => (r.dst === op.dst || (r.dst === 'default' && op.dst === '::/0' && r.family === 6)) && r.gateway === op.via));
      if (missing.length > 0) {
        planned.push({
          drift: { kind: 'default-route-missing', object, action: `add ${missing.map((op) => (op.op === 'route.add' ? `${op.dst} via ${op.via}` : '')).join(', ')}` },
          repair: () => kernel.ip(sb.key, missing),
        });
      }
    }
  }

  const ownedLinks = new Set([...bridgeOf.values(), ...endpoints.map((e) => e.hostIf ?? hostVethFor(e.id))]);
  // retired links are the reaper's (see reaper.ts), not orphans
  const orphans = rootLinks.filter(
    (l) => PATCHBAY_LINK_PREFIXES.some((p) => l.name.startsWith(p)) && !ownedLinks.has(l.name) && l.group !== core.driverCtx.retiredLinkGroup,
  );
  // one process deletes them all (after a crash there may be hundreds)
  let orphansGone: Promise<void> | undefined;
  const deleteOrphans = () => (orphansGone ??= ipRoot(orphans.map((l): IpOp => ({ op: 'link.del', name: l.name })), true));
  for (const link of orphans) {
    planned.push({ drift: { kind: 'orphan-link', object: `link ${link.name}`, action: 'delete' }, repair: deleteOrphans });
  }
  const ownedNetns = new Set(sandboxes.map((s) => sandboxNetnsName(s.id)));
  for (const name of netnsNames) {
    if (!name.startsWith('pb-') || ownedNetns.has(name)) continue;
    planned.push({
      drift: { kind: 'orphan-netns', object: `namespace ${name}`, action: 'delete' },
      repair: () => kernel.netnsDelete(name),
    });
  }

  // Addresses whose endpoint no longer exists (a store edited by hand, an older bug): give them back.
  const endpointIds = new Set(endpoints.map((e) => e.id));
  const poolById = new Map(store.pools().map((p) => [p.id, p]));
  for (const a of store.allocations()) {
    if (a.kind !== 'endpoint' || (a.ownerId !== undefined && endpointIds.has(a.ownerId))) continue;
    const pool = poolById.get(a.poolId);
    const net = pool ? store.networkById(pool.networkId) : undefined;
    planned.push({
      drift: { kind: 'orphan-allocation', object: `address ${a.address}${net ? ` in network ${net.name}` : ''}`, action: `free it (owner ${a.owner} is gone)` },
      repair: async () => {
        store.deleteAllocation(a.poolId, a.address);
        if (pool && net) core.ipam.allocatorOf(pool, net.name).release(a.address);
      },
    });
  }

  const drifts = planned.map((p) => p.drift);
  let failed = false;
  if (!opts.dryRun) {
    for (const p of planned) {
      try {
        await p.repair();
        log.warn({ drift: p.drift }, 'reconcile: repaired');
      } catch (err) {
        failed = true;
        p.drift.error = err instanceof Error ? err.message : String(err);
        log.error({ drift: p.drift, err }, 'reconcile: repair failed');
      }
    }
  }

  // Last: the repairs above may have changed the model (a dropped sandbox's ports).
  if (opts.firewall) {
    const fw = await opts.firewall.check();
    if (!fw.ok) {
      const drift: Drift = { kind: 'firewall', object: 'patchbay nft tables', action: `re-apply the rules (${fw.reason ?? 'differ'})` };
      drifts.push(drift);
      if (!opts.dryRun) {
        try {
          await opts.firewall.repair();
          log.warn({ drift }, 'reconcile: repaired');
        } catch (err) {
          failed = true;
          drift.error = err instanceof Error ? err.message : String(err);
          log.error({ drift, err }, 'reconcile: repair failed');
        }
      }
    }
  }

  return { drifts, repaired: !opts.dryRun && drifts.length > 0 && !failed };
}
