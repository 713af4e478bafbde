import type { IpOp, Step } from '@patchbay/kernel';
import type { DriverContext, DriverEndpoint, DriverNetwork, DriverSandbox, JoinPlan, JoinSpec } from '../contract.js';
import { hostVethFor } from './names.js';
import { removeLinkStep } from './teardown.js';
import { OPT, bridgeMtu } from './options.js';
import { bridgeStateOf } from './network.js';

/** eth<N> (or the network's container_iface_prefix) inside the sandbox. */
export const ifNameFor = (net: Pick<DriverNetwork, 'options'>, ifIndex: number) => `${net.options[OPT.ifacePrefix] ?? 'eth'}${ifIndex}`;

export function gatewayOps(net: DriverNetwork, ifName: string): IpOp[] {
  if (net.internal) return [];
  const ops: IpOp[] = [];
  if (net.ipv4?.gateway) ops.push({ op: 'route.add', dst: 'default', via: net.ipv4.gateway, dev: ifName });
  if (net.ipv6?.gateway) ops.push({ op: 'route.add', dst: '::/0', via: net.ipv6.gateway, dev: ifName });
  return ops;
}

/**
 * Join: a veth pair whose peer is created directly inside the sandbox as eth<N>, enslaved to the
 * bridge in hairpin mode (one process on the host side), then addresses, link up and the default
 * route inside the sandbox (one more).
 */
export function planJoinBridge(
  net: DriverNetwork,
  ep: DriverEndpoint,
  sb: DriverSandbox,
  join: JoinSpec,
  ctx: DriverContext,
): JoinPlan {
  const { bridge } = bridgeStateOf(net);
  const hostIf = hostVethFor(ep.id);
  const ifName = join.ifName ?? ifNameFor(net, join.ifIndex);
  const mtu = bridgeMtu(net.options, ctx.defaults.mtu);
  // An IPv4-only network needs no IPv6 link-local addresses: without them no IPv6 multicast is
  // flooded to every port of the bridge, so attaching stays as cheap at 1000 ports as at 10.
  const noV6 = net.ipv6 === undefined;
  const inside: IpOp[] = noV6 ? [{ op: 'link.set', name: ifName, addrgenmode: 'none' }] : [];
  if (ep.ipv4) inside.push({ op: 'addr.add', dev: ifName, cidr: ep.ipv4 });
  if (ep.ipv6) inside.push({ op: 'addr.add', dev: ifName, cidr: ep.ipv6 });
  inside.push({ op: 'link.set', name: ifName, up: true });
  if (join.isGateway) inside.push(...gatewayOps(net, ifName));

  const steps: Step[] = [
    {
      name: `create veth ${hostIf} on ${bridge}`,
      run: () =>
        ctx.kernel.ip(null, [
          { op: 'veth.add', name: hostIf, peer: ifName, peerNetns: sb.key, mtu, ...(ep.mac ? { peerMac: ep.mac } : {}) },
          ...(noV6 ? [{ op: 'link.set' as const, name: hostIf, addrgenmode: 'none' as const }] : []),
          { op: 'link.set', name: hostIf, master: bridge, up: true },
          // with br_netfilter, a sandbox reaching its own published port needs its frames sent
          // back out of the port they came in on (the bridge-port flag needs the master set first)
          { op: 'link.set', name: hostIf, hairpin: true },
        ]),
      undo: () => ctx.kernel.ip(null, [{ op: 'link.del', name: hostIf }], { ignoreMissing: true }),
    },
    { name: `configure ${ifName} in sandbox ${sb.id.slice(0, 12)}`, run: () => ctx.kernel.ip(sb.key, inside) },
  ];
  return { steps, hostIf, ifName };
}

/**
 * Leave: the host end goes down (its peer in the sandbox loses carrier, the bridge port stops
 * forwarding) and is retired for the reaper, or deleted at once (see removeLinkStep).
 */
export function planLeaveBridge(ep: DriverEndpoint & { hostIf: string | null }, ctx: DriverContext): Step[] {
  return [removeLinkStep('veth', ep.hostIf ?? hostVethFor(ep.id), ctx)];
}
