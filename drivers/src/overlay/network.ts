import { PatchbayError } from '@patchbay/errors';
import type { IpOp, Step } from '@patchbay/kernel';
import type { DriverContext, DriverDrift, DriverNetwork, RootView } from '../contract.js';
import { bridgeMacFor, gatewayCidrs } from '../bridge/network.js';
import { NETWORK_OPTIONS } from '../options.js';
import { overlayBridgeFor, overlayVxlanFor, VXLAN_ID_OPTION, VXLAN_OVERHEAD, VXLAN_PORT } from './names.js';

export interface OverlayState extends Record<string, unknown> {
  bridge: string;
  vxlan: string;
  vni: number;
  /** bridge-driver compatibility: patchbay made the bridge (so its endpoint code removes it) */
  created: true;
}

function clusterOf(ctx: DriverContext) {
  if (!ctx.cluster) throw new PatchbayError('PB_ERR_NO_CLUSTER', 'overlay networks need a cluster: start patchbayd with --cluster-store and --cluster-advertise');
  return ctx.cluster;
}

/**
 * The overlay's MTU on this host: the underlay's minus VXLAN's 50 bytes (a network's mtu option
 * may only lower it). Containers get it too: a frame bigger than the vxlan can carry is dropped
 * without an ICMP error, a silent black hole.
 */
export function overlayMtu(net: DriverNetwork, ctx: DriverContext): number {
  const limit = clusterOf(ctx).underlayMtu - VXLAN_OVERHEAD;
  const asked = net.options[NETWORK_OPTIONS.mtu] ? Number(net.options[NETWORK_OPTIONS.mtu]) : limit;
  return Math.min(asked, limit);
}

export function overlayStateOf(net: DriverNetwork): OverlayState {
  const vni = Number(net.state.vni ?? net.options[VXLAN_ID_OPTION]);
  return { bridge: overlayBridgeFor(net.id), vxlan: overlayVxlanFor(net.id), vni, created: true };
}

const vxlanOps = (net: DriverNetwork, ctx: DriverContext, mtu: number): IpOp[] => {
  const { bridge, vxlan, vni } = overlayStateOf(net);
  return [
    // no learning: peers come from the cluster store; proxy: ARP/ND answered from those entries
    { op: 'vxlan.add', name: vxlan, vni, dstport: VXLAN_PORT, local: clusterOf(ctx).localAddress, learning: false, proxy: true, mtu },
    { op: 'link.set', name: vxlan, addrgenmode: 'none' },
    { op: 'link.set', name: vxlan, master: bridge, up: true },
  ];
};

/**
 * On each host: a bridge holding the gateway address (the same on every host, with the same MAC
 * from the network id: each host routes its own containers out) and a VXLAN device on it.
 */
export async function planCreateOverlay(net: DriverNetwork, ctx: DriverContext): Promise<{ steps: Step[]; state: OverlayState }> {
  const state = overlayStateOf(net);
  if (!Number.isInteger(state.vni) || state.vni < 1) throw new PatchbayError('PB_ERR_INVALID_OPTION', `overlay network ${net.name} has no VXLAN id`);
  const mtu = overlayMtu(net, ctx);
  const { bridge, vxlan } = state;
  const existing = await ctx.kernel.link(null, bridge);
  if (existing && existing.group !== undefined && existing.group === ctx.retiredLinkGroup) await ctx.retiredSettled?.();
  const bridgeStep: Step = {
    name: `create bridge ${bridge}`,
    run: () =>
      ctx.kernel.ip(null, [
        { op: 'bridge.add', name: bridge, mtu, mac: bridgeMacFor(net.id) },
        ...gatewayCidrs(net).map((cidr): IpOp => ({ op: 'addr.add', dev: bridge, cidr })),
        { op: 'link.set', name: bridge, up: true },
      ]),
    undo: () => ctx.kernel.ip(null, [{ op: 'link.del', name: bridge }], { ignoreMissing: true }),
  };
  const vxlanStep: Step = {
    name: `create vxlan ${vxlan} (VNI ${state.vni})`,
    run: () => ctx.kernel.ip(null, vxlanOps(net, ctx, mtu)),
    undo: () => ctx.kernel.ip(null, [{ op: 'link.del', name: vxlan }], { ignoreMissing: true }),
  };
  return { steps: [bridgeStep, vxlanStep], state: { ...state, created: true } };
}

/**
 * Delete: the vxlan at once (its VNI must be free for a network made next; made again if a later
 * step fails), then the bridge, retired for the reaper like a bridge network's.
 */
export function planDeleteOverlay(net: DriverNetwork, ctx: DriverContext): Step[] {
  const { bridge, vxlan } = overlayStateOf(net);
  const group = ctx.retiredLinkGroup;
  return [
    {
      name: `delete vxlan ${vxlan}`,
      run: () => ctx.kernel.ip(null, [{ op: 'link.del', name: vxlan }], { ignoreMissing: true }),
      undo: () => ctx.kernel.ip(null, vxlanOps(net, ctx, overlayMtu(net, ctx))),
    },
    group === undefined
      ? { name: `delete bridge ${bridge}`, run: () => ctx.kernel.ip(null, [{ op: 'link.del', name: bridge }], { ignoreMissing: true }) }
      : { name: `retire bridge ${bridge}`, run: () => ctx.kernel.ip(null, [{ op: 'link.set', name: bridge, up: false, group }], { ignoreMissing: true }) },
  ];
}

/** The vxlan device exists, is on the bridge and up (the bridge is checked as a bridge network's). */
export function checkVxlan(net: DriverNetwork, root: RootView, ctx: DriverContext): DriverDrift[] {
  const { bridge, vxlan } = overlayStateOf(net);
  const link = root.links.get(vxlan);
  if (!link) {
    return [
      {
        kind: 'vxlan-missing',
        found: `vxlan ${vxlan} is missing`,
        action: `re-create vxlan ${vxlan}`,
        remadeDevice: true,
        repair: () => ctx.kernel.ip(null, vxlanOps(net, ctx, overlayMtu(net, ctx))),
      },
    ];
  }
  if (link.master === bridge && link.up) return [];
  return [
    {
      kind: 'vxlan-detached',
      found: `vxlan ${vxlan} is ${link.master !== bridge ? `not on bridge ${bridge}` : 'down'}`,
      action: `attach ${vxlan} to ${bridge} and set it up`,
      repair: () => ctx.kernel.ip(null, [{ op: 'link.set', name: vxlan, master: bridge, up: true }]),
    },
  ];
}
