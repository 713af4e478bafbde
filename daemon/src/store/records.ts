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
  ifIndex: number | null;
  /** the interface name inside the sandbox when the caller chose it (CNI_IFNAME); null: eth<N> */
  ifName: string | null;
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
