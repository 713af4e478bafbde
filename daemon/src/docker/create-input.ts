import { NAME_RE, type DockerNetworkCreate } from '@patchbay/api';
import { PatchbayError } from '@patchbay/errors';
import type { CreateNetworkInput } from '../controller/networks.js';

const IPAM_DRIVERS = ['default', 'null'];

/** Docker's create request → the controller's input, refusing what patchbay does not do (swarm features). */
export function toCreateNetworkInput(body: DockerNetworkCreate): CreateNetworkInput {
  const name = body.Name;
  if (name.trim() === '') throw new PatchbayError('PB_ERR_INVALID_NAME', `invalid name: ${name}`);
  if (!NAME_RE.test(name)) {
    throw new PatchbayError('PB_ERR_INVALID_NAME', `invalid name: ${name}: must match [A-Za-z0-9][A-Za-z0-9_.-]* and be at most 64 characters`);
  }
  const scope = body.Scope ?? '';
  if (scope !== '' && scope !== 'local') throw new PatchbayError('PB_ERR_NOT_IMPLEMENTED', `scope "${scope}" is not supported: patchbay networks are local`);
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
