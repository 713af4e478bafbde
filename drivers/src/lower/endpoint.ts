import { PatchbayError } from '@patchbay/errors';
import type { IpOp, Step } from '@patchbay/kernel';
import type {
  AttachPlan,
  AttachTarget,
  DriverContext,
  DriverDrift,
  DriverEndpoint,
  DriverNetwork,
  DriverSandbox,
  EndpointCheck,
  JoinedEndpoint,
} from '../contract.js';
import { checkInside } from '../sandbox-config.js';
import { lowerStateOf } from './network.js';
import { lowerFlag, lowerMode, lowerMtu, PARENT_OPTION } from './options.js';
import type { LowerSpec } from './spec.js';

/**
 * The default route of a sandbox on the network: via the gateway, or (ipvlan l3/l3s, where the
 * parent routes) via the device. None on an internal network, or one without parent (Docker
 * makes those internal).
 */
export function lowerGatewayOps(spec: LowerSpec, net: DriverNetwork, ifName: string): IpOp[] {
  if (net.internal || net.options[PARENT_OPTION] === undefined) return [];
  const viaDevice = spec.routesViaDevice(lowerMode(spec, net));
  const ops: IpOp[] = [];
  for (const [pool, dst] of [[net.ipv4, 'default'], [net.ipv6, '::/0']] as const) {
    if (!pool) continue;
    if (viaDevice) ops.push({ op: 'route.add', dst, dev: ifName });
    else if (pool.gateway) ops.push({ op: 'route.add', dst, via: pool.gateway, dev: ifName });
  }
  return ops;
}

/** Attach: the endpoint's link on the parent, made straight in the target namespace under the target name. No host side. */
export function planAttachLower(spec: LowerSpec, net: DriverNetwork, ep: DriverEndpoint, target: AttachTarget, ctx: DriverContext): AttachPlan {
  const { parent } = lowerStateOf(net);
  const mtu = lowerMtu(net);
  const flag = lowerFlag(spec, net);
  const mode = lowerMode(spec, net);
  const op = spec.linkOp({
    name: target.ifName,
    parent,
    mode,
    netns: target.netns,
    ...(flag ? { flag } : {}),
    ...(mtu ? { mtu } : {}),
    ...(ep.mac && !spec.sharesParentMac(mode) ? { mac: ep.mac } : {}),
  });
  const step: Step = {
    name: `create ${spec.kind} ${target.ifName} on ${parent}`,
    run: () => ctx.kernel.ip(null, [op]),
    undo: () => ctx.kernel.ip(target.netns, [{ op: 'link.del', name: target.ifName }], { ignoreMissing: true }),
  };
  return { steps: [step], hostIf: null };
}

/** Leave: the link goes, from the sandbox (or, attached only, from the daemon's namespace); "already gone" is success. */
export function planLeaveLower(spec: LowerSpec, ep: JoinedEndpoint, sb: DriverSandbox | undefined, ctx: DriverContext): Step[] {
  const ifName = ep.ifName;
  if (!ifName) return [];
  return [{ name: `delete ${spec.kind} ${ifName}`, run: () => ctx.kernel.ip(sb?.key ?? null, [{ op: 'link.del', name: ifName }], { ignoreMissing: true }) }];
}

/**
 * After a crash: the link in the sandbox goes. With the sandbox's namespace gone there is
 * nothing left: the link lived only there and died with it.
 */
export async function teardownLowerEndpoint(ep: JoinedEndpoint, sb: DriverSandbox | undefined, ctx: DriverContext): Promise<void> {
  if (!sb || !ep.ifName) return;
  await ctx.kernel.ip(sb.key, [{ op: 'link.del', name: ep.ifName }], { ignoreMissing: true });
}

/**
 * The endpoint's link is gone (the kernel deletes a parent's links with it). A parent patchbay
 * made comes back first (the network's repair runs before the endpoints'), so the endpoint
 * re-joins; on a lost parent patchbay did not make the re-join has nothing to stand on: the drift
 * says so, and its repair refuses until someone restores the parent.
 */
function lostLinkDrift(net: DriverNetwork, ifName: string, view: EndpointCheck): DriverDrift {
  const found = `interface ${ifName} is missing from the sandbox`;
  const { parent, created } = lowerStateOf(net);
  if (created || view.root.links.has(parent)) return { kind: 'endpoint-link-missing', found, action: `re-join (lost ${ifName} in the sandbox)`, repair: view.rejoin };
  return {
    kind: 'endpoint-link-missing',
    found,
    action: `re-join once parent interface ${parent} is back on the host (lost ${ifName} in the sandbox with it)`,
    repair: () => Promise.reject(new PatchbayError('PB_ERR_NOT_FOUND', `cannot re-join: parent interface ${parent} of network ${net.name} is gone`)),
  };
}

/** A joined endpoint (deep checks): its link in the sandbox, its addresses and default route. */
export async function checkLowerEndpoint(
  spec: LowerSpec,
  net: DriverNetwork,
  ep: JoinedEndpoint,
  sb: DriverSandbox,
  view: EndpointCheck,
  ctx: DriverContext,
): Promise<DriverDrift[]> {
  const ifName = ep.ifName;
  // no host side: only a look inside the sandbox can tell
  if (!view.sandbox || !ifName) return [];
  const link = (await view.sandbox.links()).find((l) => l.name === ifName);
  if (!link) return [lostLinkDrift(net, ifName, view)];
  // an ipvlan (or macvlan passthru) link has its parent's MAC, never the endpoint's
  const checkMac = !spec.sharesParentMac(lowerMode(spec, net));
  return checkInside(net, ep, link, sb, view, ctx, { gatewayOps: (n, i) => lowerGatewayOps(spec, n, i), checkMac });
}
