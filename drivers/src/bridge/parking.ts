import type { IpOp } from '@patchbay/kernel';
import type { ConfigureSpec, DriverContext, DriverEndpoint, DriverNetwork, ParkedPair } from '../contract.js';
import type { GatewayOps } from '../sandbox-config.js';

/**
 * A join's kernel work with a parked pair taken back (same sandbox, same network: the same bridge,
 * MTU, hairpin and IPv6 address mode): the host end leaves the parked group; the peer gets the
 * addresses, the interface name (if it differs) and the MAC, and comes up; the gateway endpoint
 * gets its routes. The state a new pair would have, in one trip to the kernel and without a
 * rename of a link that is up.
 *
 * `create` (a new pair under the same names) runs instead when the pair cannot be taken back:
 * retired since the join was planned (once it is deleted), gone, or refused half-way (what is left
 * of it is deleted first).
 */
export async function reclaimOrCreate(
  pair: ParkedPair,
  o: { net: DriverNetwork; ep: DriverEndpoint; spec: ConfigureSpec; gatewayOps: GatewayOps },
  ctx: DriverContext,
  create: () => Promise<void>,
): Promise<void> {
  const { net, ep, spec } = o;
  const took = ctx.parkedLinks?.take(pair) ?? { taken: true };
  if (!took.taken) {
    await took.gone;
    return create();
  }
  const inside: IpOp[] = [
    ...[ep.ipv4, ep.ipv6].flatMap((cidr): IpOp[] => (cidr ? [{ op: 'addr.add', dev: pair.peer, cidr }] : [])),
    { op: 'link.set', name: pair.peer, ...(pair.peer !== spec.ifName ? { newName: spec.ifName } : {}), ...(ep.mac ? { mac: ep.mac } : {}), up: true },
    ...(spec.isGateway ? o.gatewayOps(net, spec.ifName) : []),
  ];
  try {
    await ctx.kernel.ipSequence([
      { netns: null, ops: [{ op: 'link.set', name: pair.hostIf, group: 0 }] },
      { netns: pair.netns, ops: inside },
    ]);
  } catch {
    // the pair, and its peer with it
    await ctx.kernel.ip(null, [{ op: 'link.del', name: pair.hostIf }], { ignoreMissing: true });
    await create();
  }
}
