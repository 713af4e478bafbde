import { isAddress, isMulticastMac, MAC_RE, tryParseCidr, tryParseMac, type IpFamily } from '@patchbay/ip';
import { z } from 'zod';
import { NAME_RE } from './names.js';

export { NAME_RE };
export const Name = z.string().regex(NAME_RE, 'must match [A-Za-z0-9][A-Za-z0-9_.-]* and be at most 64 characters');

const ipOf = (family?: IpFamily) => (s: string) => isAddress(s, family);
export const IPv4 = z.string().refine(ipOf(4), 'must be an IPv4 address');
export const IPv6 = z.string().refine(ipOf(6), 'must be an IPv6 address');
export const IPAny = z.string().refine(ipOf(), 'must be an IP address');

export const Cidr = z.string().refine((s) => tryParseCidr(s) !== undefined, 'must be an address with prefix length, e.g. 10.1.0.0/24');

export const MacAddress = z
  .string()
  .regex(MAC_RE, 'must be a MAC address like 02:42:ac:11:00:02')
  .refine((m) => {
    const bytes = tryParseMac(m);
    return bytes === undefined || !isMulticastMac(bytes);
  }, 'must be a unicast MAC address');

/** Option and label maps: string keys and values, bounded. */
export const StringMap = z
  .record(z.string().min(1).max(256), z.string().max(4096))
  .refine((m) => Object.keys(m).length <= 256, 'at most 256 entries');

export const Protocol = z.enum(['tcp', 'udp', 'sctp']);
export const PortNumber = z.number().int().min(1).max(65535);

export const PortPublication = z
  .object({
    hostIp: IPAny.optional(),
    hostPort: z.number().int().min(0).max(65535).optional(),
    containerPort: PortNumber,
    protocol: Protocol.default('tcp'),
  })
  .strict();
export type PortPublication = z.infer<typeof PortPublication>;

export const PublishedPort = z.object({
  hostIp: z.string(),
  hostPort: PortNumber,
  containerPort: PortNumber,
  protocol: Protocol,
});
export type PublishedPort = z.infer<typeof PublishedPort>;

export const ErrorBody = z.object({ message: z.string(), code: z.string() });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A count that may exceed 2^53 (IPv6 subnets): a number when exact, else a decimal string. */
export const Count = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]);
export const toCount = (n: bigint): number | string => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString());
