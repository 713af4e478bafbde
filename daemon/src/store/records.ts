/** Records as the store keeps them (domain shapes; the API maps them to wire DTOs). */
export type RowState = 'creating' | 'ready' | 'deleting';
export type EndpointState = RowState | 'joining' | 'leaving';

export interface NetworkRecord {
  id: string;
  name: string;
  driver: string;
  created: string;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  predefined: boolean;
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** driver-private facts (e.g. the bridge name and whether patchbay created it) */
  driverState: Record<string, unknown>;
  state: RowState;
}

export interface PoolRecord {
  id: number;
  /** Docker's address space: `LocalDefault` (SQLite) or `GlobalDefault` (a cluster store) */
  addressSpace: string;
  /** the network using the pool; null while a requested pool waits for one (or after it went) */
  networkId: string | null;
  /** who requested the pool on its own (RequestPool); absent: made for its network, freed with it */
  requestedBy?: string;
  /** RequestPool's options, kept as given */
  options: Record<string, string>;
  family: 4 | 6;
  subnet: string;
  ipRange?: string;
  gateway?: string;
  aux: Record<string, string>;
  serial: boolean;
  cursor?: string;
  /** the subnet was given by the user, not chosen from the default pools */
  userConfigured: boolean;
  /**
   * the gateway was given (by the user or the daemon's flags), not picked by the allocator when
   * the network made the pool; a requested pool's gateway was asked for (RequestAddress) and counts as given
   */
  gatewayConfigured: boolean;
}

export interface SandboxRecord {
  id: string;
  name: string;
  containerId: string;
  key: string;
  external: boolean;
  created: string;
  state: RowState;
  /** the front door that made it, when it owns the sandbox's life ('cni': CNI attachments) */
  origin?: SandboxOrigin;
}

export type SandboxOrigin = 'cni';

export interface EndpointRecord {
  id: string;
  networkId: string;
  name: string;
  sandboxId: string | null;
  /** the join's position in its sandbox (orders a sandbox's endpoints) */
  ifIndex: number | null;
  /** the endpoint's interface in the sandbox (eth0, or the caller's name), while joined */
  ifName: string | null;
  /** the host side of its link (the bridge driver's veth), while joined */
  hostIf: string | null;
  mac: string | null;
  /** CIDR form, e.g. 10.0.0.2/24 */
  ipv4: string | null;
  ipv6: string | null;
  aliases: string[];
  created: string;
  state: EndpointState;
}

/** Where a join put an endpoint: its sandbox, position and interface names. */
export type EndpointPlacement = Pick<EndpointRecord, 'sandboxId' | 'ifIndex' | 'ifName' | 'hostIf'>;
export const DETACHED: EndpointPlacement = { sandboxId: null, ifIndex: null, ifName: null, hostIf: null };

export interface AllocationRecord {
  poolId: number;
  address: string;
  /** 'address': handed out by RequestAddress to a caller (not an endpoint), kept until released */
  kind: 'gateway' | 'aux' | 'endpoint' | 'address';
  owner: string;
  ownerId?: string;
}

export interface PortRecord {
  endpointId: string;
  hostIp: string;
  hostPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
}
