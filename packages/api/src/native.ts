import { z } from 'zod';
import { Cidr, Count, IPAny, IPv4, IPv6, MacAddress, Name, PortPublication, PublishedPort, StringMap } from './common.js';

// ---- networks ----------------------------------------------------------------------------------

export const IpamPoolConfig = z
  .object({
    subnet: Cidr.optional(),
    ipRange: Cidr.optional(),
    gateway: IPAny.optional(),
    auxAddresses: z.record(z.string().min(1).max(64), IPAny).optional(),
  })
  .strict();
export type IpamPoolConfig = z.infer<typeof IpamPoolConfig>;

export const NetworkCreate = z
  .object({
    name: Name,
    /** a driver name; the daemon's driver registry decides which exist */
    driver: Name.default('bridge'),
    ipam: z
      .object({
        driver: z.enum(['default', 'null']).default('default'),
        config: z.array(IpamPoolConfig).max(4).default([]),
        options: StringMap.default({}),
      })
      .strict()
      .optional(),
    enableIPv6: z.boolean().default(false),
    internal: z.boolean().default(false),
    attachable: z.boolean().default(false),
    options: StringMap.default({}),
    labels: StringMap.default({}),
  })
  .strict();
export type NetworkCreate = z.infer<typeof NetworkCreate>;

export const IpamConfigOut = z.object({
  subnet: z.string(),
  ipRange: z.string().optional(),
  gateway: z.string().optional(),
  auxAddresses: z.record(z.string(), z.string()).optional(),
});

export const Network = z.object({
  id: z.string(),
  name: z.string(),
  driver: z.string(),
  /** from the network's driver: local (this host) or global (every host, e.g. overlay) */
  scope: z.enum(['local', 'global']),
  created: z.string(),
  internal: z.boolean(),
  attachable: z.boolean(),
  enableIPv6: z.boolean(),
  predefined: z.boolean(),
  bridge: z.string().optional(),
  ipam: z.object({ driver: z.string(), options: z.record(z.string(), z.string()), config: z.array(IpamConfigOut) }),
  options: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.string()),
  endpointCount: z.number().int(),
});
export type Network = z.infer<typeof Network>;

/** patchbay's DNS as a client on the network sees it (what goes in its resolv.conf). */
export const DnsClientConfig = z.object({ nameservers: z.array(z.string()), search: z.array(z.string()) });
export type DnsClientConfig = z.infer<typeof DnsClientConfig>;

// ---- sandboxes ---------------------------------------------------------------------------------

export const SandboxCreate = z
  .object({
    name: Name.optional(),
    containerId: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1-128 characters of [A-Za-z0-9_.-]').optional(),
    netnsPath: z
      .string()
      .max(4096)
      .regex(/^\/[^\0]*$/, 'must be an absolute path')
      .optional(),
  })
  .strict();
export type SandboxCreate = z.infer<typeof SandboxCreate>;

export const Sandbox = z.object({
  id: z.string(),
  name: z.string(),
  containerId: z.string(),
  key: z.string(),
  external: z.boolean(),
  created: z.string(),
  endpoints: z.array(z.object({ id: z.string(), name: z.string(), networkId: z.string(), networkName: z.string(), ifName: z.string() })),
  gatewayEndpoint: z.string().optional(),
  /** set when a front door owns the sandbox's life: 'cni' (it adopted a runtime's CNI_NETNS) */
  origin: z.literal('cni').optional(),
  /** the nameservers of its DNS networks (merged, at most three) and the search domain */
  dns: DnsClientConfig.optional(),
});
export type Sandbox = z.infer<typeof Sandbox>;

// ---- endpoints ---------------------------------------------------------------------------------

/** What an endpoint may ask for, on create and on connect. */
const EndpointRequestFields = {
  ipv4Address: IPv4.optional(),
  ipv6Address: IPv6.optional(),
  macAddress: MacAddress.optional(),
  ports: z.array(PortPublication).max(1024).default([]),
  aliases: z.array(Name).max(64).default([]),
};

export const EndpointCreate = z.object({ name: Name, ...EndpointRequestFields }).strict();
export type EndpointCreate = z.infer<typeof EndpointCreate>;

