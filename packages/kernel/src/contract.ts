/**
 * The kernel boundary. Every call names its namespace explicitly; nothing relies on a "current"
 * namespace. A namespace is referred to by the path of its namespace file: `/run/netns/NAME` or
 * any other netns file such as `/proc/PID/ns/net`. `null` means the daemon's own namespace (the
 * host side). Backends: in-process rtnetlink by default (a worker thread enters the namespace
 * with setns for one exchange), `ip` processes as the fallback (`ip -n NAME`, or `nsenter
 * --net=PATH` for other files), and the stateful fake; one contract suite runs against all three.
 */
export type NetnsRef = string | null;

/** Interface names the kernel accepts: 1..15 chars of [A-Za-z0-9_.-]. Checked before any argv. */
export const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

export interface LinkInfo {
  name: string;
  index: number;
  /** 'bridge', 'veth', 'loopback', ... ('' when the kernel reports none, e.g. a physical NIC) */
  kind: string;
  /** name of the master device (bridge) when enslaved */
  master?: string;
  mtu: number;
  mac: string;
  up: boolean;
  /** bridge ports only: hairpin mode (frames may leave by the port they came in on) */
  hairpin?: boolean;
  /** the link's group, when not the default group 0 */
  group?: number;
  /**
   * The lower device of a macvlan, ipvlan or vlan (IFLA_LINK) when it is in the same namespace
   * (a veth's IFLA_LINK is its peer, not a parent, and is not reported).
   */
  parent?: string;
  /** macvlan: bridge | private | vepa | passthru | source; ipvlan: l2 | l3 | l3s */
  mode?: string;
  /** ipvlan: bridge | private | vepa */
  flag?: string;
  /** vlan: the 802.1Q id */
  vlanId?: number;
  /** vxlan: its id, UDP port and source address, and whether it learns or answers ARP/ND */
  vxlan?: VxlanInfo;
  /** bridges: whether IGMP/MLD snooping is on */
  mcastSnooping?: boolean;
}

export interface VxlanInfo {
  vni: number;
  dstport: number;
  /** the source address, when one was set */
  local?: string;
  learning: boolean;
  proxy: boolean;
}

/** A permanent ARP/ND entry (what patchbay installs; learned entries come and go). */
export interface NeighInfo {
  dev: string;
  address: string;
  mac: string;
  family: 4 | 6;
}

/** A forwarding entry of a vxlan device that sends `mac` to the remote `dst`. */
export interface FdbInfo {
  dev: string;
  mac: string;
  dst: string;
}

