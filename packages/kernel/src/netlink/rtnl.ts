/**
 * rtnetlink numbers (linux/rtnetlink.h, if_link.h, if_addr.h, if_arp.h), shared by the
 * request encoders (encode.ts, dump.ts) and the reply decoder (parse.ts).
 */

export const RTM = {
  NEWLINK: 16, DELLINK: 17, GETLINK: 18,
  NEWADDR: 20, DELADDR: 21, GETADDR: 22,
  NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26,
  NEWNEIGH: 28, DELNEIGH: 29, GETNEIGH: 30,
} as const;

export const IFLA = {
  ADDRESS: 1, IFNAME: 3, MTU: 4, LINK: 5, MASTER: 10, LINKINFO: 18, AF_SPEC: 26, GROUP: 27, NET_NS_FD: 28, EXT_MASK: 29, NUM_TX_QUEUES: 31,
  NUM_RX_QUEUES: 32, LINK_NETNSID: 37,
} as const;
/** IFLA_LINKINFO's nested attributes */
export const INFO = { KIND: 1, DATA: 2, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;
export const VETH_INFO_PEER = 1;
export const IFLA_BRPORT_MODE = 4;
/** IFLA_INFO_DATA of a bridge (if_link.h: IFLA_BR_*) */
export const IFLA_BR_MCAST_SNOOPING = 23;
export const IFLA_INET6_ADDR_GEN_MODE = 8;
/** no counters in link answers: a third smaller, and nothing here reads them */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;

export const IFA = { ADDRESS: 1, LOCAL: 2 } as const;
export const RTA = { DST: 1, OIF: 4, GATEWAY: 5, TABLE: 15 } as const;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_BRIDGE = 7;
export const IFF_UP = 0x1;
export const RT_TABLE_MAIN = 254;
export const RTPROT_BOOT = 3;
export const RT_SCOPE = { UNIVERSE: 0, LINK: 253, NOWHERE: 255 } as const;
export const RTN = { UNICAST: 1, LOCAL: 2 } as const;
export const RTM_F_CLONED = 0x200;

/** struct ifinfomsg (16 bytes): family 0, the index, and IFF_* flags with their change mask. */
export function ifinfomsg(fields: { index?: number; flags?: number; change?: number } = {}): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(fields.index ?? 0, 4);
  b.writeUInt32LE(fields.flags ?? 0, 8);
  b.writeUInt32LE(fields.change ?? 0, 12);
  return b;
}
