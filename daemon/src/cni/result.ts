import { CniResult, type CniDns, type CniIpConfig, type CniNetConf } from '@patchbay/api';
import { familyOf } from '@patchbay/ip';
import { driverNetwork } from '../controller/driver-objects.js';
import { gatewayOf } from '../controller/join.js';
import type { Controller } from '../controller/index.js';
import type { Attachment } from './attachments.js';
import { cniError } from './errors.js';
import { versionAtLeast } from './request.js';

/** The chained plugin's result, read leniently (any supported version); undefined when there is none. */
export function prevResultOf(config: CniNetConf): CniResult | undefined {
  if (config.prevResult === undefined) return undefined;
  const r = CniResult.safeParse(config.prevResult);
  if (!r.success) throw cniError('PB_ERR_CNI_INVALID_CONFIG', `prevResult: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * The attachment as a CNI result, appended to the previous plugin's: the host side (bridge and
 * veth, no sandbox), the container's interface with its MAC and namespace, its addresses pointing
 * at it, the default route when this attachment gives the sandbox its default route, and DNS.
 */
export function attachmentResult(controller: Controller, att: Attachment, config: CniNetConf, prev: CniResult | undefined): CniResult {
  const { store, registry } = controller.core;
  const { endpoint: ep, network: net, sandbox: sb } = att;
  const interfaces = [...(prev?.interfaces ?? [])];
  const bridge = registry.get(net.driver).hostInterface?.(driverNetwork(store, net));
  if (bridge && !interfaces.some((i) => i.name === bridge && !i.sandbox)) interfaces.push({ name: bridge });
  if (ep.hostIf) interfaces.push({ name: ep.hostIf });
  const index = interfaces.push({ name: ep.ifName!, ...(ep.mac ? { mac: ep.mac } : {}), sandbox: sb.key }) - 1;
  const pools = store.poolsOf(net.id);
  const poolGateway = (family: 4 | 6) => pools.find((p) => p.family === family)?.gateway;
  const ips: CniIpConfig[] = [...(prev?.ips ?? [])];
  const routes = [...(prev?.routes ?? [])];
  const isGateway = gatewayOf(controller.core, sb)?.id === ep.id;
  for (const [family, cidr] of [[4, ep.ipv4], [6, ep.ipv6]] as const) {
    if (!cidr) continue;
    const gateway = poolGateway(family);
    ips.push({ address: cidr, ...(gateway ? { gateway } : {}), interface: index });
    if (isGateway && gateway && !net.internal) routes.push({ dst: family === 4 ? '0.0.0.0/0' : '::/0', gw: gateway });
  }
  return { interfaces, ips, routes, dns: dnsOf(controller, att, config, prev) };
}

/**
 * The network's DNS server and search domain first (when it serves DNS), then what the
 * configuration or the previous plugin gave; without a server, theirs unchanged.
 */
function dnsOf(controller: Controller, att: Attachment, config: CniNetConf, prev: CniResult | undefined): CniDns {
  const given = config.dns ?? prev?.dns ?? {};
  const served = controller.core.dns.clientConfig(att.network.id);
  if (!served) return given;
  const merged = (ours: string[], theirs: string[] = []) => [...new Set([...ours, ...theirs])];
  return { ...given, nameservers: merged(served.nameservers, given.nameservers), search: merged(served.search, given.search) };
}

/** A result in the version the configuration asked for: 0.3.x/0.4.0 carry `version` per address, 1.x do not. */
export function formatResult(result: CniResult, cniVersion: string): CniResult {
  const legacy = !versionAtLeast(cniVersion, '1.0.0');
  const ips = (result.ips ?? []).map(({ version: _drop, ...ip }) => (legacy ? { version: familyOf(ip.address) === 6 ? ('6' as const) : ('4' as const), ...ip } : ip));
  return { cniVersion, interfaces: result.interfaces ?? [], ips, routes: result.routes ?? [], dns: result.dns ?? {} };
}
