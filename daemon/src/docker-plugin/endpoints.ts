import type { PluginCreateEndpointRequest, PluginEndpointRef, PluginJoinRequest } from '@patchbay/api';
import { isPatchbayError } from '@patchbay/errors';
import type { EndpointRecord, NetworkRecord } from '../store/index.js';
import { DOCKER_ENDPOINT_PREFIX, networkOf, type PluginContext } from './context.js';
import { pluginError } from './errors.js';
import { portsFromOptions } from './ports.js';

/** The temporary name of the container side in dockerd's namespace, until dockerd moves and renames it. */
export const containerSideName = (endpointId: string) => `pbt${endpointId.slice(0, 12)}`;
/** dockerd names the interface in the container `eth<N>`. */
const DST_PREFIX = 'eth';

const bare = (cidr: string | null) => (cidr ? cidr.split('/')[0]! : '');

/** The endpoint behind Docker's ids, or undefined when patchbay has none (already gone). */
function endpointOf(ctx: PluginContext, ref: PluginEndpointRef): { net: NetworkRecord; ep: EndpointRecord | undefined } {
  const net = networkOf(ctx, ref.NetworkID);
  const ep = ctx.controller.core.store.endpointById(ref.EndpointID);
  return { net, ep: ep && ep.networkId === net.id ? ep : undefined };
}

function mustHaveEndpoint(ctx: PluginContext, ref: PluginEndpointRef): { net: NetworkRecord; ep: EndpointRecord } {
  const { net, ep } = endpointOf(ctx, ref);
  if (!ep) throw pluginError('PB_ERR_ENDPOINT_NOT_FOUND', `endpoint ${ref.EndpointID.slice(0, 12)} not found in network ${net.name}`);
  return { net, ep };
}

/**
 * NetworkDriver.CreateEndpoint: the endpoint with Docker's id and the addresses dockerd's IPAM
 * gave (taking over the allocation patchbay's IPAM made for them), its published ports, and a MAC
 * when dockerd left that to the driver. Only fields dockerd left empty are answered.
 */
export async function createEndpoint(ctx: PluginContext, req: PluginCreateEndpointRequest): Promise<{ Interface: { MacAddress?: string } | null }> {
  const net = networkOf(ctx, req.NetworkID);
  const iface = req.Interface ?? {};
  const ep = await ctx.controller.endpoints.create(net.id, {
    id: req.EndpointID,
    name: `${DOCKER_ENDPOINT_PREFIX}${req.EndpointID.slice(0, 12)}`,
    ...(iface.Address ? { ipv4Address: iface.Address.split('/')[0]! } : {}),
    ...(iface.AddressIPv6 ? { ipv6Address: iface.AddressIPv6.split('/')[0]! } : {}),
    ...(iface.MacAddress ? { macAddress: iface.MacAddress } : {}),
    ports: portsFromOptions(req.Options),
    adoptRequestedAddresses: true,
  });
  return { Interface: !iface.MacAddress && ep.mac ? { MacAddress: ep.mac } : null };
}

/** NetworkDriver.DeleteEndpoint: detached first if dockerd never called Leave; unknown: already gone. */
export async function deleteEndpoint(ctx: PluginContext, ref: PluginEndpointRef): Promise<void> {
  const { net, ep } = endpointOfOrGone(ctx, ref);
  if (!net || !ep) return;
  if (ep.hostIf) await ctx.controller.endpoints.detach(net.id, ep.id);
  await ctx.controller.endpoints.remove(net.id, ep.id);
}

/** Like endpointOf, but a network that is gone too means the endpoint is. */
function endpointOfOrGone(ctx: PluginContext, ref: PluginEndpointRef): { net?: NetworkRecord; ep?: EndpointRecord | undefined } {
  try {
    return endpointOf(ctx, ref);
  } catch (err) {
    if (isPatchbayError(err) && err.code === 'PB_ERR_NETWORK_NOT_FOUND') return {};
    throw err;
  }
}

/**
 * NetworkDriver.Join: the veth is made in dockerd's namespace (the daemon's), host end on the
 * bridge; dockerd moves the other end into the container, names it eth<N>, sets the addresses
 * and MAC and installs the default route through Gateway. A second Join of one endpoint is refused.
 */
export async function join(ctx: PluginContext, req: PluginJoinRequest) {
  const { net, ep } = mustHaveEndpoint(ctx, req);
  if (ep.hostIf || ep.sandboxId) throw pluginError('PB_ERR_ENDPOINT_JOINED', `endpoint ${req.EndpointID.slice(0, 12)} is already joined to a container`);
  const attached = await ctx.controller.endpoints.attach(net.id, ep.id, { netns: null, ifName: containerSideName(ep.id) });
  const pools = ctx.controller.core.store.poolsOf(net.id);
  const gateway = (family: 4 | 6) => (net.internal ? '' : (pools.find((p) => p.family === family)?.gateway ?? ''));
  return {
    InterfaceName: { SrcName: attached.ifName ?? containerSideName(ep.id), DstPrefix: DST_PREFIX },
    Gateway: bare(gateway(4) || null),
    GatewayIPv6: bare(gateway(6) || null),
    StaticRoutes: [],
    // the default route is ours (or, internal, none): never docker_gwbridge
    DisableGatewayService: true,
  };
}

/** NetworkDriver.Leave: the link goes (dockerd hands the interface back; it dies with its host end). Not joined: done. */
export async function leave(ctx: PluginContext, ref: PluginEndpointRef): Promise<void> {
  const { net, ep } = mustHaveEndpoint(ctx, ref);
  if (!ep.hostIf) return;
  await ctx.controller.endpoints.detach(net.id, ep.id);
}

/** NetworkDriver.EndpointOperInfo: what `docker network inspect` may show (dockerd treats a failure here as fatal). */
export function operInfo(ctx: PluginContext, ref: PluginEndpointRef): { Value: Record<string, unknown> } {
  const { ep } = endpointOfOrGone(ctx, ref);
  if (!ep) return { Value: {} };
  const ports = ctx.controller.core.store.portsOf(ep.id);
  return { Value: { 'patchbay.endpoint': ep.name, ...(ep.hostIf ? { 'patchbay.host_interface': ep.hostIf } : {}), ...(ports.length > 0 ? { 'patchbay.ports': ports } : {}) } };
}
