import { z } from 'zod';
import { IPv4, IPv6, MacAddress, Name } from './common.js';

// The Docker Engine API's network part (moby api/types/network, swagger.yaml), as patchbay serves it.
// Requests: Go clients send `null` for unset maps, slices and pointers, and unknown fields are ignored
// (as Go's JSON decoder does), so every optional field is nullish and objects are not strict.

const StringMapIn = z.record(z.string().max(256), z.string().max(4096)).nullish();
/** An empty string means "not given" in Docker's requests. */
const blankOr = (s: z.ZodType<string>, message: string) =>
  z
    .string()
    .refine((v) => v === '' || s.safeParse(v).success, message)
    .nullish();

export const DockerIpamPoolIn = z.object({
  Subnet: z.string().max(64).nullish(),
  IPRange: z.string().max(64).nullish(),
  Gateway: z.string().max(64).nullish(),
  AuxiliaryAddresses: z.record(z.string().min(1).max(64), z.string().max(64)).nullish(),
});
export type DockerIpamPoolIn = z.infer<typeof DockerIpamPoolIn>;

export const DockerNetworkCreate = z.object({
  Name: z.string().max(256),
  CheckDuplicate: z.boolean().nullish(),
  Driver: z.string().max(64).nullish(),
  Scope: z.string().max(16).nullish(),
  EnableIPv4: z.boolean().nullish(),
  EnableIPv6: z.boolean().nullish(),
  IPAM: z
    .object({
      Driver: z.string().max(64).nullish(),
      Config: z.array(DockerIpamPoolIn).max(8).nullish(),
      Options: StringMapIn,
    })
    .nullish(),
  Internal: z.boolean().nullish(),
  Attachable: z.boolean().nullish(),
  Ingress: z.boolean().nullish(),
  ConfigOnly: z.boolean().nullish(),
  ConfigFrom: z.object({ Network: z.string().max(256).nullish() }).nullish(),
  Options: StringMapIn,
  Labels: StringMapIn,
});
export type DockerNetworkCreate = z.infer<typeof DockerNetworkCreate>;

export const DockerNetworkCreateResponse = z.object({ Id: z.string(), Warning: z.string() });
export type DockerNetworkCreateResponse = z.infer<typeof DockerNetworkCreateResponse>;

export const DockerEndpointSettingsIn = z.object({
  IPAMConfig: z
    .object({
      IPv4Address: blankOr(IPv4, 'must be an IPv4 address'),
      IPv6Address: blankOr(IPv6, 'must be an IPv6 address'),
      LinkLocalIPs: z.array(z.string()).nullish(),
    })
    .nullish(),
  Links: z.array(z.string()).nullish(),
  Aliases: z.array(Name).max(64).nullish(),
  MacAddress: blankOr(MacAddress, 'must be a unicast MAC address like 02:42:ac:11:00:02'),
  DriverOpts: StringMapIn,
  GwPriority: z.number().int().nullish(),
});
export type DockerEndpointSettingsIn = z.infer<typeof DockerEndpointSettingsIn>;

export const DockerNetworkConnect = z.object({
  Container: z.string().max(256).nullish(),
  EndpointConfig: DockerEndpointSettingsIn.nullish(),
});
export type DockerNetworkConnect = z.infer<typeof DockerNetworkConnect>;

export const DockerNetworkDisconnect = z.object({
  Container: z.string().max(256).nullish(),
  Force: z.boolean().nullish(),
});
export type DockerNetworkDisconnect = z.infer<typeof DockerNetworkDisconnect>;

// ---- responses ---------------------------------------------------------------------------------

export const DockerIpamConfig = z.object({
  Subnet: z.string().optional(),
  IPRange: z.string().optional(),
  Gateway: z.string().optional(),
  AuxiliaryAddresses: z.record(z.string(), z.string()).optional(),
});

export const DockerEndpointResource = z.object({
  Name: z.string(),
  EndpointID: z.string(),
  MacAddress: z.string(),
  IPv4Address: z.string(),
  IPv6Address: z.string(),
});
export type DockerEndpointResource = z.infer<typeof DockerEndpointResource>;

export const DockerNetwork = z.object({
  Name: z.string(),
  Id: z.string(),
  Created: z.string(),
  Scope: z.string(),
  Driver: z.string(),
  EnableIPv6: z.boolean(),
  IPAM: z.object({
    Driver: z.string(),
    Options: z.record(z.string(), z.string()),
    Config: z.array(DockerIpamConfig),
  }),
  Internal: z.boolean(),
  Attachable: z.boolean(),
  Ingress: z.boolean(),
  ConfigFrom: z.object({ Network: z.string() }),
  ConfigOnly: z.boolean(),
  Containers: z.record(z.string(), DockerEndpointResource),
  Options: z.record(z.string(), z.string()),
  Labels: z.record(z.string(), z.string()),
});
export type DockerNetwork = z.infer<typeof DockerNetwork>;

export const DockerPruneReport = z.object({ NetworksDeleted: z.array(z.string()) });
export type DockerPruneReport = z.infer<typeof DockerPruneReport>;

export const DockerVersion = z.object({
  Platform: z.object({ Name: z.string() }),
  Components: z.array(z.object({ Name: z.string(), Version: z.string(), Details: z.record(z.string(), z.string()) })),
  Version: z.string(),
  ApiVersion: z.string(),
  MinAPIVersion: z.string(),
  GitCommit: z.string(),
  GoVersion: z.string(),
  Os: z.string(),
  Arch: z.string(),
  KernelVersion: z.string(),
  BuildTime: z.string(),
  Experimental: z.boolean(),
});
export type DockerVersion = z.infer<typeof DockerVersion>;

export const DockerEvent = z.object({
  Type: z.string(),
  Action: z.string(),
  Actor: z.object({ ID: z.string(), Attributes: z.record(z.string(), z.string()) }),
  scope: z.string(),
  time: z.number().int(),
  /** nanoseconds: beyond 2^53, so not a safe integer in JavaScript (exact only to the microsecond) */
  timeNano: z.number().nonnegative(),
});
export type DockerEvent = z.infer<typeof DockerEvent>;

export const DockerErrorBody = z.object({ message: z.string() });
export type DockerErrorBody = z.infer<typeof DockerErrorBody>;
