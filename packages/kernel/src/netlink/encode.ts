import { addressToBytes, tryParseAddress, tryParseCidr, tryParseMac, type Address } from '@patchbay/ip';
import type { IpOp, NetnsRef } from '../contract.js';
import {
  FAMILY_HEADER_OFFSET, FIXUP_IFINDEX, FIXUP_NETNS_FD, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NlMessage, type NlRequest,
} from './message.js';
import {
  AF_BRIDGE, AF_INET, AF_INET6, IFA, IFF_UP, IFLA, IFLA_BR_MCAST_SNOOPING, IFLA_BRPORT_MODE, IFLA_INET6_ADDR_GEN_MODE, INFO, RT_SCOPE, RT_TABLE_MAIN, RTA, RTM, RTN,
  RTPROT_BOOT, VETH_INFO_PEER, ifinfomsg,
} from './rtnl.js';
import { writeKindData, writeVxlanData, type LowerLinkOp } from './kind-data.js';
import { ndmsg } from './neigh.js';

const ADDR_GEN_MODE = { eui64: 0, none: 1 } as const;

const CREATE = NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
const NLM_F_REPLACE = 0x100;
const NLM_F_APPEND = 0x800;
const NDA = { DST: 1, LLADDR: 2 } as const;
const NUD_PERMANENT = 0x80;
const NTF_SELF = 0x02;

// Inputs are validated (validate.ts) before a batch is encoded; these throw only on a bug.
function valid<T>(parsed: T | undefined, what: string, text: string): T {
  if (parsed === undefined) throw new Error(`netlink encoder got an unvalidated ${what}: ${JSON.stringify(text)}`);
  return parsed;
}

const macBytes = (mac: string): Uint8Array => valid(tryParseMac(mac), 'MAC address', mac);
const address = (text: string): Address => valid(tryParseAddress(text), 'address', text);
const ipBytes = (addr: Address): Uint8Array => addressToBytes(addr);
/** ADDRESS/PREFIX, or a bare address as a host prefix (a route destination). */
const prefixed = (cidr: string) => valid(tryParseCidr(cidr, { bareAddressIsHost: true }), 'CIDR', cidr);

/** The link attributes shared by `link add` and `link set`: name, mtu, mac. */
function linkAttrs(m: NlMessage, name: string, mtu?: number, mac?: string): void {
  m.str(IFLA.IFNAME, name);
  if (mtu !== undefined) m.u32(IFLA.MTU, mtu);
  if (mac !== undefined) m.attr(IFLA.ADDRESS, macBytes(mac));
}

/**
 * One transmit and one receive queue, allocated so. A veth asked for none gets a queue per CPU,
 * cut to one (its real count) once registered, and that cut waits for an RCU grace period while
 * it holds rtnl (synchronize_net): a tenth of a join's kernel time on a 2-CPU VM, more on a busy
 * machine. The link is the same either way (one queue in use).
 */
function singleQueue(m: NlMessage): void {
  m.u32(IFLA.NUM_TX_QUEUES, 1).u32(IFLA.NUM_RX_QUEUES, 1);
}

/**
 * The namespace a veth peer (or a link on a lower device) goes to, as a file the native side
 * opens: the daemon's own namespace by its /proc path when the batch runs elsewhere.
 */
function peerNetnsFile(peerNetns: NetnsRef, batchNetns: NetnsRef, selfNetns: string): string | undefined {
  if (peerNetns === batchNetns) return undefined;
  return peerNetns ?? selfNetns;
}

/**
 * A link on `op.parent`, whose index the native side looks up in the batch's namespace (where
 * the parent is); with `netns`, the kernel creates the link directly in that namespace.
 */
function lowerLinkMessage(op: LowerLinkOp, batchNetns: NetnsRef, selfNetns: string): NlRequest {
  const m = new NlMessage(RTM.NEWLINK, CREATE, ifinfomsg());
  if (op.op === 'vlan.add') m.str(IFLA.IFNAME, op.name);
  else linkAttrs(m, op.name, op.mtu, op.op === 'macvlan.add' ? op.mac : undefined);
  m.fixed(IFLA.LINK, FIXUP_IFINDEX, op.parent);
  const netnsFile = op.op !== 'vlan.add' && op.netns !== undefined ? peerNetnsFile(op.netns, batchNetns, selfNetns) : undefined;
  if (netnsFile !== undefined) m.fixed(IFLA.NET_NS_FD, FIXUP_NETNS_FD, netnsFile);
  m.begin(IFLA.LINKINFO);
  writeKindData(m, op);
  return m.end().build();
}

