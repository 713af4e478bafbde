/**
 * patchbay's DNS as one object the controller drives: a listener per network on its gateway
 * address(es), one record index, one forwarder to the host's resolvers (resolv.conf watched),
 * one rate limiter. With `enabled: false` (`--dns=false`) every method is a no-op.
 */
import { BlockList, isIP } from 'node:net';
import { invalid, PatchbayError } from '@patchbay/errors';
import { SEARCH_DOMAIN } from './names.js';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limit.js';
import { createRecordIndex, type EndpointEntry, type EndpointNames } from './records.js';
import { watchResolvConf, type ResolvConfWatch } from './resolv-conf.js';
import { startDnsServer, type DnsLogger, type DnsServer, type TcpLimits } from './server.js';
import { createForwarder, type Upstream } from './upstream.js';

export interface DnsNetwork {
  id: string;
  name: string;
  gateway4?: string;
  gateway6?: string;
  /** Never forwards: names not on the network get NXDOMAIN. */
  internal: boolean;
  /** The network's subnets (CIDR); when given, clients outside them are refused. */
  subnets?: readonly string[];
}

/** What a sandbox on the network puts in its resolv.conf. */
export interface DnsClientConfig {
  nameservers: string[];
  search: string[];
}

export interface DnsServiceOptions {
  log: DnsLogger;
  /** The host's resolv.conf, watched for its `nameserver` lines (normally /etc/resolv.conf). */
  resolvConfPath: string;
  enabled: boolean;
  /** Listening port (53; tests use 0 = any free port). */
  port?: number;
  /** Port of the upstream servers (53; tests point it at a fake upstream). */
  upstreamPort?: number;
  forwardTimeoutMs?: number;
  rateLimit?: RateLimit;
  tcp?: TcpLimits;
  maxInFlight?: number;
  /** How long an IPv6 gateway still in duplicate address detection is waited for. */
  ipv6BindRetryMs?: number;
}

export interface DnsService {
  readonly enabled: boolean;
  /**
   * Start answering on the network's gateway address(es); undefined when disabled or without a
   * gateway. A taken port is a PatchbayError PB_ERR_PORT_IN_USE naming the address, and nothing
   * is left listening. Adding a network again with the same definition changes nothing; with a
   * changed one, its listeners are replaced and its records kept.
   */
  addNetwork(net: DnsNetwork): Promise<DnsClientConfig | undefined>;
  /** Stop its listeners and forget its records ("already gone" is fine). */
  removeNetwork(id: string): Promise<void>;
  upsertEndpoint(networkId: string, endpoint: EndpointNames): void;
  removeEndpoint(networkId: string, endpointId: string): void;
  records(networkId: string): EndpointEntry[];
  /** Nameservers and search domain for a sandbox on the network, undefined if it has no DNS. */
  clientConfig(networkId: string): DnsClientConfig | undefined;
  /** Where the actual listeners are (the port differs from 53 only in tests). */
  listeners(networkId: string): { address: string; port: number }[];
  upstreams(): readonly string[];
  close(): Promise<void>;
}

interface Running {
  net: DnsNetwork;
  servers: DnsServer[];
  stopRetry?: () => void;
}

const sameNetwork = (a: DnsNetwork, b: DnsNetwork) =>
  a.gateway4 === b.gateway4 && a.gateway6 === b.gateway6 && a.internal === b.internal && (a.subnets ?? []).join() === (b.subnets ?? []).join();

