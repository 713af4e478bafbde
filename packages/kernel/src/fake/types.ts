import type { Address, Cidr } from '@patchbay/ip';
import type { VxlanInfo } from '../contract.js';

/** State of the fake kernel's network model. */

/** A failing op; the message is what iproute2 would print, so callers see the same text. */
export class FakeOpError extends Error {
  override name = 'FakeOpError';
}

export interface FakeLink {
  name: string;
  index: number;
  kind: string;
  master?: string;
  /** the bridge-port flag; meaningful only while `master` is set (a new port starts without it) */
  hairpin?: boolean;
  mtu: number;
  mac: string;
  up: boolean;
  ns: FakeNs;
  /** the other end of a veth pair (possibly in another namespace) */
  peer?: FakeLink;
  /** the link group (0 unless set) */
  group?: number;
  /** IPv6 address generation; 'none' = no link-local address when the link goes up */
  addrgenmode?: 'none' | 'eui64';
  /** net.ipv6.conf.<link>.disable_ipv6 = 1: no IPv6 address or route on it */
  ipv6Disabled?: boolean;
  /** addresses with their prefix length (host bits kept, as assigned) */
  addrs: Cidr[];
  /** macvlan, ipvlan, vlan: the lower device (possibly in another namespace) */
  parent?: FakeLink;
  /** bridges: IGMP/MLD snooping (on unless created with it off) */
  mcastSnooping?: boolean;
  /** macvlan: its mode */
  mode?: string;
  /** vlan: its 802.1Q id */
  vlanId?: number;
  /** a lower device of ipvlans: mode and flag belong to the port, shared by all its ipvlans */
  ipvlanPort?: { mode: string; flag: string };
  /** vxlan: its settings */
  vxlan?: VxlanInfo;
  /** vxlan: permanent forwarding entries to remotes */
  fdb?: { mac: string; dst: string }[];
  /** permanent neighbour entries (gone when the link goes down) */
  neigh?: { address: string; mac: string; family: 4 | 6 }[];
}

export interface FakeRoute {
  dst: Cidr;
  via?: Address;
  dev: string;
}

export interface FakeNs {
  /** null for the daemon's namespace, else the namespace file path */
  path: string | null;
  links: Map<string, FakeLink>;
  /** explicitly added routes (connected routes are derived from addresses) */
  routes: FakeRoute[];
}
