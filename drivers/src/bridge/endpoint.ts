import { appliedSome, type IpOp, type Step } from '@patchbay/kernel';
import type {
  AttachPlan,
  AttachTarget,
  ConfigureSpec,
  DriverContext,
  DriverEndpoint,
  DriverNetwork,
  DriverSandbox,
  JoinedEndpoint,
  ParkedLinks,
  ParkedPair,
} from '../contract.js';
import { configureInsideOps, planConfigureInside } from '../sandbox-config.js';
import { hostVethFor, retiredPeerFor } from './names.js';
import { reclaimOrCreate } from './parking.js';
import { removeLinkStep } from './teardown.js';
import { bridgeMtu } from './options.js';
import { bridgeStateOf } from './network.js';

export function gatewayOps(net: DriverNetwork, ifName: string): IpOp[] {
  if (net.internal) return [];
  const ops: IpOp[] = [];
  if (net.ipv4?.gateway) ops.push({ op: 'route.add', dst: 'default', via: net.ipv4.gateway, dev: ifName });
  if (net.ipv6?.gateway) ops.push({ op: 'route.add', dst: '::/0', via: net.ipv6.gateway, dev: ifName });
  return ops;
}

/**
 * An IPv4-only network needs no IPv6 link-local addresses: without them no IPv6 multicast is
 * flooded to every port of the bridge, so attaching stays as cheap at 1000 ports as at 10.
 */
const withoutV6 = (net: DriverNetwork) => net.ipv6 === undefined;

/**
 * Attach: a veth pair whose peer is created directly in the target namespace under the target
 * name (with the endpoint's MAC), the host end enslaved to the bridge and up in the same request
 * (no carrier until the peer is up, so no IPv6 link-local address yet), then, in one more
 * request, without IPv6 addresses and in hairpin mode: one batch on the host side. In a join the
 * peer is configured in the same kernel call (one trip to the kernel's worker thread).
 */
export function planAttachBridge(net: DriverNetwork, ep: DriverEndpoint, target: AttachTarget, ctx: DriverContext): AttachPlan {
  const { bridge } = bridgeStateOf(net);
  // a parked pair of this sandbox and network is set up again rather than a new one made (see reclaimOrCreate)
  const parked = target.parked && target.configure && ep.mac ? target.parked : undefined;
  const hostIf = parked?.hostIf ?? hostVethFor(ep.id);
  const mtu = bridgeMtu(net.options, ctx.defaults.mtu);
  const noV6 = withoutV6(net);
  const hostOps: IpOp[] = [
    { op: 'veth.add', name: hostIf, peer: target.ifName, peerNetns: target.netns, mtu, ...(ep.mac ? { peerMac: ep.mac } : {}), master: bridge, up: true },
    // with br_netfilter, a sandbox reaching its own published port needs its frames sent
    // back out of the port they came in on (the bridge-port flag needs the master set first)
    { op: 'link.set', name: hostIf, ...(noV6 ? { addrgenmode: 'none' as const } : {}), hairpin: true },
  ];
  const inside = target.configure ? configureInsideOps(net, ep, target.configure, gatewayOps) : undefined;
  // the peer, configured or not, goes with it
  const remove = () => ctx.kernel.ip(null, [{ op: 'link.del', name: hostIf }], { ignoreMissing: true });
  const create = async () => {
    try {
      if (inside) await ctx.kernel.ipSequence([{ netns: null, ops: hostOps }, { netns: target.netns, ops: inside }]);
      else await ctx.kernel.ip(null, hostOps);
    } catch (err) {
      // the veth was made before an op after it failed: a failed step leaves nothing behind
      if (appliedSome(err)) await remove();
      throw err;
    }
    // a bridge port forwards IPv6 frames without IPv6 of its own (the bridge holds the addresses)
    ctx.quietHostLink?.(hostIf);
  };
  const step: Step = parked
    ? { name: `set up parked veth ${hostIf} on ${bridge} as ${target.ifName}`, run: () => reclaimOrCreate(parked, { net, ep, spec: target.configure!, gatewayOps }, ctx, create), undo: remove }
    : { name: `create veth ${hostIf} on ${bridge}${inside ? ` and configure ${target.ifName}` : ''}`, run: create, undo: remove };
  return { steps: [step], hostIf, configured: inside !== undefined, ...(parked ? { takesParked: true } : {}) };
}

/** Configure, inside the sandbox: addresses, link up and (for the gateway endpoint) the default route; one batch. */
export function planConfigureBridge(net: DriverNetwork, ep: DriverEndpoint, sb: DriverSandbox, spec: ConfigureSpec, ctx: DriverContext): Step[] {
  return planConfigureInside(net, ep, sb, spec, ctx, gatewayOps);
}

