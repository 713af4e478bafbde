import type { DockerEndpointResource, DockerNetwork } from '@patchbay/api';
import type { Controller } from '../controller/index.js';
import type { NetworkRecord } from '../store/index.js';

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

  /** `withContainers: false` gives the list form of API ≥ 1.28 (`"Containers": {}`). */
  function network(net: NetworkRecord, opts: { withContainers: boolean }): DockerNetwork {
    const config = store.poolsOf(net.id).map((p) => ({
      Subnet: p.subnet,
      ...(p.ipRange ? { IPRange: p.ipRange } : {}),
      ...(p.gateway ? { Gateway: p.gateway } : {}),
      ...(Object.keys(p.aux).length > 0 ? { AuxiliaryAddresses: p.aux } : {}),
    }));
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
