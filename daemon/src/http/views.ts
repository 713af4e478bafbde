import type { Endpoint, IpamView, Network, Sandbox } from '@patchbay/api';
import { toCount } from '@patchbay/api';
import type { Controller } from '../controller/index.js';
import { driverNetwork } from '../controller/driver-objects.js';
import { sandboxDnsConfig } from '../controller/sandbox-dns.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../store/index.js';

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

  function endpoint(e: EndpointRecord, net?: NetworkRecord): Endpoint {
    const n = net ?? store.networkById(e.networkId)!;
    const gateway = store.poolsOf(n.id).find((p) => p.family === 4)?.gateway ?? null;
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
      gateway,
      ports: store.portsOf(e.id).map((p) => ({ hostIp: p.hostIp, hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol })),
      aliases: e.aliases,
      created: e.created,
      ...cniAttachment(e),
      ...(dns ? { dns } : {}),
    };
  }

  /** A CNI attachment is named by the runtime's container id and interface name. */
  function cniAttachment(e: EndpointRecord): { cni?: { containerId: string; ifName: string } } {
    const sb = e.sandboxId && e.ifName !== null ? store.sandboxById(e.sandboxId) : undefined;
    return sb?.origin === 'cni' ? { cni: { containerId: sb.containerId, ifName: e.ifName! } } : {};
  }

  function sandbox(s: SandboxRecord): Sandbox {
    const eps = store.endpointsInSandbox(s.id);
    const rows = eps.map((e) => {
      const n = store.networkById(e.networkId)!;
      return { id: e.id, name: e.name, networkId: n.id, networkName: n.name, ifName: e.ifName ?? '' };
    });
    const dns = sandboxDnsConfig(core, eps);
    return { id: s.id, name: s.name, containerId: s.containerId, key: s.key, external: s.external, created: s.created, endpoints: rows, ...(s.origin ? { origin: s.origin } : {}), ...(dns ? { dns } : {}) };
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

  return { network, endpoint, sandbox, ipam };
}
export type Views = ReturnType<typeof createViews>;
