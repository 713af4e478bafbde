import type { CniResult } from '@patchbay/api';
import { formatAddress, tryParseAddress } from '@patchbay/ipam';
import type { AddrInfo, RouteInfo } from '@patchbay/kernel';
import { driverNetwork } from '../controller/core.js';
import type { Controller } from '../controller/index.js';
import { findAttachment, type Attachment } from './attachments.js';
import { cniError } from './errors.js';
import { findConfiguredNetwork } from './network.js';
import type { CniCall } from './request.js';
import { prevResultOf } from './result.js';

/** `10.0.0.2/24`, `fd00:0::2/64` → canonical text, so kernel and prevResult forms compare. */
function canonicalCidr(text: string): string {
  const [ip, len] = text.split('/');
  const a = tryParseAddress(ip ?? '');
  return a ? `${formatAddress(a.family, a.value)}/${len}` : text;
}

const routePresent = (routes: RouteInfo[], dst: string, gw: string | undefined) => {
  const [ip, len] = dst.split('/');
  const family = ip?.includes(':') ? 6 : 4;
  const canonicalGw = gw === undefined ? undefined : formatAddress(family, tryParseAddress(gw)?.value ?? 0n);
  return routes.some(
    (r) =>
      r.family === family &&
      (len === '0' ? r.dst === 'default' : canonicalCidr(r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`) === canonicalCidr(dst)) &&
      (canonicalGw === undefined || r.gateway === canonicalGw),
  );
};

/** What differs between prevResult, the store and the kernel for this attachment (empty: all agree). */
async function differences(controller: Controller, att: Attachment, call: CniCall, prev: CniResult): Promise<string[]> {
  const { kernel, registry, config } = controller.core;
  const { endpoint: ep, network: net } = att;
  const out: string[] = [];
  const interfaces = prev.interfaces ?? [];
  const index = interfaces.findIndex((i) => i.name === call.ifName && i.sandbox === call.netns);
  if (index < 0) return [`prevResult has no interface ${call.ifName} in ${call.netns}`];
  const link = await kernel.link(call.netns, call.ifName);
  if (!link) return [`interface ${call.ifName} is missing from ${call.netns}`];
  const wantMac = interfaces[index]!.mac?.toLowerCase();
  if (wantMac && link.mac.toLowerCase() !== wantMac) out.push(`${call.ifName} has MAC ${link.mac}, prevResult says ${wantMac}`);
  if (!link.up) out.push(`${call.ifName} is down`);

  const addrs: AddrInfo[] = await kernel.addresses(call.netns);
  const have = new Set(addrs.filter((a) => a.dev === call.ifName).map((a) => canonicalCidr(a.cidr)));
  const expected = (prev.ips ?? []).filter((ip) => ip.interface === index).map((ip) => canonicalCidr(ip.address));
  for (const cidr of expected) if (!have.has(cidr)) out.push(`address ${cidr} is missing from ${call.ifName}`);
  for (const cidr of [ep.ipv4, ep.ipv6]) {
    if (cidr && !expected.includes(canonicalCidr(cidr))) out.push(`patchbay holds ${cidr} for this attachment, prevResult does not list it`);
  }

  const routes = await kernel.routes(call.netns);
  for (const r of prev.routes ?? []) if (!routePresent(routes, r.dst, r.gw)) out.push(`route ${r.dst}${r.gw ? ` via ${r.gw}` : ''} is missing`);

  const hostIf = ep.hostIf;
  const bridge = registry.get(net.driver).hostInterface?.(driverNetwork(controller.core, net));
  const host = hostIf ? await kernel.link(null, hostIf) : undefined;
  if (hostIf && !host) out.push(`host interface ${hostIf} is missing`);
  else if (host && bridge && host.master !== bridge) out.push(`host interface ${hostIf} is not on bridge ${bridge}`);
  else if (host && !host.up) out.push(`host interface ${hostIf} is down`);

  if (config.iptables) {
    const fw = await controller.fwSync.check();
    if (!fw.ok) out.push(`firewall: ${fw.reason ?? 'patchbay rules are missing or changed'}`);
  }
  return out;
}

/** CHECK: the attachment exists and its interface, addresses, routes and firewall match prevResult. */
export async function cniCheck(controller: Controller, call: CniCall): Promise<void> {
  const prev = prevResultOf(call.config);
  if (!prev) throw cniError('PB_ERR_CNI_INVALID_CONFIG', 'CHECK needs prevResult');
  const net = findConfiguredNetwork(controller, call.config);
  const att = net ? findAttachment(controller, call.containerId, call.ifName, net) : undefined;
  if (!net || !att) throw cniError('PB_ERR_CNI_UNKNOWN_CONTAINER', `no attachment ${call.containerId}/${call.ifName} in network ${net?.name ?? call.config.network ?? call.config.name}`);
  if (att.sandbox.key !== call.netns) throw cniError('PB_ERR_CNI_CHECK_FAILED', `attachment ${call.containerId}/${call.ifName} lives in ${att.sandbox.key}, not ${call.netns}`);
  const diffs = await differences(controller, att, call, prev);
  if (diffs.length > 0) throw cniError('PB_ERR_CNI_CHECK_FAILED', `attachment ${call.containerId}/${call.ifName} differs from prevResult: ${diffs[0]}`, diffs.join('; '));
}
