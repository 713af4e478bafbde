import type { IpOp, LinkInfo, VxlanInfo } from '../contract.js';
import type { NlMessage } from './message.js';
import { IFLA_BR_MCAST_SNOOPING, INFO } from './rtnl.js';

/**
 * IFLA_INFO_DATA of the link types on a lower device (if_link.h): macvlan, ipvlan and vlan
 * requests, and the mode, flag and id read back from dumps, named as iproute2 prints them.
 */

const IFLA_MACVLAN_MODE = 1;
const IFLA_IPVLAN_MODE = 1;
const IFLA_IPVLAN_FLAGS = 2;
const IFLA_VLAN_ID = 1;
const IFLA_VXLAN = { ID: 1, LOCAL: 4, LEARNING: 7, PROXY: 11, PORT: 15, LOCAL6: 17 } as const;

const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
const IPVLAN_MODE = { l2: 0, l3: 1, l3s: 2 } as const;
const IPVLAN_F_PRIVATE = 1;
const IPVLAN_F_VEPA = 2;
const IPVLAN_FLAG = { bridge: 0, private: IPVLAN_F_PRIVATE, vepa: IPVLAN_F_VEPA } as const;

const nameOfValue = (table: Record<string, number>, value: number): string =>
  Object.entries(table).find(([, v]) => v === value)?.[0] ?? 'unknown';

export type LowerLinkOp = Extract<IpOp, { op: 'macvlan.add' | 'ipvlan.add' | 'vlan.add' }>;

/** IFLA_INFO_KIND and IFLA_INFO_DATA of a link on a lower device, inside an open IFLA_LINKINFO. */
export function writeKindData(m: NlMessage, op: LowerLinkOp): void {
  switch (op.op) {
    case 'macvlan.add':
      m.str(INFO.KIND, 'macvlan').begin(INFO.DATA).u32(IFLA_MACVLAN_MODE, MACVLAN_MODE[op.mode]);
      break;
    case 'ipvlan.add':
      m.str(INFO.KIND, 'ipvlan').begin(INFO.DATA).u16(IFLA_IPVLAN_MODE, IPVLAN_MODE[op.mode]);
      if (op.flag !== undefined) m.u16(IFLA_IPVLAN_FLAGS, IPVLAN_FLAG[op.flag]);
      break;
    case 'vlan.add':
      m.str(INFO.KIND, 'vlan').begin(INFO.DATA).u16(IFLA_VLAN_ID, op.id);
      break;
  }
  m.end();
}

/** IFLA_INFO_DATA of a vxlan device (`local` as 4 or 16 bytes); the port in network order. */
export function writeVxlanData(m: NlMessage, op: Extract<IpOp, { op: 'vxlan.add' }>, local: Uint8Array | undefined): void {
  // the port in network order
  m.begin(INFO.DATA).u32(IFLA_VXLAN.ID, op.vni).attr(IFLA_VXLAN.PORT, Uint8Array.of(op.dstport >> 8, op.dstport & 0xff));
  if (local !== undefined) m.attr(local.length === 4 ? IFLA_VXLAN.LOCAL : IFLA_VXLAN.LOCAL6, local);
  m.u8(IFLA_VXLAN.LEARNING, op.learning ? 1 : 0);
  if (op.proxy !== undefined) m.u8(IFLA_VXLAN.PROXY, op.proxy ? 1 : 0);
  m.end();
}

/** Address bytes as iproute2 prints them (parse.ts's formatAddress, passed in: it imports this module). */
export type AddressFormatter = (bytes: Buffer) => string;

function decodeVxlan(data: Map<number, Buffer>, formatAddress: AddressFormatter): VxlanInfo | undefined {
  const [id, port] = [data.get(IFLA_VXLAN.ID), data.get(IFLA_VXLAN.PORT)];
  if (id?.length !== 4 || port?.length !== 2) return undefined;
  // as iproute2: an all-zero source address is none
  const local = data.get(IFLA_VXLAN.LOCAL) ?? data.get(IFLA_VXLAN.LOCAL6);
  return {
    vni: id.readUInt32LE(0),
    dstport: port.readUInt16BE(0),
    ...(local !== undefined && local.some((b) => b !== 0) ? { local: formatAddress(local) } : {}),
    learning: data.get(IFLA_VXLAN.LEARNING)?.[0] === 1,
    proxy: (data.get(IFLA_VXLAN.PROXY)?.[0] ?? 0) !== 0,
  };
}

/** What `ip -details` prints of a link's IFLA_INFO_DATA, for the kinds LinkInfo describes (of a bridge: its snooping only). */
export function decodeKindData(
  kind: string,
  data: Map<number, Buffer>,
  formatAddress: AddressFormatter,
): Pick<LinkInfo, 'mode' | 'flag' | 'vlanId' | 'vxlan' | 'mcastSnooping'> {
  switch (kind) {
    case 'bridge': {
      const snooping = data.get(IFLA_BR_MCAST_SNOOPING);
      return snooping?.length === 1 ? { mcastSnooping: snooping[0] === 1 } : {};
    }
    case 'vxlan': {
      const vxlan = decodeVxlan(data, formatAddress);
      return vxlan === undefined ? {} : { vxlan };
    }
    case 'macvlan': {
      const mode = data.get(IFLA_MACVLAN_MODE);
      return mode?.length === 4 ? { mode: nameOfValue(MACVLAN_MODE, mode.readUInt32LE(0)) } : {};
    }
    case 'ipvlan': {
      const out: Pick<LinkInfo, 'mode' | 'flag'> = {};
      const mode = data.get(IFLA_IPVLAN_MODE);
      if (mode?.length === 2) out.mode = nameOfValue(IPVLAN_MODE, mode.readUInt16LE(0));
      const flags = data.get(IFLA_IPVLAN_FLAGS);
      if (flags?.length === 2) {
        const f = flags.readUInt16LE(0);
        out.flag = f & IPVLAN_F_PRIVATE ? 'private' : f & IPVLAN_F_VEPA ? 'vepa' : 'bridge';
      }
      return out;
    }
    case 'vlan': {
      const id = data.get(IFLA_VLAN_ID);
      return id?.length === 2 ? { vlanId: id.readUInt16LE(0) } : {};
    }
    default:
      return {};
  }
}
