import { createHash } from 'node:crypto';
import { PatchbayError } from '@patchbay/errors';
import type { AddrInfo, IpOp, Step } from '@patchbay/kernel';
import type { DriverContext, DriverNetwork } from '../contract.js';
import { bridgeNameFor } from './names.js';
import { removeLinkStep } from './teardown.js';
import { OPT, bridgeMcastSnooping, bridgeMtu } from './options.js';
import { badOption } from '../options.js';

export interface BridgeState extends Record<string, unknown> {
  bridge: string;
  /** patchbay created the device, so network removal deletes it */
  created: boolean;
}

const prefixOf = (cidr: string) => cidr.split('/')[1];
const gatewayCidr = (pool?: { subnet: string; gateway?: string }) =>
  pool?.gateway ? `${pool.gateway}/${prefixOf(pool.subnet)}` : undefined;
/** The addresses the bridge carries: each family's gateway with its subnet's prefix. */
export const gatewayCidrs = (net: DriverNetwork) => [gatewayCidr(net.ipv4), gatewayCidr(net.ipv6)].filter((c): c is string => c !== undefined);

/**
 * A fixed, locally administered MAC from the network id. Without one a Linux bridge takes the
 * lowest MAC of its ports, so every join or leave could change the gateway's MAC under the
 * neighbour caches of the sandboxes already attached (traffic stalls until they expire).
 */
export function bridgeMacFor(id: string): string {
  const b = createHash('sha256').update(id).digest().subarray(0, 6);
  b[0] = (b[0]! & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function bridgeStateOf(net: DriverNetwork): BridgeState {
  const bridge = (net.state.bridge as string | undefined) ?? net.options[OPT.name] ?? bridgeNameFor(net.id);
  return { bridge, created: net.state.created === true };
}

/**
 * Plan a bridge network: create the device (or adopt an existing bridge), give it the gateway
 * addresses (replacing a different IPv4 address, as dockerd does with --bip), and bring it up.
 */
export async function planCreateBridge(net: DriverNetwork, ctx: DriverContext) {
  const bridge = net.options[OPT.name] ?? bridgeNameFor(net.id);
  const mtu = bridgeMtu(net.options, ctx.defaults.mtu);
  let existing = await ctx.kernel.link(null, bridge);
  if (existing && existing.group !== undefined && existing.group === ctx.retiredLinkGroup) {
    // a network deleted a moment ago retired a bridge of this name: wait until it is gone
    await ctx.retiredSettled?.();
    existing = await ctx.kernel.link(null, bridge);
  }
  if (existing && existing.kind !== 'bridge') {
    throw new PatchbayError('PB_ERR_BRIDGE_IN_USE', `device ${bridge} exists and is not a bridge`);
  }
  const want = gatewayCidrs(net);
  const state: BridgeState = { bridge, created: !existing };
  const snooping = bridgeMcastSnooping(net.options);

  if (!existing) {
    const ops: IpOp[] = [{ op: 'bridge.add', name: bridge, mtu, mac: bridgeMacFor(net.id), ...(snooping ? {} : { mcastSnooping: false }) }];
    for (const cidr of want) ops.push({ op: 'addr.add', dev: bridge, cidr });
    ops.push({ op: 'link.set', name: bridge, up: true });
    const step: Step = {
      name: `create bridge ${bridge}`,
      run: () => ctx.kernel.ip(null, ops),
      undo: () => ctx.kernel.ip(null, [{ op: 'link.del', name: bridge }], { ignoreMissing: true }),
    };
    return { steps: [step], state };
  }

  // an existing bridge is taken as it is: the option may only say what it already does
  if (OPT.mcastSnooping in net.options && existing.mcastSnooping !== undefined && existing.mcastSnooping !== snooping) {
    throw badOption(OPT.mcastSnooping, net.options[OPT.mcastSnooping]!, `bridge ${bridge} exists with IGMP/MLD snooping ${existing.mcastSnooping ? 'on' : 'off'}, and patchbay does not change a bridge it did not create`);
  }
  const have: AddrInfo[] = (await ctx.kernel.addresses(null)).filter((a) => a.dev === bridge && a.scope !== 'link');
  const wantV4 = gatewayCidr(net.ipv4);
  const remove = wantV4 ? have.filter((a) => a.family === 4 && a.cidr !== wantV4) : [];
  const add = want.filter((cidr) => !have.some((a) => a.cidr === cidr));
  const ops: IpOp[] = [
    ...remove.map((a): IpOp => ({ op: 'addr.del', dev: bridge, cidr: a.cidr })),
    ...add.map((cidr): IpOp => ({ op: 'addr.add', dev: bridge, cidr })),
    { op: 'link.set', name: bridge, up: true },
  ];
  const undo: IpOp[] = [
    ...add.map((cidr): IpOp => ({ op: 'addr.del', dev: bridge, cidr })),
    ...remove.map((a): IpOp => ({ op: 'addr.add', dev: bridge, cidr: a.cidr })),
  ];
  const step: Step = {
    name: `configure bridge ${bridge}`,
    run: () => ctx.kernel.ip(null, ops),
    undo: async () => {
      if (undo.length > 0) await ctx.kernel.ip(null, undo, { ignoreMissing: true });
    },
  };
  return { steps: [step], state };
}

/** Delete: the bridge goes down (its routes with it) and is retired, or deleted at once (removeLinkStep). */
export function planDeleteBridge(net: DriverNetwork, ctx: DriverContext): Step[] {
  const { bridge, created } = bridgeStateOf(net);
  // A bridge patchbay did not create (--bridge br0, or a named existing bridge) is left as it is.
  return created ? [removeLinkStep('bridge', bridge, ctx)] : [];
}
