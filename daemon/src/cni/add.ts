import { MacAddress, NAME_RE, type CniNetConf, type CniResult } from '@patchbay/api';
import { formatAddress, tryParseCidr } from '@patchbay/ip';
import type { ConnectInput } from '../controller/endpoints.js';
import type { Controller } from '../controller/index.js';
import type { PortRequest } from '../controller/ports.js';
import { adoptSandbox, attachmentsOf, findAttachment, removeSandbox } from './attachments.js';
import { cniError } from './errors.js';
import { ensureNetwork, networkNameOf } from './network.js';
import type { CniCall } from './request.js';
import { attachmentResult, prevResultOf } from './result.js';

/**
 * Static addresses: the `ips` capability, else `args.cni.ips`, else CNI_ARGS `IP=` (what podman
 * sends for --ip). At most one per family; a prefix length is accepted and ignored.
 */
function requestedAddresses(call: CniCall): { ipv4Address?: string; ipv6Address?: string } {
  const { config } = call;
  const [source, list] = config.runtimeConfig?.ips?.length
    ? ['runtimeConfig.ips', config.runtimeConfig.ips]
    : config.args?.cni?.ips?.length
      ? ['args.cni.ips', config.args.cni.ips]
      : ['CNI_ARGS IP', call.args.ips];
  const code = source === 'CNI_ARGS IP' ? 'PB_ERR_CNI_INVALID_ENV' : 'PB_ERR_CNI_INVALID_CONFIG';
  const out: { ipv4Address?: string; ipv6Address?: string } = {};
  for (const text of list) {
    const parsed = tryParseCidr(text, { bareAddressIsHost: true });
    if (!parsed) throw cniError(code, `${source}: ${JSON.stringify(text)} is not an IP address`);
    const { family } = parsed;
    const address = formatAddress(family, parsed.value);
    const key = family === 4 ? 'ipv4Address' : 'ipv6Address';
    if (out[key] !== undefined && out[key] !== address) throw cniError(code, `${source}: more than one IPv${family} address (${out[key]}, ${address})`);
    out[key] = address;
  }
  return out;
}

function requestedMac(call: CniCall): string | undefined {
  const { config } = call;
  const [source, mac] = config.runtimeConfig?.mac ? ['runtimeConfig.mac', config.runtimeConfig.mac] : config.args?.cni?.mac ? ['args.cni.mac', config.args.cni.mac] : ['CNI_ARGS MAC', call.args.mac];
  if (mac === undefined) return undefined;
  const r = MacAddress.safeParse(mac);
  if (!r.success) throw cniError(source === 'CNI_ARGS MAC' ? 'PB_ERR_CNI_INVALID_ENV' : 'PB_ERR_CNI_INVALID_CONFIG', `${source}: ${JSON.stringify(mac)} ${r.error.issues[0]!.message}`);
  return r.data.toLowerCase();
}

/** `portMappings` (podman's camelCase and containerd's PascalCase alike) as published ports. */
const portsOf = (config: CniNetConf): PortRequest[] =>
  (config.runtimeConfig?.portMappings ?? []).map((m) => ({
    ...(m.hostIP ? { hostIp: m.hostIP } : {}),
    hostPort: m.hostPort,
    containerPort: m.containerPort,
    protocol: m.protocol,
  }));

/** The `aliases` capability: names for this network (podman keys them by CNI network name). */
function aliasesOf(config: CniNetConf): string[] {
  const aliases = config.runtimeConfig?.aliases?.[config.name] ?? config.runtimeConfig?.aliases?.[networkNameOf(config)] ?? [];
  const bad = aliases.find((a) => !NAME_RE.test(a));
  if (bad !== undefined) throw cniError('PB_ERR_CNI_INVALID_CONFIG', `runtimeConfig.aliases: ${JSON.stringify(bad)} is not a valid name`);
  return [...new Set(aliases)];
}

/**
 * ADD: the network (made from `ipam` on first use), the container's sandbox adopting CNI_NETNS,
 * and an endpoint joined to it as CNI_IFNAME. A failure leaves nothing behind: the controller
 * rolls the connect back, and a sandbox made for this ADD goes again.
 */
export async function cniAdd(controller: Controller, call: CniCall): Promise<CniResult> {
  // everything the request asks for is checked before the network is made
  const prev = prevResultOf(call.config);
  const input: ConnectInput = {
    ...requestedAddresses(call),
    ifName: call.ifName,
    ports: portsOf(call.config),
    aliases: aliasesOf(call.config),
  };
  const mac = requestedMac(call);
  if (mac) input.macAddress = mac;
  const net = await ensureNetwork(controller, call.config);
  return controller.core.locks.with([`cni:${call.containerId}`], async () => {
    const existing = findAttachment(controller, call.containerId, call.ifName);
    if (existing?.sandbox.key === call.netns) {
      throw cniError('PB_ERR_IFNAME_IN_USE', `container ${call.containerId} already has interface ${call.ifName} (network ${existing.network.name}); DEL it first`);
    }
    const { sandbox, created } = await adoptSandbox(controller, call);
    try {
      const endpoint = await controller.endpoints.connect(net.id, sandbox.id, input);
      return attachmentResult(controller, { sandbox, endpoint, network: net }, call.config, prev);
    } catch (err) {
      const current = controller.core.store.sandboxById(sandbox.id);
      if (created && current && attachmentsOf(controller, current).length === 0) await removeSandbox(controller, current);
      throw err;
    }
  });
}
