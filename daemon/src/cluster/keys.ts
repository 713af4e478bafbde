/**
 * The cluster store's key layout (one prefix, versioned). A network's name, VNI and subnets are
 * keys of their own, so one transaction can claim them all with "created if absent".
 */
export const ROOT = '/patchbay/v1/';

const subnetKey = (subnet: string) => subnet.replace('/', '_');

export const keys = {
  networks: `${ROOT}networks/`,
  network: (id: string) => `${ROOT}networks/${id}`,
  name: (name: string) => `${ROOT}names/${name}`,
  vnis: `${ROOT}vnis/`,
  vni: (vni: number) => `${ROOT}vnis/${vni}`,
  subnets: `${ROOT}subnets/`,
  subnet: (subnet: string) => `${ROOT}subnets/${subnetKey(subnet)}`,
  /** one key per allocated address, created if absent: no hot key, and the owner recorded */
  addresses: (subnet: string) => `${ROOT}ipam/${subnetKey(subnet)}/`,
  address: (subnet: string, address: string) => `${ROOT}ipam/${subnetKey(subnet)}/${address}`,
  /** the endpoints every host has joined, each under its host's lease */
  endpoints: `${ROOT}endpoints/`,
  endpointsOf: (networkId: string) => `${ROOT}endpoints/${networkId}/`,
  endpoint: (networkId: string, endpointId: string) => `${ROOT}endpoints/${networkId}/${endpointId}`,
  hosts: `${ROOT}hosts/`,
  host: (hostId: string) => `${ROOT}hosts/${hostId}`,
};
