import { z } from 'zod';

/**
 * Docker's remote network driver and remote IPAM driver protocol (libnetwork's
 * `drivers/remote/api` and `ipams/remote/api`) as dockerd 20.10 speaks it: every call is
 * `POST /<Interface>.<Method>` on the plugin's unix socket. Unknown fields are dropped, never
 * refused: a newer dockerd may send more. Network driver errors are `{"Err"}`, IPAM errors `{"Error"}`.
 */

/** Docker's ids: 64 hex digits (network and endpoint ids dockerd generates). */
export const DockerId = z.string().regex(/^[0-9a-f]{64}$/, 'must be a 64-digit hex id');
const Text = z.string().max(4096);
/** dockerd sends `null` for an empty option map. */
const Options = z.record(z.string().max(256), z.unknown()).nullish();

export const PluginActivateResponse = z.object({ Implements: z.array(z.string()) });
export const PluginNetworkCapabilities = z.object({ Scope: z.enum(['local', 'global']), ConnectivityScope: z.enum(['local', 'global']) });
export const PluginIpamCapabilities = z.object({ RequiresMACAddress: z.boolean(), RequiresRequestReplay: z.boolean() });

/** One IPv4Data/IPv6Data entry of CreateNetwork: what IPAM gave (Gateway in CIDR form). */
export const PluginIpamData = z.object({
  AddressSpace: Text.optional(),
  Pool: Text,
  Gateway: Text.optional(),
  AuxAddresses: z.record(z.string().max(256), Text).nullish(),
});

export const PluginCreateNetworkRequest = z.object({
  NetworkID: DockerId,
  Options,
  IPv4Data: z.array(PluginIpamData).max(16).nullish(),
  IPv6Data: z.array(PluginIpamData).max(16).nullish(),
});
export type PluginCreateNetworkRequest = z.infer<typeof PluginCreateNetworkRequest>;

export const PluginNetworkRef = z.object({ NetworkID: DockerId });
export const PluginEndpointRef = z.object({ NetworkID: DockerId, EndpointID: DockerId });
export type PluginEndpointRef = z.infer<typeof PluginEndpointRef>;

/** A port mapping of `com.docker.network.portmap` (Proto: 6 tcp, 17 udp, 132 sctp). */
export const PluginPortBinding = z.object({
  Proto: z.number().int(),
  IP: z.string().max(64).optional(),
  Port: z.number().int().min(0).max(65535),
  HostIP: z.string().max(64).optional(),
  HostPort: z.number().int().min(0).max(65535).optional(),
  HostPortEnd: z.number().int().min(0).max(65535).optional(),
});
export type PluginPortBinding = z.infer<typeof PluginPortBinding>;

export const PluginCreateEndpointRequest = PluginEndpointRef.extend({
  Interface: z
    .object({ Address: Text.optional(), AddressIPv6: Text.optional(), MacAddress: Text.optional() })
    .nullish(),
  Options,
});
export type PluginCreateEndpointRequest = z.infer<typeof PluginCreateEndpointRequest>;
/** Only what dockerd left empty may be filled in (echoing the address is refused). */
export const PluginCreateEndpointResponse = z.object({ Interface: z.object({ MacAddress: z.string().optional() }).nullable() });

export const PluginJoinRequest = PluginEndpointRef.extend({ SandboxKey: z.string().min(1).max(4096), Options });
export type PluginJoinRequest = z.infer<typeof PluginJoinRequest>;
export const PluginJoinResponse = z.object({
  InterfaceName: z.object({ SrcName: z.string(), DstPrefix: z.string() }),
  Gateway: z.string(),
  GatewayIPv6: z.string(),
  StaticRoutes: z.array(z.object({ Destination: z.string(), RouteType: z.number(), NextHop: z.string().optional() })),
  DisableGatewayService: z.boolean(),
});
export const PluginConnectivityRequest = PluginEndpointRef.extend({ Options });
export const PluginDiscoveryRequest = z.object({ DiscoveryType: z.number().int().optional(), DiscoveryData: z.unknown().optional() });
export const PluginOperInfoResponse = z.object({ Value: z.record(z.string(), z.unknown()) });
export const PluginNetworkDriverError = z.object({ Err: z.string() });

export const PluginDefaultAddressSpaces = z.object({ LocalDefaultAddressSpace: z.string(), GlobalDefaultAddressSpace: z.string() });
export const PluginRequestPoolRequest = z.object({
  AddressSpace: Text.optional(),
  Pool: Text.optional(),
  SubPool: Text.optional(),
  Options: z.record(z.string().max(256), z.string().max(4096)).nullish(),
  V6: z.boolean().optional(),
});
export type PluginRequestPoolRequest = z.infer<typeof PluginRequestPoolRequest>;
export const PluginRequestPoolResponse = z.object({ PoolID: z.string(), Pool: z.string(), Data: z.record(z.string(), z.string()) });
export const PluginReleasePoolRequest = z.object({ PoolID: z.string().min(1).max(4096) });
export const PluginRequestAddressRequest = z.object({
  PoolID: z.string().min(1).max(4096),
  Address: Text.optional(),
  Options: z.record(z.string().max(256), z.string().max(4096)).nullish(),
});
export type PluginRequestAddressRequest = z.infer<typeof PluginRequestAddressRequest>;
export const PluginRequestAddressResponse = z.object({ Address: z.string(), Data: z.record(z.string(), z.string()) });
export const PluginReleaseAddressRequest = z.object({ PoolID: z.string().min(1).max(4096), Address: Text });
export const PluginIpamDriverError = z.object({ Error: z.string() });
