import type { PluginCreateNetworkRequest } from '@patchbay/api';
import { isPatchbayError } from '@patchbay/errors';
import type { PoolRequest } from '../controller/ipam-service.js';
import type { NetworkRecord } from '../store/index.js';
import { DOCKER_ENDPOINT_PREFIX, SHARED_NETWORK_OPTION, type PluginContext } from './context.js';
import { pluginError } from './errors.js';

const GENERIC = 'com.docker.network.generic';
const INTERNAL = 'com.docker.network.internal';
const ENABLE_IPV6 = 'com.docker.network.enable_ipv6';

/** `-o k=v` of `docker network create`, as strings. */
function genericOptions(req: PluginCreateNetworkRequest): Record<string, string> {
  const raw = req.Options?.[GENERIC];
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw pluginError('PB_ERR_INVALID_OPTION', `${GENERIC} must be an object of options`);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
}

const bare = (cidr: string | undefined) => (cidr ? cidr.split('/')[0] : undefined);
const poolIdOf = (d: { AddressSpace?: string | undefined; Pool: string }) => `${d.AddressSpace || 'LocalDefault'}/${d.Pool}`;

/**
 * The pools of the new network: those patchbay's IPAM driver handed out (RequestPool) are
 * adopted; subnets from Docker's own IPAM become the network's configured pools, with the gateway
 * dockerd chose.
 */
async function poolsOf(ctx: PluginContext, req: PluginCreateNetworkRequest): Promise<{ adopt: string[]; config: PoolRequest[] }> {
  const adopt: string[] = [];
  const config: PoolRequest[] = [];
  for (const d of [...(req.IPv4Data ?? []), ...(req.IPv6Data ?? [])]) {
    const poolId = poolIdOf(d);
    const requested = ctx.controller.core.store.pools().find((p) => `${p.addressSpace}/${p.subnet}` === poolId && p.networkId === null && p.requestedBy !== undefined);
    if (requested) adopt.push(poolId);
    else config.push({ subnet: d.Pool, ...(d.Gateway ? { gateway: bare(d.Gateway)! } : {}), ...(d.AuxAddresses ? { auxAddresses: mapBare(d.AuxAddresses) } : {}) });
  }
  if (adopt.length > 0 && config.length > 0) {
    throw pluginError('PB_ERR_INVALID_SUBNET', 'the IPv4 and IPv6 pools must come from one IPAM driver (patchbay for both, or Docker\'s for both)');
  }
  return { adopt, config };
}
const mapBare = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, bare(v)!]));

/**
 * `-o patchbay.network=NAME`: the Docker network is an existing patchbay network. Its addresses
 * must come from that network's pools (`--ipam-driver patchbay --ipam-opt patchbay.network=NAME`),
 * or Docker and patchbay would hand out the same addresses twice.
 */
function sharedNetwork(ctx: PluginContext, name: string, req: PluginCreateNetworkRequest): NetworkRecord {
  const { store } = ctx.controller.core;
  let net: NetworkRecord;
  try {
    net = ctx.controller.networks.get(name);
  } catch (err) {
    if (isPatchbayError(err) && err.code === 'PB_ERR_NETWORK_NOT_FOUND') throw pluginError('PB_ERR_NETWORK_NOT_FOUND', `${SHARED_NETWORK_OPTION}=${name}: no such patchbay network`);
    throw err;
  }
  if (net.driver !== 'bridge') throw pluginError('PB_ERR_INVALID_OPTION', `${SHARED_NETWORK_OPTION}=${name}: a ${net.driver} network cannot be shared with Docker (bridge networks only)`);
  const own = new Set(store.poolsOf(net.id).map((p) => `${p.addressSpace}/${p.subnet}`));
  for (const d of [...(req.IPv4Data ?? []), ...(req.IPv6Data ?? [])]) {
    if (!own.has(poolIdOf(d))) {
      throw pluginError(
        'PB_ERR_INVALID_SUBNET',
        `${SHARED_NETWORK_OPTION}=${name}: pool ${d.Pool} is not that network's; create the Docker network with --ipam-driver patchbay --ipam-opt ${SHARED_NETWORK_OPTION}=${name}`,
      );
    }
  }
  return net;
}

/** NetworkDriver.CreateNetwork: a new patchbay bridge network with Docker's id, or an existing one shared. */
export async function createNetwork(ctx: PluginContext, req: PluginCreateNetworkRequest): Promise<void> {
  const { controller, dockerNetworks } = ctx;
  if (dockerNetworks.get(req.NetworkID)) throw pluginError('PB_ERR_NETWORK_EXISTS', `network ${req.NetworkID.slice(0, 12)} already exists`);
  const { [SHARED_NETWORK_OPTION]: shared, ...options } = genericOptions(req);
  if (shared !== undefined) {
    const net = sharedNetwork(ctx, shared, req);
    dockerNetworks.insert({ dockerId: req.NetworkID, networkId: net.id, owned: false });
    ctx.log.info({ docker: req.NetworkID.slice(0, 12), network: net.name }, 'Docker network attached to an existing patchbay network');
    return;
  }
  const { adopt, config } = await poolsOf(ctx, req);
  const net = await controller.networks.create({
    id: req.NetworkID,
    name: `docker-${req.NetworkID.slice(0, 12)}`,
    driver: 'bridge',
    ipamDriver: adopt.length > 0 ? 'patchbay' : 'default',
    ipamConfig: config,
    ipamOptions: {},
    ipamPools: adopt,
    enableIPv6: req.Options?.[ENABLE_IPV6] === true,
    internal: req.Options?.[INTERNAL] === true,
    attachable: true,
    options,
    labels: { 'com.docker.network.driver': 'patchbay' },
  });
  try {
    dockerNetworks.insert({ dockerId: req.NetworkID, networkId: net.id, owned: true });
    // before dockerd runs a container on it: its traffic must pass dockerd's FORWARD policy
    await ctx.dockerUser.sync();
  } catch (err) {
    dockerNetworks.delete(req.NetworkID);
    await controller.networks.remove(net.id);
    throw err;
  }
}

/**
 * NetworkDriver.DeleteNetwork: a network the plugin made goes; a shared one stays. Unknown: already
 * gone. dockerd deletes a network only when none of its containers is on it, so Docker endpoints
 * still recorded here are stale (their Leave and DeleteEndpoint came while patchbayd was down):
 * they go first, unless another Docker network shares the patchbay network.
 */
export async function deleteNetwork(ctx: PluginContext, dockerId: string): Promise<void> {
  const { controller, dockerNetworks } = ctx;
  const mapped = dockerNetworks.get(dockerId);
  if (!mapped) return;
  const net = controller.core.store.networkById(mapped.networkId);
  if (net && dockerNetworks.ofNetwork(net.id).length === 1) await dropStaleEndpoints(ctx, net);
  if (mapped.owned && net) await controller.networks.remove(net.id);
  dockerNetworks.delete(dockerId);
}

async function dropStaleEndpoints(ctx: PluginContext, net: NetworkRecord): Promise<void> {
  const stale = ctx.controller.core.store.endpointsOf(net.id).filter((e) => e.sandboxId === null && e.name.startsWith(DOCKER_ENDPOINT_PREFIX));
  for (const ep of stale) {
    if (ep.hostIf) await ctx.controller.endpoints.detach(net.id, ep.id);
    await ctx.controller.endpoints.remove(net.id, ep.id);
    ctx.log.warn({ endpoint: ep.name, network: net.name }, 'removed a Docker endpoint dockerd no longer has (its DeleteEndpoint never arrived)');
  }
}
