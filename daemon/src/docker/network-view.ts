import type { DockerEndpointResource, DockerNetwork } from '@patchbay/api';
import type { Controller } from '../controller/index.js';
import type { NetworkRecord } from '../store/index.js';

type DockerIpamConfig = DockerNetwork['IPAM']['Config'][number];

/** Store records → Docker's `Network` object (moby api/types/network Inspect). */
export function createDockerViews(controller: Controller) {
  const { store, registry } = controller.core;

  function containers(net: NetworkRecord): Record<string, DockerEndpointResource> {
    const out: Record<string, DockerEndpointResource> = {};
    for (const ep of store.endpointsOf(net.id)) {
      const sb = ep.sandboxId ? store.sandboxById(ep.sandboxId) : undefined;
      // dockerd keys an endpoint without a sandbox as "ep-<endpoint id>".
      out[sb ? sb.id : `ep-${ep.id}`] = {
        Name: sb ? sb.name : ep.name,
        EndpointID: ep.id,
        MacAddress: ep.mac ?? '',
        IPv4Address: ep.ipv4 ?? '',
        IPv6Address: ep.ipv6 ?? '',
      };
    }
    return out;
  }

  /**
   * moby's buildIpamResources, per address family: pools that were configured (by the user, or by
   * the daemon's flags for a predefined network) show what was configured, so a gateway only when
   * one was given; pools IPAM chose show their subnet and the gateway it picked.
   */
  function ipamConfig(net: NetworkRecord): DockerIpamConfig[] {
    const pools = store.poolsOf(net.id);
    const configured = (family: 4 | 6) => net.predefined || pools.some((p) => p.family === family && p.userConfigured);
    return pools.map((p) => ({
      Subnet: p.subnet,
      ...(p.ipRange ? { IPRange: p.ipRange } : {}),
      ...(p.gateway && (p.gatewayConfigured || !configured(p.family)) ? { Gateway: p.gateway } : {}),
      ...(Object.keys(p.aux).length > 0 ? { AuxiliaryAddresses: p.aux } : {}),
    }));
  }

  /** `withContainers: false` gives the list form of API ≥ 1.28 (`"Containers": {}`). */
  function network(net: NetworkRecord, opts: { withContainers: boolean }): DockerNetwork {
    const config = ipamConfig(net);
    return {
      Name: net.name,
      Id: net.id,
      Created: net.created,
      Scope: registry.get(net.driver).scope,
      Driver: net.driver,
      EnableIPv6: net.enableIPv6,
      IPAM: { Driver: net.ipamDriver, Options: net.ipamOptions, Config: config },
      Internal: net.internal,
      Attachable: net.attachable,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Containers: opts.withContainers ? containers(net) : {},
      Options: net.options,
      Labels: net.labels,
    };
  }

  return { network };
}
export type DockerViews = ReturnType<typeof createDockerViews>;