/** Link types a driver may need; `Kernel.supportsLinkKind` says which this kernel has. */
export const LINK_KINDS = ['macvlan', 'ipvlan', 'vlan', 'dummy', 'vxlan', 'bridge', 'veth'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

export const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'] as const;
export type MacvlanMode = (typeof MACVLAN_MODES)[number];
export const IPVLAN_MODES = ['l2', 'l3', 'l3s'] as const;
export type IpvlanMode = (typeof IPVLAN_MODES)[number];
export const IPVLAN_FLAGS = ['bridge', 'private', 'vepa'] as const;
export type IpvlanFlag = (typeof IPVLAN_FLAGS)[number];

export interface AddrInfo {
  dev: string;
  /** address with prefix, e.g. 10.0.0.1/24 or fd00::1/64 */
  cidr: string;
  family: 4 | 6;
  scope: string;
}

export interface RouteInfo {
  /** 'default' or a CIDR */
  dst: string;
  gateway?: string;
  dev?: string;
  scope?: string;
  family: 4 | 6;
}

/**
 * One link, address or route operation (named after the `ip` command it matches). A list of them
 * runs as one batch in one namespace (one netlink exchange, or one `ip -batch -` process); the
 * batch stops at the first failing op, and the error says which op failed.
 */
export type IpOp =
  /** `mcastSnooping: false` creates the bridge with IGMP/MLD snooping off (the kernel's default is on) */
  | { op: 'bridge.add'; name: string; mtu?: number; mac?: string; mcastSnooping?: boolean }
  /**
   * veth pair: `name` stays in the batch's namespace, `peer` is created directly in `peerNetns`.
   * `master` and `up` apply to `name` in the same kernel request (`ip link add NAME master BR up
   * type veth …`): the kernel removes the pair again when either fails. Up without a peer that is
   * up has no carrier yet, so IPv6 gives it no link-local address before a later op can set
   * `addrgenmode` (IFLA_AF_SPEC is refused on create).
   */
  | { op: 'veth.add'; name: string; peer: string; peerNetns: NetnsRef; mtu?: number; mac?: string; peerMac?: string; master?: string; up?: boolean }
  /**
   * Links on a lower device `parent` of the batch's namespace. `netns` creates the link directly
   * in that namespace (as a veth's peer); left out, it stays in the batch's namespace.
   */
  | { op: 'macvlan.add'; name: string; parent: string; mode: MacvlanMode; netns?: NetnsRef; mtu?: number; mac?: string }
  /** ipvlan links share their parent's MAC, so there is no `mac` */
  | { op: 'ipvlan.add'; name: string; parent: string; mode: IpvlanMode; flag?: IpvlanFlag; netns?: NetnsRef; mtu?: number }
  /** an 802.1Q sub-interface; `id` 1..4094, one link per parent and id */
  | { op: 'vlan.add'; name: string; parent: string; id: number }
  | { op: 'dummy.add'; name: string }
  /**
   * A vxlan device without an underlay device or group: remotes come from `fdb.append`.
   * `learning: false` leaves the forwarding table to patchbay; `proxy` answers ARP/ND from the
   * neighbour table (`neigh.replace`).
   */
  | { op: 'vxlan.add'; name: string; vni: number; dstport: number; local?: string; learning: boolean; proxy?: boolean; mtu?: number }
  /**
   * A permanent forwarding entry of a vxlan device: frames for `mac` go to the remote `dst`
   * (the all-zero MAC: broadcast and unknown frames, once per remote). Runs as `bridge fdb`.
   */
  | { op: 'fdb.append'; dev: string; mac: string; dst: string }
  | { op: 'fdb.del'; dev: string; mac: string; dst: string }
  /** A permanent neighbour entry (ARP for IPv4, ND for IPv6), replacing one for the address. */
  | { op: 'neigh.replace'; dev: string; address: string; mac: string }
  | { op: 'neigh.del'; dev: string; address: string }
  /**
   * `hairpin` sets the bridge-port flag; the link must already be a bridge port, so it cannot be
   * combined with `master`/`nomaster` in one op (the kernel applies it before the master change):
   * enslave in one op, set hairpin in a later one. `addrgenmode: 'none'` (before the link goes up,
   * in an earlier op) keeps the link without an IPv6 link-local address: no IPv6 chatter (router
   * solicitations, MLD) flooded to every port of a bridge on IPv4-only networks.
   */
  | {
      op: 'link.set';
      name: string;
      up?: boolean;
      master?: string;
      nomaster?: boolean;
      mtu?: number;
      mac?: string;
      hairpin?: boolean;
      addrgenmode?: 'none' | 'eui64';
      /** the link's group (a number; 0 is the default group) */
      group?: number;
      /**
       * Renames the link (applied before the other changes, as the kernel does). Kernels before
       * 6.2 refuse to rename a link that is up: take it down in an earlier op.
       */
      newName?: string;
    }
  | { op: 'link.del'; name: string }
  /** Deletes every link of a group in one kernel operation (one RCU wait, however many links). */
  | { op: 'group.del'; group: number }
  | { op: 'addr.add'; dev: string; cidr: string }
  | { op: 'addr.del'; dev: string; cidr: string }
  | { op: 'route.add'; dst: string; via?: string; dev?: string }
  | { op: 'route.del'; dst: string; via?: string; dev?: string };

export interface IpBatchOptions {
  /**
   * Teardown mode: keep going past failures, and treat "already gone" (missing device, missing
   * address or route) as success. Other failures still throw, after every op was tried.
   */
  ignoreMissing?: boolean;
}

/**
 * A change to iptables' `filter` table: the firewall dockerd keeps, where patchbay only adds its
 * own rules to the chain Docker documents for others (DOCKER-USER). `rule` is the argv after
 * `-A CHAIN`, as `iptables -S` prints it.
 */
export type XtOp =
  | { op: 'chain.add'; chain: string }
  | { op: 'rule.insert'; chain: string; rule: readonly string[] }
  | { op: 'rule.delete'; chain: string; rule: readonly string[] };

/** A bridge port as the bridge's own dump (`bridge link`) shows it: no kind-specific facts, no group. */
export interface BridgePortInfo {
  name: string;
  index: number;
  /** the bridge */
  master: string;
  mtu: number;
  mac: string;
  up: boolean;
  hairpin?: boolean;
  /** the port links to another interface (IFLA_LINK: a veth's peer, a vlan's lower device) */
  linked: boolean;
}

/**
 * The links of a namespace read in a way that stays linear with thousands of veths whose peers
 * live in other namespaces (a full link dump makes the kernel look up each peer's namespace id
 * in a linear list: quadratic). First every name and every bridge port; `details` then reads the
 * named links in full (what `links` gives for them; missing ones are left out), `addresses` the
 * namespace's addresses as `addresses` does.
 */
export interface LinkScan {
  names: readonly string[];
  ports: ReadonlyMap<string, BridgePortInfo>;
  details(names: readonly string[]): Promise<LinkInfo[]>;
  addresses(): Promise<AddrInfo[]>;
}

/** A namespace's links, addresses and routes read at once (one exchange), as `links`, `addresses` and `routes` give them. */
export interface NetnsState {
  links: LinkInfo[];
  addresses: AddrInfo[];
  routes: RouteInfo[];
}

/** One ip() batch of an ipSequence. */
export interface IpBatch {
  netns: NetnsRef;
  ops: readonly IpOp[];
}

export interface Kernel {
  /** Run ops as one batch inside `netns`. Throws KernelError (with `details.failedOp`) on failure. */
  ip(netns: NetnsRef, ops: readonly IpOp[], options?: IpBatchOptions): Promise<void>;
  /**
   * Batches in several namespaces one after another, as ip() calls in turn would run them (the
   * first failing batch throws as ip() would, the batches before it stay applied, none after it
   * runs), in one call where the backend can (netlink: one trip to a worker thread).
   */
  ipSequence(batches: readonly IpBatch[]): Promise<void>;

  links(netns: NetnsRef): Promise<LinkInfo[]>;
  /** One link by name, undefined when there is none (cheaper than listing every link). */
  link(netns: NetnsRef, name: string): Promise<LinkInfo | undefined>;
  addresses(netns: NetnsRef): Promise<AddrInfo[]>;
  routes(netns: NetnsRef): Promise<RouteInfo[]>;
  /** Permanent ARP/ND entries, both families. */
  neighbors(netns: NetnsRef): Promise<NeighInfo[]>;
  /** Forwarding entries with a remote (vxlan devices). */
  fdb(netns: NetnsRef): Promise<FdbInfo[]>;
  /** See LinkScan (optional: without it, checks read `links` and `addresses`). */
  scanLinks?(netns: NetnsRef): Promise<LinkScan>;
  /** See NetnsState (optional: without it, checks read `links`, `addresses` and `routes`). */
  netnsState?(netns: NetnsRef): Promise<NetnsState>;
  /**
   * netnsState of many namespaces (files, not null) in their order, read in passes that enter
   * namespace after namespace (no call per namespace). One that cannot be read has, in its place,
   * the error netnsState would throw for it; the others are still read. Optional, as netnsState.
   */
  netnsStates?(netns: readonly string[]): Promise<(NetnsState | Error)[]>;

  /** Create a named namespace under /run/netns with loopback up. Returns its path. */
  netnsAdd(name: string): Promise<string>;
  /** Delete a named namespace; a missing one is success. */
  netnsDelete(name: string): Promise<void>;
  /** Names of the namespaces under /run/netns. */
  netnsList(): Promise<string[]>;
  /** True when `path` is a network namespace file (checked by nsfs type, not by name). */
  isNetns(path: string): Promise<boolean>;

  /** Read a sysctl in the daemon's namespace, e.g. 'net.ipv4.ip_forward'. undefined if absent. */
  sysctlGet(key: string): Promise<string | undefined>;
  /**
   * Write a sysctl in the daemon's namespace. `idle`: a write nothing waits for (a background
   * tuning), made at idle priority where the backend can: a handler that restarts the write until
   * it gets rtnl then spins only on a CPU nothing else wants.
   */
  sysctlSet(key: string, value: string, options?: { idle?: boolean }): Promise<void>;

  /** Apply an nft document atomically in the daemon's namespace (`nft -f -`). */
  nftApply(document: string): Promise<void>;
  /** `nft list table FAMILY NAME` text, or undefined when the table does not exist. */
  nftListTable(family: string, name: string): Promise<string | undefined>;
  /** Delete a table; a missing one is success. */
  nftDeleteTable(family: string, name: string): Promise<void>;

  /**
   * The rules of a chain of iptables' `filter` table (`iptables -S CHAIN`), each as the argv after
   * `-A CHAIN`; undefined when the chain (or iptables) does not exist.
   */
  iptablesList(family: 4 | 6, chain: string): Promise<string[][] | undefined>;
  /** Changes to iptables' `filter` table, in order: a chain that exists and a rule already gone are success. */
  iptables(family: 4 | 6, ops: readonly XtOp[]): Promise<void>;

  /**
   * Whether this kernel can make links of `kind` (probed once, then cached). A driver asks before
   * it changes anything and refuses with `linkKindMissing(kind)` (PB_ERR_KERNEL_FEATURE); an op
   * that creates a missing kind fails with that error too.
   */
  supportsLinkKind(kind: LinkKind): Promise<boolean>;

  /** Verify the tools exist; throws an error naming the Debian package to install. */
  checkTools(tools: readonly ('ip' | 'nft')[]): Promise<void>;
}