export const Endpoint = z.object({
  id: z.string(),
  name: z.string(),
  networkId: z.string(),
  networkName: z.string(),
  sandboxId: z.string().nullable(),
  /** interface name inside the sandbox (eth0, eth1, …) when joined */
  ifName: z.string().nullable(),
  /** host-side veth name when joined (bridge driver) */
  hostIfName: z.string().nullable(),
  ipv4Address: z.string().nullable(),
  ipv6Address: z.string().nullable(),
  macAddress: z.string().nullable(),
  gateway: z.string().nullable(),
  ports: z.array(PublishedPort),
  aliases: z.array(z.string()),
  created: z.string(),
  /** a CNI attachment: the runtime's (CNI_CONTAINERID, CNI_IFNAME) */
  cni: z.object({ containerId: z.string(), ifName: z.string() }).optional(),
  /** the network's DNS server and search domain, when the network has one */
  dns: DnsClientConfig.optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const JoinRequest = z.object({ sandbox: z.string().min(1).max(128) }).strict();
export type JoinRequest = z.infer<typeof JoinRequest>;

export const ConnectRequest = z
  .object({ sandbox: z.string().min(1).max(128), name: Name.optional(), ...EndpointRequestFields })
  .strict();
export type ConnectRequest = z.infer<typeof ConnectRequest>;

export const DisconnectRequest = z
  .object({ sandbox: z.string().min(1).max(128), force: z.boolean().default(false) })
  .strict();
export type DisconnectRequest = z.infer<typeof DisconnectRequest>;

// ---- IPAM inspection ---------------------------------------------------------------------------

export const IpamAllocation = z.object({
  address: z.string(),
  // 'address': handed out on its own by the IPAM door (Docker's RequestAddress), not to an endpoint
  kind: z.enum(['gateway', 'aux', 'endpoint', 'address']),
  owner: z.string(),
  ownerId: z.string().optional(),
});

export const IpamSubnetView = z.object({
  subnet: z.string(),
  gateway: z.string().optional(),
  ipRange: z.string().optional(),
  total: Count,
  used: Count,
  free: Count,
  allocations: z.array(IpamAllocation),
});

export const IpamView = z.object({
  network: z.string(),
  networkId: z.string(),
  driver: z.string(),
  subnets: z.array(IpamSubnetView),
});
export type IpamView = z.infer<typeof IpamView>;

// ---- system ------------------------------------------------------------------------------------

/** One difference between the store and the kernel, found by check/reconcile. */
export const Drift = z.object({
  kind: z.string(),
  object: z.string(),
  action: z.string(),
  /** set when the repair itself failed */
  error: z.string().optional(),
});
export type Drift = z.infer<typeof Drift>;

/** POST /v1/system/reconcile */
export const ReconcileResult = z.object({ drifts: z.array(Drift), repaired: z.boolean() });
export type ReconcileResult = z.infer<typeof ReconcileResult>;

/** POST /v1/system/reconcile?dryRun=true|false */
export const ReconcileQuery = z.object({ dryRun: z.enum(['true', 'false']).optional() }).strict();

/** GET /v1/system/check */
export const CheckResult = z.object({ consistent: z.boolean(), drifts: z.array(Drift) });
export type CheckResult = z.infer<typeof CheckResult>;

export const Health = z.object({
  status: z.literal('ok'),
  version: z.string(),
  uptimeSeconds: z.number(),
  networks: z.number().int(),
  sandboxes: z.number().int(),
  endpoints: z.number().int(),
});
export type Health = z.infer<typeof Health>;

/** GET /v1/openapi.json: an OpenAPI 3.1 document (only its frame is checked here). */
export const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocument>;

/** The empty answer of a 204 (no body). */
export const NoContent = z.undefined();

export const IdOrNameParam = z.object({ id: z.string().min(1).max(128) });
export const EndpointParams = z.object({ net: z.string().min(1).max(128), ep: z.string().min(1).max(128) });
export const NetParam = z.object({ net: z.string().min(1).max(128) });
