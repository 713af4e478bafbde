import type { CniResult } from '@patchbay/api';
import { formatInterfaceAddress, tryParseCidr } from '@patchbay/ip';
import { checkJoinedEndpoint } from '../controller/reconcile/endpoints.js';
import type { Controller } from '../controller/index.js';
import { findAttachment, type Attachment } from './attachments.js';
import { cniError } from './errors.js';
import { findConfiguredNetwork } from './network.js';
import type { CniCall } from './request.js';
import { prevResultOf } from './result.js';

/** `fd00:0::2/64` → `fd00::2/64`, so prevResult's and patchbay's forms compare. */
const canonical = (cidr: string) => {
  const c = tryParseCidr(cidr);
  return c ? formatInterfaceAddress(c) : cidr;
};

/** What differs between prevResult and what patchbay holds for the attachment (its interface, MAC, addresses). */
function prevResultDifferences(att: Attachment, call: CniCall, prev: CniResult): string[] {
  const { endpoint: ep } = att;
  const interfaces = prev.interfaces ?? [];
  const index = interfaces.findIndex((i) => i.name === call.ifName && i.sandbox === call.netns);
  if (index < 0) return [`prevResult has no interface ${call.ifName} in ${call.netns}`];
  const out: string[] = [];
  const wantMac = interfaces[index]!.mac?.toLowerCase();
  if (wantMac && ep.mac && ep.mac.toLowerCase() !== wantMac) out.push(`${call.ifName} has MAC ${ep.mac}, prevResult says ${wantMac}`);
  const listed = (prev.ips ?? []).filter((ip) => ip.interface === index).map((ip) => canonical(ip.address));
  const held = [ep.ipv4, ep.ipv6].filter((c): c is string => !!c).map(canonical);
  for (const cidr of held) if (!listed.includes(cidr)) out.push(`patchbay holds ${cidr} for this attachment, prevResult does not list it`);
  for (const cidr of listed) if (!held.includes(cidr)) out.push(`prevResult lists ${cidr} on ${call.ifName}, patchbay does not hold it`);
  return out;
}

/**
 * What differs for this attachment: prevResult against the store, then the kernel against the
 * store through the driver's endpoint check (interface, host side, addresses, default route),
 * then the firewall. Empty: all agree.
 */
async function differences(controller: Controller, att: Attachment, call: CniCall, prev: CniResult): Promise<string[]> {
  const out = prevResultDifferences(att, call, prev);
  const drifts = await checkJoinedEndpoint(controller.core, att.endpoint, att.network, att.sandbox);
  out.push(...drifts.map((d) => d.found ?? `${d.kind}: ${d.action}`));
  if (controller.core.config.iptables) {
    const fw = await controller.firewallSync.check();
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