/**
 * Leave: the host end is retired for the reaper, or deleted at once (see removeLinkStep), and
 * with its peer in the sandbox down the host end has no carrier: the bridge port stops
 * forwarding. Without a sandbox to work in (a detach) the host end goes down itself. A retired
 * veth lives until the reaper deletes it, so its peer in the sandbox goes down and gives up its
 * name at once (see retirePeerStep): a join into that sandbox right after gets it again.
 * With `park` (the endpoint goes with the leave) the pair is parked instead (see
 * DriverContext.parkedLinks): both ends keep their names, the peer down without addresses.
 */
export function planLeaveBridge(net: DriverNetwork, ep: JoinedEndpoint, sb: DriverSandbox | undefined, ctx: DriverContext, opts: { park?: boolean } = {}): Step[] {
  const hostIf = ep.hostIf ?? hostVethFor(ep.id);
  const inSandbox = ctx.retiredLinkGroup !== undefined && sb && ep.ifName ? { sb, ifName: ep.ifName } : undefined;
  if (inSandbox && opts.park && ctx.parkedLinks) {
    // parked, not retired: a join of this sandbox to this network sets the pair up again
    const pair: ParkedPair = { network: net.id, sandbox: inSandbox.sb.id, netns: inSandbox.sb.key, hostIf, peer: inSandbox.ifName, retiredPeer: retiredPeerFor(ep.id) };
    // the host end up in the parked group: its carrier goes with the peer
    return [removeLinkStep('veth', hostIf, ctx, { keepUp: true, parkIn: ctx.parkedLinks.group }), retirePeerStep(inSandbox.sb, ep, inSandbox.ifName, undefined, ctx, { parked: ctx.parkedLinks, pair })];
  }
  const retirePeer = inSandbox ? retirePeerStep(inSandbox.sb, ep, inSandbox.ifName, retiredPeerFor(ep.id), ctx) : undefined;
  // with the peer going down, the host end only changes group: its carrier goes with the peer
  const steps = [removeLinkStep('veth', hostIf, ctx, { keepUp: retirePeer !== undefined })];
  if (retirePeer) steps.push(retirePeer);
  return steps;
}

/**
 * The peer goes down (its routes and IPv6 addresses go with it, so nothing it held stands in a
 * new interface's way), gives up its IPv4 address (which a down link keeps: the container would
 * show it until the reaper deletes the link) and takes `retiredName`, in one batch inside the
 * sandbox. Down first: kernels before 6.2 refuse to rename a link that is up. A sandbox whose
 * namespace is gone has nothing to rename. `parking`: no new name; once down, the pair is parked.
 */
function retirePeerStep(sb: DriverSandbox, ep: JoinedEndpoint, ifName: string, retiredName: string | undefined, ctx: DriverContext, parking?: { parked: ParkedLinks; pair: ParkedPair }): Step {
  const v4: IpOp[] = ep.ipv4 ? [{ op: 'addr.del', dev: ifName, cidr: ep.ipv4 }] : [];
  const away: IpOp[] = retiredName ? [{ op: 'link.set', name: ifName, newName: retiredName }] : [];
  const back: IpOp[] = retiredName ? [{ op: 'link.set', name: retiredName, newName: ifName }] : [];
  return {
    name: `${parking ? 'park' : 'retire'} ${ifName} in the sandbox`,
    run: async () => {
      try {
        await ctx.kernel.ip(sb.key, [{ op: 'link.set', name: ifName, up: false }, ...v4, ...away], { ignoreMissing: true });
      } catch (err) {
        // the namespace is gone, and the pair with it: nothing to park
        if (sb.key !== null && !(await ctx.kernel.isNetns(sb.key))) return;
        throw err;
      }
      parking?.parked.park(parking.pair);
    },
    undo: () => {
      if (parking) parking.parked.unpark(parking.pair.hostIf);
      return ctx.kernel.ip(sb.key, [
        ...back,
        ...(ep.ipv4 ? [{ op: 'addr.add' as const, dev: ifName, cidr: ep.ipv4 }] : []),
        { op: 'link.set', name: ifName, up: true },
      ], { ignoreMissing: true });
    },
  };
}

/** After a crash or a vanished sandbox: delete the host end (its peer, wherever it is, dies with it). */
export async function teardownBridgeEndpoint(ep: JoinedEndpoint, ctx: DriverContext): Promise<void> {
  await ctx.kernel.ip(null, [{ op: 'link.del', name: ep.hostIf ?? hostVethFor(ep.id) }], { ignoreMissing: true });
}
