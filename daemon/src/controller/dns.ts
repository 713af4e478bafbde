/**
 * patchbay's DNS service as the controller drives it: which networks it serves, the steps that
 * start and stop a network's server inside network create and delete, records that follow the
 * change feed, and what a start rebuilds from the store.
 */
import { PatchbayError } from '@patchbay/errors';
import type { Step } from '@patchbay/kernel';
import type { DnsNetwork, EndpointNames } from '../dns/index.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../store/index.js';
import type { Core } from './core.js';
import { driverNetwork } from './driver-objects.js';

/** `-o patchbay.dns=false` turns a network's DNS off. */
export const DNS_OPTION = 'patchbay.dns';

/** Check and normalise `patchbay.dns` (true/false, as the bridge's boolean options); other options pass. */
export function validateDnsOption(options: Record<string, string>): Record<string, string> {
  const value = options[DNS_OPTION];
  if (value === undefined) return options;
  const v = value.toLowerCase();
  const normal = ['true', '1', 't'].includes(v) ? 'true' : ['false', '0', 'f'].includes(v) ? 'false' : undefined;
  if (!normal) throw new PatchbayError('PB_ERR_INVALID_OPTION', `invalid value for option ${DNS_OPTION}: "${value}": must be true or false`);
  return { ...options, [DNS_OPTION]: normal };
}

/**
 * Whether `net` gets a DNS server: a user-defined network whose gateway lives on a host interface
 * (a bridge), unless turned off. The default `bridge` has none, as in Docker; host and none have
 * no gateway.
 */
export function dnsNetworkOf(core: Core, net: NetworkRecord): DnsNetwork | undefined {
  if (!core.dns.enabled || net.predefined || net.options[DNS_OPTION] === 'false') return undefined;
  const dnet = driverNetwork(core.store, net);
  if (core.registry.get(net.driver).hostInterface?.(dnet) === undefined) return undefined;
  return {
    id: net.id,
    name: net.name,
    internal: net.internal,
    ...(dnet.ipv4?.gateway ? { gateway4: dnet.ipv4.gateway } : {}),
    ...(dnet.ipv6?.gateway ? { gateway6: dnet.ipv6.gateway } : {}),
    subnets: core.store.poolsOf(net.id).map((p) => p.subnet),
  };
}

/** The last step of a network create: serve its names (port 53 taken fails, and rolls the create back). */
export function startDnsSteps(core: Core, net: NetworkRecord): Step[] {
  const dnet = dnsNetworkOf(core, net);
  if (!dnet) return [];
  return [
    {
      name: `serve DNS on network ${net.name}`,
      run: async () => void (await core.dns.addNetwork(dnet)),
      undo: () => core.dns.removeNetwork(net.id),
    },
  ];
}

/** The first step of a network delete (it has no endpoints, so no records to give back on undo). */
export function stopDnsSteps(core: Core, net: NetworkRecord): Step[] {
  const dnet = dnsNetworkOf(core, net);
  if (!dnet) return [];
  return [
    {
      name: `stop DNS on network ${net.name}`,
      run: () => core.dns.removeNetwork(net.id),
      undo: async () => void (await core.dns.addNetwork(dnet)),
    },
  ];
}

/** What a joined endpoint publishes: its sandbox's name, then the endpoint's aliases. */
export const endpointNames = (sb: SandboxRecord, ep: EndpointRecord): EndpointNames => ({
  endpointId: ep.id,
  sandboxId: sb.id,
  names: [sb.name, ...ep.aliases],
  containerId: sb.containerId,
  ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}),
  ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}),
});

/**
 * Records follow the endpoints. The feed is synchronous and every change is published right after
 * the store commit that made it, so the records change in the same tick as the store: a
 * disconnected sandbox stops resolving before its disconnect is answered. Returns the unsubscribe.
 */
export function followChanges(core: Core): () => void {
  return core.changes.subscribe((change) => {
    switch (change.type) {
      case 'endpoint.joined':
        if (dnsNetworkOf(core, change.network)) core.dns.upsertEndpoint(change.network.id, endpointNames(change.sandbox, change.endpoint));
        break;
      case 'endpoint.left':
      case 'endpoint.removed':
        core.dns.removeEndpoint(change.network.id, change.endpoint.id);
        break;
    }
  });
}

/**
 * At start, after recovery and reconcile (bridges and their addresses are back): serve every
 * DNS network and publish its joined endpoints, so a restart answers the same names. A network
 * whose server cannot start is logged and left without DNS; the daemon still starts.
 */
export async function restoreDns(core: Core): Promise<void> {
  const { store, log } = core;
  const sandboxes = new Map(store.sandboxes().map((sb) => [sb.id, sb]));
  for (const net of store.networks()) {
    const dnet = net.state === 'ready' ? dnsNetworkOf(core, net) : undefined;
    if (!dnet) continue;
    try {
      await core.dns.addNetwork(dnet);
    } catch (err) {
      log.error({ err, network: net.name }, 'DNS cannot be served on this network');
    }
    for (const ep of store.endpointsOf(net.id)) {
      const sb = ep.sandboxId ? sandboxes.get(ep.sandboxId) : undefined;
      if (sb) core.dns.upsertEndpoint(net.id, endpointNames(sb, ep));
    }
  }
}
