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
  networkId: string;
  family: 4 | 6;
  subnet: string;
  ipRange?: string;
  gateway?: string;
  aux: Record<string, string>;
  serial: boolean;
  cursor?: string;
  /** the subnet was given by the user, not chosen from the default pools */
  userConfigured: boolean;
  /** the gateway was given (by the user or the daemon's flags), not picked by the allocator */
  gatewayConfigured?: boolean;
}

export interface SandboxRecord {
  id: string;
  name: string;
  containerId: string;
  key: string;
  external: boolean;
  created: string;
  state: RowState;
}

export interface EndpointRecord {
  id: string;
  networkId: string;
  name: string;
  sandboxId: string | null;
  ifIndex: number | null;
  hostIf: string | null;
  mac: string | null;
  /** CIDR form, e.g. 10.0.0.2/24 */
  ipv4: string | null;
  ipv6: string | null;
  aliases: string[];
  created: string;
  state: EndpointState;
}

export interface AllocationRecord {
  poolId: number;
  address: string;
  kind: 'gateway' | 'aux' | 'endpoint';
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
