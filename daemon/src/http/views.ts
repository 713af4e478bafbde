import type { Endpoint, IpamView, Network, Sandbox } from '@patchbay/api';
import { toCount } from '@patchbay/api';
import type { Controller } from '../controller/index.js';
import { driverNetwork } from '../controller/driver-objects.js';
import { sandboxDnsConfig } from '../controller/sandbox-dns.js';
import type { EndpointRecord, NetworkRecord, PortRecord, SandboxRecord } from '../store/index.js';

/** Store records → native API DTOs. */
export function createViews(controller: Controller) {
  const { core } = controller;
  const { store, registry, ipam: ipamService } = core;

  function network(n: NetworkRecord): Network {
    const pools = store.poolsOf(n.id);
    const driver = registry.get(n.driver);
    const bridge = driver.viewFacts?.(driverNetwork(store, n)).bridge;
    return {
      id: n.id,
      name: n.name,
      driver: n.driver,
      scope: driver.scope,
      created: n.created,
      internal: n.internal,
      attachable: n.attachable,
      enableIPv6: n.enableIPv6,
      predefined: n.predefined,
      ...(bridge ? { bridge } : {}),
      ipam: {
        driver: n.ipamDriver,
        options: n.ipamOptions,
        config: pools.map((p) => ({
          subnet: p.subnet,
          ...(p.ipRange ? { ipRange: p.ipRange } : {}),
          ...(p.gateway ? { gateway: p.gateway } : {}),
          ...(Object.keys(p.aux).length > 0 ? { auxAddresses: p.aux } : {}),
        })),
      },
      options: n.options,
      labels: n.labels,
      endpointCount: store.endpointCount(n.id),
    };
  }

  /**
   * What an endpoint's view needs besides its row, looked up one at a time (one endpoint) or
   * loaded once for a whole list, so a list of N endpoints costs a few queries, not N of each.
   */
  interface EndpointLookups {
    network(id: string): NetworkRecord;
    gateway(networkId: string): string | null;
    ports(endpointId: string): PortRecord[];
    sandbox(id: string): SandboxRecord | undefined;
  }

  const singleLookups: EndpointLookups = {
    network: (id) => store.networkById(id)!,
    gateway: (networkId) => store.poolsOf(networkId).find((p) => p.family === 4)?.gateway ?? null,
    ports: (endpointId) => store.portsOf(endpointId),
    sandbox: (id) => store.sandboxById(id),
  };

  function listLookups(): EndpointLookups {
    const networks = new Map(store.networks().map((n) => [n.id, n]));
    const gateways = new Map<string, string | null>();
    for (const p of store.pools()) if (p.networkId && p.family === 4 && !gateways.has(p.networkId)) gateways.set(p.networkId, p.gateway ?? null);
    const ports = new Map<string, PortRecord[]>();
    for (const p of store.ports()) ports.set(p.endpointId, [...(ports.get(p.endpointId) ?? []), p]);
    // only a sandbox with an origin changes an endpoint's view (a CNI attachment): not every row is read
    const sandboxes = new Map(store.sandboxesWithOrigin().map((sb) => [sb.id, sb]));
    return {
      network: (id) => networks.get(id) ?? store.networkById(id)!,
      gateway: (networkId) => gateways.get(networkId) ?? null,
      ports: (endpointId) => ports.get(endpointId) ?? [],
      sandbox: (id) => sandboxes.get(id),
    };
  }

  function endpointWith(look: EndpointLookups, e: EndpointRecord, net?: NetworkRecord): Endpoint {
    const n = net ?? look.network(e.networkId);
    const dns = core.dns.clientConfig(n.id);
    return {
      id: e.id,
      name: e.name,
      networkId: n.id,
      networkName: n.name,
      sandboxId: e.sandboxId,
      ifName: e.ifName,
      hostIfName: e.hostIf,
      ipv4Address: e.ipv4,
      ipv6Address: e.ipv6,
      macAddress: e.mac,
      gateway: look.gateway(n.id),
      ports: look.ports(e.id).map((p) => ({ hostIp: p.hostIp, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol })),
      aliases: e.aliases,
      created: e.created,
      ...cniAttachment(look, e),
      ...(dns ? { dns } : {}),
    };
  }

  const endpoint = (e: EndpointRecord, net?: NetworkRecord): Endpoint => endpointWith(singleLookups, e, net);

  /** Many endpoints' views (a list route): the same views, with the lookups loaded once. */
  function endpointList(list: readonly EndpointRecord[]): Endpoint[] {
    if (list.length === 0) return [];
    const look = listLookups();
    return list.map((e) => endpointWith(look, e));
  }

  /** A CNI attachment is named by the runtime's container id and interface name. */
  function cniAttachment(look: EndpointLookups, e: EndpointRecord): { cni?: { containerId: string; ifName: string } } {
    const sb = e.sandboxId && e.ifName !== null ? look.sandbox(e.sandboxId) : undefined;
    return sb?.origin === 'cni' ? { cni: { containerId: sb.containerId, ifName: e.ifName! } } : {};
  }

  function sandboxWith(s: SandboxRecord, eps: readonly EndpointRecord[], networkOf: (id: string) => NetworkRecord): Sandbox {
    const rows = eps.map((e) => {
      const n = networkOf(e.networkId);
      return { id: e.id, name: e.name, networkId: n.id, networkName: n.name, ifName: e.ifName ?? '' };
    });
    const dns = sandboxDnsConfig(core, eps);
    return { id: s.id, name: s.name, containerId: s.containerId, key: s.key, external: s.external, created: s.created, endpoints: rows, ...(s.origin ? { origin: s.origin } : {}), ...(dns ? { dns } : {}) };
  }

  const sandbox = (s: SandboxRecord): Sandbox => sandboxWith(s, store.endpointsInSandbox(s.id), (id) => store.networkById(id)!);

  /** Many sandboxes' views, with their endpoints and networks loaded once (in the order endpointsInSandbox gives). */
  function sandboxList(list: readonly SandboxRecord[]): Sandbox[] {
    if (list.length === 0) return [];
    const networks = new Map(store.networks().map((n) => [n.id, n]));
    const bySandbox = new Map<string, EndpointRecord[]>();
    for (const e of store.endpoints()) if (e.sandboxId) bySandbox.set(e.sandboxId, [...(bySandbox.get(e.sandboxId) ?? []), e]);
    for (const eps of bySandbox.values()) eps.sort((a, b) => (a.ifIndex ?? 0) - (b.ifIndex ?? 0));
    return list.map((s) => sandboxWith(s, bySandbox.get(s.id) ?? [], (id) => networks.get(id) ?? store.networkById(id)!));
  }

  function ipam(n: NetworkRecord): IpamView {
    return {
      network: n.name,
      networkId: n.id,
      driver: n.ipamDriver,
      subnets: store.poolsOf(n.id).map((p) => {
        const counts = ipamService.allocatorOf(p, n.name).counts();
        return {
          subnet: p.subnet,
          ...(p.gateway ? { gateway: p.gateway } : {}),
          ...(p.ipRange ? { ipRange: p.ipRange } : {}),
          total: toCount(counts.total),
          used: toCount(counts.used),
          free: toCount(counts.free),
          allocations: store.allocationsOf(p.id).map((a) => ({ address: a.address, kind: a.kind, owner: a.owner, ...(a.ownerId ? { ownerId: a.ownerId } : {}) })),
        };
      }),
    };
  }

  return { network, endpoint, endpointList, sandbox, sandboxList, ipam };
}
export type Views = ReturnType<typeof createViews>;