type NeighOp = Extract<IpOp, { op: 'fdb.append' | 'fdb.del' | 'neigh.replace' | 'neigh.del' }>;

/** A permanent ARP/ND entry, or a forwarding entry (AF_BRIDGE, NTF_SELF: the vxlan device's own table). */
function neighMessage(op: NeighOp): NlRequest {
  const add = op.op === 'fdb.append' || op.op === 'neigh.replace';
  const fdb = op.op === 'fdb.append' || op.op === 'fdb.del';
  const flags = add ? NLM_F_ACK | NLM_F_CREATE | (fdb ? NLM_F_APPEND : NLM_F_REPLACE) : NLM_F_ACK;
  const family = fdb ? AF_BRIDGE : address(op.address).family === 6 ? AF_INET6 : AF_INET;
  const m = new NlMessage(add ? RTM.NEWNEIGH : RTM.DELNEIGH, flags, ndmsg(family, add ? NUD_PERMANENT : 0, fdb ? NTF_SELF : 0));
  m.fixupAt(FAMILY_HEADER_OFFSET + 4, FIXUP_IFINDEX, op.dev);
  if (fdb) return m.attr(NDA.LLADDR, macBytes(op.mac)).attr(NDA.DST, ipBytes(address(op.dst))).build();
  m.attr(NDA.DST, ipBytes(address(op.address)));
  if (op.op === 'neigh.replace') m.attr(NDA.LLADDR, macBytes(op.mac));
  return m.build();
}

function addrMessage(type: number, flags: number, dev: string, cidr: string): NlRequest {
  const local = prefixed(cidr);
  const hdr = Buffer.alloc(8);
  hdr.writeUInt8(local.family === 4 ? AF_INET : AF_INET6, 0);
  hdr.writeUInt8(local.prefix, 1);
  const m = new NlMessage(type, flags, hdr);
  m.fixupAt(FAMILY_HEADER_OFFSET + 4, FIXUP_IFINDEX, dev);
  const bytes = ipBytes(local);
  m.attr(IFA.LOCAL, bytes).attr(IFA.ADDRESS, bytes);
  return m.build();
}

function routeMessage(op: Extract<IpOp, { op: 'route.add' | 'route.del' }>): NlRequest {
  const add = op.op === 'route.add';
  const dst = op.dst === 'default' ? undefined : prefixed(op.dst);
  const via = op.via === undefined ? undefined : address(op.via);
  const family = dst?.family ?? via?.family ?? 4;
  const hdr = Buffer.alloc(12);
  hdr.writeUInt8(family === 4 ? AF_INET : AF_INET6, 0);
  hdr.writeUInt8(dst?.prefix ?? 0, 1);
  hdr.writeUInt8(RT_TABLE_MAIN, 4);
  // what `ip route add|del` sends: boot protocol, universe scope via a gateway, link scope on a device
  hdr.writeUInt8(add ? RTPROT_BOOT : 0, 5);
  hdr.writeUInt8(add ? (op.via === undefined && op.dev !== undefined ? RT_SCOPE.LINK : RT_SCOPE.UNIVERSE) : RT_SCOPE.NOWHERE, 6);
  hdr.writeUInt8(add ? RTN.UNICAST : 0, 7);
  const m = new NlMessage(add ? RTM.NEWROUTE : RTM.DELROUTE, add ? CREATE : NLM_F_ACK, hdr);
  if (dst !== undefined && dst.prefix > 0) m.attr(RTA.DST, ipBytes(dst));
  if (via !== undefined) m.attr(RTA.GATEWAY, ipBytes(via));
  if (op.dev !== undefined) m.fixed(RTA.OIF, FIXUP_IFINDEX, op.dev);
  return m.build();
}

