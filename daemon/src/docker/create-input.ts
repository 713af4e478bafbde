import type { DockerNetworkCreate } from '@patchbay/api';
import { PatchbayError } from '@patchbay/errors';
import type { CreateNetworkInput } from '../controller/networks.js';

const IPAM_DRIVERS = ['default', 'null'];
const MAX_NAME_LENGTH = 100;

/** dockerd 20.10's answers on a node outside a swarm (it gives a 500 for the second; a client's choice is a 4xx here). */
export const SWARM_SCOPE_REFUSED = 'cannot create a swarm scoped network when swarm is not active';
export const NOT_A_SWARM_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

function checkScope(scope: string): void {
  if (scope === '' || scope === 'local') return;
  throw new PatchbayError('PB_ERR_FORBIDDEN', scope === 'swarm' ? SWARM_SCOPE_REFUSED : NOT_A_SWARM_MANAGER);
}

/** Docker's create request → the controller's input, refusing what patchbay does not do (swarm features). */
export function toCreateNetworkInput(body: DockerNetworkCreate): CreateNetworkInput {
  const name = body.Name;
  // libnetwork's only rule (config.IsValidName). The name never reaches the kernel: bridges are
  // named after the network's id, and every kernel name is validated again in packages/kernel.
  if (name.trim() === '') throw new PatchbayError('PB_ERR_INVALID_NAME', `invalid name: ${name}`);
  // Beyond this a name could not be used in a path (fastify's maxParamLength): refuse it rather than make a network addressable only by id.
  if (name.length > MAX_NAME_LENGTH) throw new PatchbayError('PB_ERR_INVALID_NAME', `invalid name: ${name}: longer than ${MAX_NAME_LENGTH} characters`);
  checkScope(body.Scope ?? '');
  if (body.Ingress) throw new PatchbayError('PB_ERR_NOT_IMPLEMENTED', 'ingress networks are not supported: patchbay has no swarm mode');
  if (body.ConfigOnly || body.ConfigFrom?.Network) {
    throw new PatchbayError('PB_ERR_NOT_IMPLEMENTED', 'config-only networks and --config-from are not supported');
  }
  const ipamDriver = body.IPAM?.Driver || 'default';
  if (!IPAM_DRIVERS.includes(ipamDriver)) throw new PatchbayError('PB_ERR_DRIVER_NOT_FOUND', `plugin "${ipamDriver}" not found`);
  const ipamConfig = (body.IPAM?.Config ?? []).map((c) => ({
    ...(c.Subnet ? { subnet: c.Subnet } : {}),
    ...(c.IPRange ? { ipRange: c.IPRange } : {}),
    ...(c.Gateway ? { gateway: c.Gateway } : {}),
    ...(c.AuxiliaryAddresses && Object.keys(c.AuxiliaryAddresses).length > 0 ? { auxAddresses: c.AuxiliaryAddresses } : {}),
  }));
  return {
    name,
    driver: body.Driver || 'bridge',
    ipamDriver,
    ipamConfig,
    ipamOptions: body.IPAM?.Options ?? {},
    enableIPv6: body.EnableIPv6 ?? false,
    internal: body.Internal ?? false,
    attachable: body.Attachable ?? false,
    options: body.Options ?? {},
    labels: body.Labels ?? {},
  };
}
