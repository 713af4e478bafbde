import { z } from 'zod';
import { Cidr, IPAny, PortNumber } from './common.js';

/**
 * The CNI front door: what the `patchbay` plugin binary sends to the daemon (POST /cni/v1/exec on
 * the unix socket only), and the network configuration, runtime config and results of CNI 1.1
 * (SPEC.md, CONVENTIONS.md) as far as patchbay reads or writes them.
 */

export const CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const CNI_LATEST = '1.1.0';
export const CniCommand = z.enum(['ADD', 'DEL', 'CHECK', 'GC', 'STATUS', 'VERSION']);
export type CniCommand = z.infer<typeof CniCommand>;

const envValue = z.string().max(65536);

/** The request body: the CNI_* environment as the runtime set it, and stdin exactly as it came. */
export const CniExecRequest = z
  .object({
    env: z
      .object({
        CNI_COMMAND: envValue.optional(),
        CNI_CONTAINERID: envValue.optional(),
        CNI_NETNS: envValue.optional(),
        CNI_IFNAME: envValue.optional(),
        CNI_ARGS: envValue.optional(),
        CNI_PATH: envValue.optional(),
      })
      .strict(),
    stdin: z.string().max(1 << 20),
  })
  .strict();
export type CniExecRequest = z.infer<typeof CniExecRequest>;

/** `dns` of a configuration and of a result. */
export const CniDns = z
  .object({
    nameservers: z.array(z.string().max(256)).max(16).optional(),
    domain: z.string().max(256).optional(),
    search: z.array(z.string().max(256)).max(16).optional(),
    options: z.array(z.string().max(256)).max(16).optional(),
  })
  .passthrough();
export type CniDns = z.infer<typeof CniDns>;

export const CniRoute = z.object({ dst: Cidr, gw: IPAny.optional() }).passthrough();
export type CniRoute = z.infer<typeof CniRoute>;

/** patchbay's `ipam` section: the pool a network is created with on first use. Unknown fields are refused. */
export const CniIpam = z
  .object({
    type: z.literal('patchbay').optional(),
    subnet: Cidr,
    rangeStart: IPAny.optional(),
    rangeEnd: IPAny.optional(),
    gateway: IPAny.optional(),
    routes: z.array(CniRoute).max(64).optional(),
  })
  .strict();
export type CniIpam = z.infer<typeof CniIpam>;

/** CONVENTIONS `portMappings`: podman writes camelCase, containerd PascalCase (HostPort, HostIP…). */
export const CniPortMapping = z.preprocess(
  (v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k === 'HostIP' ? 'hostIP' : k.charAt(0).toLowerCase() + k.slice(1), x]))
      : v,
  z
    .object({
      hostPort: PortNumber,
      containerPort: PortNumber,
      protocol: z
        .string()
        .default('tcp')
        .transform((p) => p.toLowerCase())
        .pipe(z.enum(['tcp', 'udp', 'sctp'])),
      hostIP: z.union([IPAny, z.literal('')]).optional(),
    })
    .passthrough(),
);
export type CniPortMapping = z.infer<typeof CniPortMapping>;

/** The capabilities patchbay declares, as the runtime injects them. Other keys pass through unread. */
export const CniRuntimeConfig = z
  .object({
    portMappings: z.array(CniPortMapping).max(1024).optional(),
    ips: z.array(z.string().max(64)).max(8).optional(),
    mac: z.string().max(32).optional(),
    aliases: z.record(z.string(), z.array(z.string().max(253)).max(64)).optional(),
  })
  .passthrough();

export const CniAttachmentRef = z.object({ containerID: z.string().max(1024), ifname: z.string().max(64) }).passthrough();

/**
 * A plugin's configuration as the runtime sends it on stdin. Fields of other plugins and runtimes
 * pass through (CNI plugins ignore what they do not know); `ipam` is checked on its own (CniIpam).
 */
export const CniNetConf = z
  .object({
    cniVersion: z.string().max(16),
    name: z.string().min(1).max(256),
    type: z.string().max(256).optional(),
    network: z.string().max(128).optional(),
    socket: z.string().max(107).optional(),
    ipam: z.record(z.string(), z.unknown()).optional(),
    dns: CniDns.optional(),
    args: z
      .object({ cni: z.object({ ips: z.array(z.string().max(64)).max(8).optional(), mac: z.string().max(32).optional() }).passthrough().optional() })
      .passthrough()
      .optional(),
    runtimeConfig: CniRuntimeConfig.optional(),
    prevResult: z.record(z.string(), z.unknown()).optional(),
    'cni.dev/valid-attachments': z.array(CniAttachmentRef).max(1_000_000).optional(),
  })
  .passthrough();
export type CniNetConf = z.infer<typeof CniNetConf>;

export const CniInterface = z
  .object({ name: z.string(), mac: z.string().optional(), mtu: z.number().optional(), sandbox: z.string().optional() })
  .passthrough();
export type CniInterface = z.infer<typeof CniInterface>;

/** An address of a result; 0.3.x/0.4.0 carry `version` ("4"/"6"), 1.x do not. */
export const CniIpConfig = z
  .object({ address: Cidr, gateway: IPAny.optional(), interface: z.number().int().nonnegative().optional(), version: z.enum(['4', '6']).optional() })
  .passthrough();
export type CniIpConfig = z.infer<typeof CniIpConfig>;

/** A result in any supported version (a prevResult is read with this). */
export const CniResult = z
  .object({
    cniVersion: z.string().optional(),
    interfaces: z.array(CniInterface).optional(),
    ips: z.array(CniIpConfig).optional(),
    routes: z.array(CniRoute).optional(),
    dns: CniDns.optional(),
  })
  .passthrough();
export type CniResult = z.infer<typeof CniResult>;

/** The error object a plugin prints (with a non-zero exit). */
export const CniErrorBody = z.object({ cniVersion: z.string(), code: z.number().int(), msg: z.string(), details: z.string().optional() });
export type CniErrorBody = z.infer<typeof CniErrorBody>;

export const CniVersionResult = z.object({ cniVersion: z.string(), supportedVersions: z.array(z.string()) });
export type CniVersionResult = z.infer<typeof CniVersionResult>;

/** A 200 answer of POST /cni/v1/exec: VERSION's version result, or ADD's result. */
export const CniExecAnswer = z.union([CniVersionResult, CniResult]);
export type CniExecAnswer = z.infer<typeof CniExecAnswer>;