/** One op as one rtnetlink request, run inside `batchNetns`. Inputs are validated beforehand. */
export function encodeOp(op: IpOp, batchNetns: NetnsRef, selfNetns: string): NlRequest {
  switch (op.op) {
    case 'bridge.add': {
      const m = new NlMessage(RTM.NEWLINK, CREATE, ifinfomsg());
      linkAttrs(m, op.name, op.mtu, op.mac);
      m.begin(IFLA.LINKINFO).str(INFO.KIND, 'bridge');
      if (op.mcastSnooping !== undefined) m.begin(INFO.DATA).u8(IFLA_BR_MCAST_SNOOPING, op.mcastSnooping ? 1 : 0).end();
      return m.end().build();
    }
    case 'veth.add': {
      const m = new NlMessage(RTM.NEWLINK, CREATE, op.up ? ifinfomsg({ flags: IFF_UP, change: IFF_UP }) : ifinfomsg());
      linkAttrs(m, op.name, op.mtu, op.mac);
      singleQueue(m);
      // the kernel enslaves (and brings up) the new link in the same request, or removes it again
      if (op.master !== undefined) m.fixed(IFLA.MASTER, FIXUP_IFINDEX, op.master);
      m.begin(IFLA.LINKINFO).str(INFO.KIND, 'veth').begin(INFO.DATA).begin(VETH_INFO_PEER);
      m.raw(ifinfomsg());
      linkAttrs(m, op.peer, op.mtu, op.peerMac);
      singleQueue(m);
      const netnsFile = peerNetnsFile(op.peerNetns, batchNetns, selfNetns);
      if (netnsFile !== undefined) m.fixed(IFLA.NET_NS_FD, FIXUP_NETNS_FD, netnsFile);
      return m.end().end().end().build();
    }
    case 'macvlan.add':
    case 'ipvlan.add':
    case 'vlan.add':
      return lowerLinkMessage(op, batchNetns, selfNetns);
    case 'dummy.add':
      return new NlMessage(RTM.NEWLINK, CREATE, ifinfomsg()).str(IFLA.IFNAME, op.name).begin(IFLA.LINKINFO).str(INFO.KIND, 'dummy').end().build();
    case 'vxlan.add': {
      const m = new NlMessage(RTM.NEWLINK, CREATE, ifinfomsg());
      linkAttrs(m, op.name, op.mtu);
      m.begin(IFLA.LINKINFO).str(INFO.KIND, 'vxlan');
      writeVxlanData(m, op, op.local === undefined ? undefined : ipBytes(address(op.local)));
      return m.end().build();
    }
    case 'fdb.append':
    case 'fdb.del':
    case 'neigh.replace':
    case 'neigh.del':
      return neighMessage(op);
    case 'link.set': {
      const up = op.up === undefined ? ifinfomsg() : ifinfomsg({ flags: op.up ? IFF_UP : 0, change: IFF_UP });
      const m = new NlMessage(RTM.NEWLINK, NLM_F_ACK, up);
      // a rename names the link by its index and carries the new name
      if (op.newName !== undefined) m.fixupAt(FAMILY_HEADER_OFFSET + 4, FIXUP_IFINDEX, op.name);
      linkAttrs(m, op.newName ?? op.name, op.mtu, op.mac);
      if (op.master !== undefined) m.fixed(IFLA.MASTER, FIXUP_IFINDEX, op.master);
      else if (op.nomaster) m.u32(IFLA.MASTER, 0);
      if (op.group !== undefined) m.u32(IFLA.GROUP, op.group);
      if (op.addrgenmode !== undefined) {
        m.begin(IFLA.AF_SPEC).begin(AF_INET6).u8(IFLA_INET6_ADDR_GEN_MODE, ADDR_GEN_MODE[op.addrgenmode]).end().end();
      }
      if (op.hairpin !== undefined) {
        m.begin(IFLA.LINKINFO).str(INFO.SLAVE_KIND, 'bridge').begin(INFO.SLAVE_DATA).u8(IFLA_BRPORT_MODE, op.hairpin ? 1 : 0).end().end();
      }
      return m.build();
    }
    case 'link.del': {
      const m = new NlMessage(RTM.DELLINK, NLM_F_ACK, ifinfomsg());
      return m.str(IFLA.IFNAME, op.name).build();
    }
    case 'group.del':
      return new NlMessage(RTM.DELLINK, NLM_F_ACK, ifinfomsg()).u32(IFLA.GROUP, op.group).build();
    case 'addr.add':
      return addrMessage(RTM.NEWADDR, CREATE, op.dev, op.cidr);
    case 'addr.del':
      return addrMessage(RTM.DELADDR, NLM_F_ACK, op.dev, op.cidr);
    case 'route.add':
    case 'route.del':
      return routeMessage(op);
  }
}
