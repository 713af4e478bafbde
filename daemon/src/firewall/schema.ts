/**
 * The fixed shape of patchbay's nftables tables: the sets and maps (filled from the model) and the
 * chains (constant). The rule count does not depend on the number of networks or ports; networks
 * and ports only add set elements, so a change of ports is a handful of element adds/deletes.
 *
 * Mapping to libnetwork's rule table (reference/libnetwork-behaviour.md §2), hairpin mode
 * (no userland proxy):
 *   rule 3 → ct state established,related accept      rules 2, 7, 8 → oifname @bridges drop
 *   rule 6 → iifname . oifname vmap @same_bridge       rule 10 → oifname @bridges ct status dnat accept
 *   rules 11, 12, 16 → nat_prerouting/nat_output → published (dnat maps)
 *   rule 13 → masq_*                                   rule 14 → ct status dnat … @subnets_* masquerade
 *   internal: iifname/oifname @internal_bridges … != @internal_* drop
 */

export const TABLE_NAME = 'patchbay';
export const INET_TABLE = `inet ${TABLE_NAME}`;
/** Only present when some network has ICC off (a bridge-family base chain costs every bridged frame). */
export const BRIDGE_TABLE = `bridge ${TABLE_NAME}`;

export interface SetSpec {
  kind: 'set' | 'map';
  name: string;
  type: string;
  interval?: boolean;
}

export const INET_SETS = [
  { kind: 'set', name: 'bridges', type: 'ifname' },
  { kind: 'map', name: 'same_bridge', type: 'ifname . ifname : verdict' },
  { kind: 'set', name: 'internal_bridges', type: 'ifname' },
  { kind: 'set', name: 'internal_v4', type: 'ifname . ipv4_addr', interval: true },
  { kind: 'set', name: 'internal_v6', type: 'ifname . ipv6_addr', interval: true },
  { kind: 'set', name: 'subnets_v4', type: 'ipv4_addr . ifname', interval: true },
  { kind: 'set', name: 'subnets_v6', type: 'ipv6_addr . ifname', interval: true },
  { kind: 'set', name: 'masq_v4', type: 'ipv4_addr', interval: true },
  { kind: 'set', name: 'masq_v6', type: 'ipv6_addr', interval: true },
  { kind: 'map', name: 'dnat_v4', type: 'ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service' },
  { kind: 'map', name: 'dnat_any_v4', type: 'inet_proto . inet_service : ipv4_addr . inet_service' },
  { kind: 'map', name: 'dnat_v6', type: 'ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service' },
  { kind: 'map', name: 'dnat_any_v6', type: 'inet_proto . inet_service : ipv6_addr . inet_service' },
] as const satisfies readonly SetSpec[];

export const BRIDGE_SETS = [
  { kind: 'set', name: 'icc_off_v4', type: 'ipv4_addr . ipv4_addr', interval: true },
  { kind: 'set', name: 'icc_off_v6', type: 'ipv6_addr . ipv6_addr', interval: true },
] as const satisfies readonly SetSpec[];

export type InetSetName = (typeof INET_SETS)[number]['name'];
export type BridgeSetName = (typeof BRIDGE_SETS)[number]['name'];

/** The maps that published ports live in: the only sets an incremental update touches. */
export const PORT_MAPS = ['dnat_v4', 'dnat_any_v4', 'dnat_v6', 'dnat_any_v6'] as const satisfies readonly InetSetName[];
export type PortMapName = (typeof PORT_MAPS)[number];

export interface ChainSpec {
  name: string;
  /** base chain header, e.g. 'type filter hook forward priority filter; policy accept;' */
  hook?: string;
  rules: readonly string[];
}

export const INET_CHAINS: readonly ChainSpec[] = [
  {
    name: 'raw_prerouting',
    hook: 'type filter hook prerouting priority raw; policy accept;',
    rules: [
      // route_localnet=1 on bridges (for 127.0.0.1:PORT) would let containers reach the host's loopback
      'iifname @bridges ip daddr 127.0.0.0/8 drop comment "no loopback destinations from containers"',
    ],
  },
  {
    name: 'filter_forward',
    hook: 'type filter hook forward priority filter; policy accept;',
    rules: [
      'ct state established,related accept',
      'iifname @internal_bridges iifname . ip daddr != @internal_v4 drop comment "internal: nothing leaves the subnet"',
      'iifname @internal_bridges iifname . ip6 daddr != @internal_v6 drop comment "internal: nothing leaves the subnet"',
      'oifname @internal_bridges oifname . ip saddr != @internal_v4 drop comment "internal: nothing enters the subnet"',
      'oifname @internal_bridges oifname . ip6 saddr != @internal_v6 drop comment "internal: nothing enters the subnet"',
      // before the published-port accept, so ICC off also covers hairpin through a published port,
      // which keeps the result the same with and without br_netfilter
      'iifname . oifname vmap @same_bridge comment "icc"',
      'oifname @bridges ct status dnat accept comment "published ports"',
      'oifname @bridges drop comment "isolation: no new traffic into a network from elsewhere"',
    ],
  },
  {
    name: 'nat_prerouting',
    hook: 'type nat hook prerouting priority dstnat; policy accept;',
    rules: ['fib daddr type local jump published'],
  },
  {
    name: 'nat_output',
    // nft 1.0.6 accepts the name dstnat only at prerouting; -100 is its value
    hook: 'type nat hook output priority -100; policy accept;',
    rules: ['fib daddr type local jump published'],
  },
  {
    name: 'published',
    rules: [
      'dnat ip to ip daddr . meta l4proto . th dport map @dnat_v4',
      'dnat ip to meta l4proto . th dport map @dnat_any_v4',
      'dnat ip6 to ip6 daddr . meta l4proto . th dport map @dnat_v6',
      'dnat ip6 to meta l4proto . th dport map @dnat_any_v6',
    ],
  },
  {
    name: 'nat_postrouting',
    hook: 'type nat hook postrouting priority srcnat; policy accept;',
    rules: [
      'ct status dnat ip saddr . oifname @subnets_v4 masquerade comment "hairpin"',
      'ct status dnat ip6 saddr . oifname @subnets_v6 masquerade comment "hairpin"',
      'ip saddr 127.0.0.0/8 oifname @bridges masquerade comment "host loopback to a published port"',
      'ip saddr . oifname @subnets_v4 return',
      'ip6 saddr . oifname @subnets_v6 return',
      'ip saddr @masq_v4 masquerade',
      'ip6 saddr @masq_v6 masquerade',
    ],
  },
];

export const BRIDGE_CHAINS: readonly ChainSpec[] = [
  {
    name: 'forward',
    // frames between two ports of one bridge never reach the inet hooks without br_netfilter;
    // frames to the gateway are delivered locally and do not pass this hook
    hook: 'type filter hook forward priority filter; policy accept;',
    rules: [
      'ip saddr . ip daddr @icc_off_v4 drop comment "icc off"',
      'ip6 saddr . ip6 daddr @icc_off_v6 drop comment "icc off"',
    ],
  },
];