function clientsOf(subnets: readonly string[] | undefined): BlockList | undefined {
  if (!subnets || subnets.length === 0) return undefined;
  const list = new BlockList();
  for (const cidr of subnets) {
    const [address = '', prefix = ''] = cidr.split('/');
    const family = isIP(address);
    const bits = Number(prefix);
    if (family === 0 || !/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw invalid(`DNS: "${cidr}" is not a subnet`, 'PB_ERR_INVALID_SUBNET');
    list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

export function createDnsService(options: DnsServiceOptions): DnsService {
  const { log, enabled } = options;
  const port = options.port ?? 53;
  const upstreamPort = options.upstreamPort ?? 53;
  const records = createRecordIndex();
  const running = new Map<string, Running>();
  const limiter = createRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  let resolvConf: ResolvConfWatch | undefined;
  const watching = enabled ? watchResolvConf(options.resolvConfPath, log).then((w) => (resolvConf = w)) : Promise.resolve(undefined);

  const ownAddresses = () => new Set([...running.values()].flatMap((r) => r.servers.map((s) => s.address)));
  const upstreams = (): Upstream[] => {
    const own = upstreamPort === port ? ownAddresses() : new Set<string>();
    // a resolv.conf naming one of our own listeners would forward queries to ourselves forever
    return (resolvConf?.current() ?? []).filter((a) => !own.has(a)).map((address) => ({ address, port: upstreamPort }));
  };
  const forwarder = createForwarder({ servers: upstreams, timeoutMs: options.forwardTimeoutMs ?? 2000, maxInFlight: options.maxInFlight ?? 512 });

  const listen = (net: DnsNetwork, address: string) =>
    startDnsServer({
      address,
      port,
      view: { networkId: net.id, internal: net.internal, records, forwarder, clients: clientsOf(net.subnets) },
      limiter,
      log,
      ...(options.tcp && { tcp: options.tcp }),
    });

  /** A new IPv6 gateway is tentative (DAD) for a moment and cannot be bound yet: keep trying. */
  const retryIpv6 = (entry: Running, address: string) => {
    let stopped = false;
    const deadline = performance.now() + (options.ipv6BindRetryMs ?? 10_000);
    const attempt = async () => {
      if (stopped) return;
      try {
        const server = await listen(entry.net, address);
        if (stopped || running.get(entry.net.id) !== entry) return void (await server.close());
        entry.servers.push(server);
        log.info({ network: entry.net.name, address }, 'DNS listening on the IPv6 gateway');
      } catch (e) {
        const errno = e instanceof PatchbayError ? e.details?.errno : undefined;
        if (errno === 'EADDRNOTAVAIL' && performance.now() < deadline) return void (timer = setTimeout(attempt, 250));
        log.warn({ network: entry.net.name, address, err: (e as Error).message }, 'DNS not served on the IPv6 gateway');
      }
    };
    let timer = setTimeout(attempt, 250);
    entry.stopRetry = () => {
      stopped = true;
      clearTimeout(timer);
    };
  };

  const stop = async (entry: Running) => {
    entry.stopRetry?.();
    await Promise.all(entry.servers.map((s) => s.close()));
  };

  const service: DnsService = {
    enabled,
    async addNetwork(net) {
      if (!enabled || (net.gateway4 === undefined && net.gateway6 === undefined)) return undefined;
      await watching;
      const existing = running.get(net.id);
      if (existing && sameNetwork(existing.net, net)) return service.clientConfig(net.id);
      // redefined (new gateway, internal flag, subnets): new listeners, same records
      if (existing) {
        running.delete(net.id);
        await stop(existing);
      }
      clientsOf(net.subnets); // a bad subnet fails here, before anything listens
      const entry: Running = { net, servers: [] };
      try {
        if (net.gateway4 !== undefined) entry.servers.push(await listen(net, net.gateway4));
        if (net.gateway6 !== undefined) {
          try {
            entry.servers.push(await listen(net, net.gateway6));
          } catch (e) {
            if (!(e instanceof PatchbayError) || e.details?.errno !== 'EADDRNOTAVAIL') throw e;
            retryIpv6(entry, net.gateway6);
          }
        }
      } catch (e) {
        await stop(entry);
        throw e;
      }
      running.set(net.id, entry);
      log.info({ network: net.name, addresses: entry.servers.map((s) => s.address) }, 'DNS serving network');
      return service.clientConfig(net.id);
    },

    async removeNetwork(id) {
      const entry = running.get(id);
      running.delete(id);
      records.removeNetwork(id);
      if (entry) await stop(entry);
    },

    upsertEndpoint(networkId, endpoint) {
      if (enabled) records.upsertEndpoint(networkId, endpoint);
    },
    removeEndpoint(networkId, endpointId) {
      if (enabled) records.removeEndpoint(networkId, endpointId);
    },
    records: (networkId) => records.endpoints(networkId),

    clientConfig(networkId) {
      const net = running.get(networkId)?.net;
      if (!net) return undefined;
      const nameservers = [net.gateway4, net.gateway6].filter((a): a is string => a !== undefined);
      return { nameservers, search: [SEARCH_DOMAIN] };
    },

    listeners: (networkId) => (running.get(networkId)?.servers ?? []).map((s) => ({ address: s.address, port: s.port })),
    upstreams: () => resolvConf?.current() ?? [],

    async close() {
      forwarder.close();
      const all = [...running.values()];
      running.clear();
      await Promise.all(all.map(stop));
      (await watching)?.close();
    },
  };
  return service;
}
