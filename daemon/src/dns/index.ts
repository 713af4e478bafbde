export { createDnsService, type DnsClientConfig, type DnsNetwork, type DnsService, type DnsServiceOptions } from './service.js';
export { removeSandboxResolvConf, renderResolvConf, writeSandboxResolvConf, NETNS_ETC } from './sandbox-resolv.js';
export { SEARCH_DOMAIN } from './names.js';
export { MAX_NAMESERVERS } from './resolv-conf.js';
export type { EndpointNames, EndpointEntry } from './records.js';
export type { RateLimit } from './rate-limit.js';
export type { TcpLimits, DnsLogger } from './server.js';
