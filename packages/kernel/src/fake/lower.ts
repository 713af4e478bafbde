import type { IpOp } from '../contract.js';
import { FakeOpError, type FakeLink, type FakeNs } from './types.js';

/**
 * The kernel's rules for links on a lower device (macvlan, ipvlan, vlan), for the fake model:
 * which lower device a new link really sits on, and when the kernel refuses it.
 */

export type LowerOp = Extract<IpOp, { op: 'macvlan.add' | 'ipvlan.add' | 'vlan.add' }>;

const INVALID = 'RTNETLINK answers: Invalid argument';
/** the lower device's rx_handler is taken (bridge port, or the other of macvlan/ipvlan) */
const BUSY = 'RTNETLINK answers: Device or resource busy';

/** Every link that sits on `lower`, in any namespace. */
export type UppersOf = (lower: FakeLink) => FakeLink[];

/** A macvlan on a macvlan (an ipvlan on an ipvlan) sits on the same lower device as it. */
function realLower(parent: FakeLink, kind: string): FakeLink {
  return parent.kind === kind && parent.parent !== undefined ? parent.parent : parent;
}

/** Does `link` hand its received frames to something already (a bridge, macvlans or ipvlans)? */
export function rxHandlerOwner(link: FakeLink, uppers: UppersOf): 'bridge' | 'macvlan' | 'ipvlan' | undefined {
  if (link.master !== undefined) return 'bridge';
  const kinds = uppers(link).map((u) => u.kind);
  return (['macvlan', 'ipvlan'] as const).find((k) => kinds.includes(k));
}

/**
 * Checks `op` against its parent and returns what the new link is made of (its lower device,
 * MTU, MAC and kind data); throws FakeOpError with iproute2's text when the kernel refuses.
 */
export function planLowerLink(
  op: LowerOp,
  parent: FakeLink,
  uppers: UppersOf,
): { lower: FakeLink; mtu: number; mac?: string; mode?: string; vlanId?: number } {
  if (op.op === 'vlan.add') {
    if (parent.kind === 'loopback') throw new FakeOpError('Error: 8021q: VLANs not supported on device.');
    if (uppers(parent).some((u) => u.kind === 'vlan' && u.vlanId === op.id)) throw new FakeOpError('Error: 8021q: VLAN device already exists.');
    return { lower: parent, mtu: parent.mtu, mac: parent.mac, vlanId: op.id };
  }
  const lower = realLower(parent, op.op === 'macvlan.add' ? 'macvlan' : 'ipvlan');
  if (lower.kind === 'loopback') throw new FakeOpError(INVALID);
  const own = op.op === 'macvlan.add' ? 'macvlan' : 'ipvlan';
  const owner = rxHandlerOwner(lower, uppers);
  if (owner !== undefined && owner !== own) throw new FakeOpError(BUSY);
  if (op.mtu !== undefined && op.mtu > lower.mtu) throw new FakeOpError(INVALID);
  const mtu = op.mtu ?? lower.mtu;
  if (op.op === 'ipvlan.add') return { lower, mtu, mac: lower.mac };
  // only one macvlan on a lower device in passthru mode, and then no other
  const macvlans = uppers(lower).filter((u) => u.kind === 'macvlan');
  if (macvlans.some((m) => m.mode === 'passthru') || (op.mode === 'passthru' && macvlans.length > 0)) throw new FakeOpError(INVALID);
  // passthru: the link takes its lower device's MAC, whatever was asked (eth_hw_addr_inherit)
  const mac = op.mode === 'passthru' ? lower.mac : op.mac;
  return { lower, mtu, mac, mode: op.mode };
}

/** An ipvlan's mode and flag are its lower device's: a new one sets them for all of them. */
export function joinIpvlanPort(lower: FakeLink, op: Extract<IpOp, { op: 'ipvlan.add' }>): void {
  lower.ipvlanPort = { mode: op.mode, flag: op.flag ?? lower.ipvlanPort?.flag ?? 'bridge' };
}

/** The namespace where a link of `op` is created: the batch's, or `netns` when given. */
export function targetNs(op: IpOp, batchNs: FakeNs, resolve: (ref: string | null) => FakeNs | undefined): FakeNs | undefined {
  if ((op.op === 'macvlan.add' || op.op === 'ipvlan.add') && op.netns !== undefined) return resolve(op.netns);
  return batchNs;
}
