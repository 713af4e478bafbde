import type { AddrInfo, IpOp, Kernel, LinkInfo, NetnsRef, RouteInfo, Step } from '@patchbay/kernel';

/** What a driver knows of a network: its identity, parsed options and addresses. */
export interface DriverNetwork {
  id: string;
  name: string;
  options: Record<string, string>;
  internal: boolean;
  /** the default network of the daemon (`bridge`) */
  isDefault: boolean;
  ipv4?: { subnet: string; gateway?: string };
  ipv6?: { subnet: string; gateway?: string };
  /** driver-private state stored with the network (returned by planCreateNetwork) */
  state: Record<string, unknown>;
}

export interface DriverEndpoint {
  id: string;
  /** CIDR form */
  ipv4?: string;
  ipv6?: string;
  mac?: string;
}

/** An endpoint as far as a join went: its host-side link (if any) and its interface name in the sandbox. */
export interface JoinedEndpoint extends DriverEndpoint {
  hostIf: string | null;
  ifName: string | null;
}

export interface DriverSandbox {
  id: string;
  /** namespace file path of the sandbox */
  key: NetnsRef;
}

/**
 * Where attach creates the container side of an endpoint: patchbay's own sandboxes give the
 * sandbox's namespace and its eth<N>; Docker's remote-driver protocol gives the host namespace
 * and a temporary name (dockerd moves and renames the interface itself).
 */
export interface AttachTarget {
  netns: NetnsRef;
  ifName: string;
  /**
   * A join: the container side is to be configured in `netns` as planConfigure would. A driver
   * may do it in its attach steps (then AttachPlan.configured is true, and planConfigure is not
   * asked), e.g. in the same kernel call.
   */
  configure?: ConfigureSpec;
  /**
   * A join: a pair this sandbox left this network with, parked, its peer holding `ifName`. The
   * driver may take it back instead of making a new link (AttachPlan.takesParked); else the
   * caller retires it first, out of the way.
   */
  parked?: ParkedPair;
}

export interface AttachPlan {
  steps: Step[];
  /** host-side interface name, recorded with the endpoint before the steps run */
  hostIf: string | null;
  /** the steps also configure the container side (AttachTarget.configure) */
  configured?: boolean;
  /** the steps take back AttachTarget.parked (whose host end is `hostIf`) */
  takesParked?: boolean;
}

export interface ConfigureSpec {
  /** the endpoint's interface inside the sandbox */
  ifName: string;
  /** this endpoint gives the sandbox its default route */
  isGateway: boolean;
}

/** The kernel as reconcile saw it: the daemon's namespace, read once for every check. */
export interface RootView {
  links: ReadonlyMap<string, LinkInfo>;
  addresses: readonly AddrInfo[];
}

/** A sandbox's namespace, read on first use and at most once per reconcile. */
export interface SandboxView {
  links(): Promise<LinkInfo[]>;
  addresses(): Promise<AddrInfo[]>;
  routes(): Promise<RouteInfo[]>;
}

/** Something the kernel lost or changed, with the repair that puts it back. */
export interface DriverDrift {
  kind: string;
  /** what the check found, in words (`address 10.0.0.2/24 is missing from eth0`) */
  found?: string;
  action: string;
  repair(): Promise<void>;
  /** the repair made a new host device: per-device settings (sysctls, firewall) must be re-applied */
  remadeDevice?: boolean;
}

export interface EndpointCheck {
  root: RootView;
  /** present for deep checks: the endpoint's sandbox from inside */
  sandbox?: SandboxView;
  /** whether this endpoint gives its sandbox the default route (known for deep checks) */
  isGateway: boolean;
  /** the controller's repair for lost links: tear down what is left and join again (same name, addresses) */
  rejoin(): Promise<void>;
}

/** What the firewall needs to know of a network whose traffic crosses the host. */
export interface FirewallFacts {
  /** the interface that carries the network on the host */
  hostInterface: string;
  masquerade: boolean;
  icc: boolean;
  /** ports of its endpoints can be published on the host */
  publishesPorts: boolean;
  hostBindingIpv4?: string;
}

/** Driver-specific facts shown in the network's view. */
export interface ViewFacts {
  bridge?: string;
}

export interface DriverContext {
  kernel: Kernel;
  /** daemon-wide defaults, e.g. the default MTU */
  defaults: { mtu: number };
  /**
   * When set, a leave retires its host link, and a network delete its bridge, instead of deleting
   * them: down (so no frame passes) and moved into this link group, which the daemon's reaper
   * deletes in the background in one kernel operation. Deleting a veth waits about 20 ms for the
   * kernel's RCU grace period, a bridge more; nothing the caller sees needs to wait for it.
   * A retired link must not hold a name a caller may ask for next: a leave frees the interface
   * name in the sandbox at once (the bridge driver takes its peer down and renames it), so a join
   * into that sandbox never waits for the reaper.
   */
  retiredLinkGroup?: number;
  /** Resolves once every retired link is deleted (a name a retired link holds is then free). */
  retiredSettled?(): Promise<void>;
  /**
   * When set, a leave that asks for it (NetworkDriver.planLeave's `park`) parks the endpoint's veth
   * pair here for a while instead of retiring it: both ends keep their names, the host end up on
   * its bridge in the parked group, the peer down without addresses. A join of that sandbox to that
   * network takes it back (AttachTarget.parked): `docker network disconnect` then `connect` sets a
   * pair up again instead of making a new one (and deleting the old, an RCU wait).
   */
  parkedLinks?: ParkedLinks;
  /**
   * Asks for IPv6 to be turned off on a host-side link that needs none (a bridge port), later and
   * in the background: no caller waits for it. With IPv6 on, each host link adds an IPv6
   * multicast route that every later link event makes the kernel walk (daemon: link-quieter.ts).
   */
  quietHostLink?(name: string): void;
  /** Set when the daemon is part of a cluster (--cluster-store): what global-scope drivers need. */
  cluster?: ClusterFacts;
}

/** This host in the cluster: its underlay (VTEP) address and the MTU of the interface carrying it. */
export interface ClusterFacts {
  localAddress: string;
  underlayMtu: number;
}

/** The link group of retired links (see DriverContext.retiredLinkGroup): "pb" and 1. */
export const RETIRED_LINK_GROUP = 0x7062_0001;
/** The link group of parked host links (see DriverContext.parkedLinks): "pb" and 2. */
export const PARKED_LINK_GROUP = 0x7062_0002;

/** A left endpoint's veth pair, parked (see DriverContext.parkedLinks). */
export interface ParkedPair {
  /** the network it was on: only a join to the same network takes it back */
  network: string;
  /** the sandbox its peer is in: the reaper's owner once it is retired */
  sandbox: string;
  netns: NetnsRef;
  /** the host end (the left endpoint's name, which no one else asks for: that endpoint is gone) */
  hostIf: string;
  /** the peer's name in the sandbox (the left endpoint's interface name, held while parked) */
  peer: string;
  /** the peer's name once retired (out of the way of a join that wants `peer`) */
  retiredPeer: string;
}

/** The daemon's parked pairs; a parked host link is in `group`, up, on its bridge. */
export interface ParkedLinks {
  readonly group: number;
  /** after a leave parked the pair */
  park(pair: ParkedPair): void;
  /** a leave's undo: the pair (by its host end) is in use again */
  unpark(hostIf: string): void;
  /**
   * A join that planned to set the pair up again takes it: still parked, it is the join's now;
   * retired since (it waited too long), `gone` resolves once it is deleted and its names are free.
   */
  take(pair: ParkedPair): { taken: true } | { taken: false; gone: Promise<void> };
}

/**
 * A network driver: a plain object from a factory. Optional members are capabilities; a driver
 * without `planAttach` needs no kernel work to join (null, host), one without `checkEndpoint`
 * has nothing in the kernel reconcile could find drifted.
 */
export interface NetworkDriver {
  readonly name: string;
  /** local: this host's kernel and store; global: shared by every host (overlay) */
  readonly scope: 'local' | 'global';
  /** host and null: no IPAM, no addresses */
  readonly usesIpam: boolean;
  /** host and null: a single predefined network */
  readonly singleton: boolean;
  /**
   * A sandbox on this network joins no other network, and one on another network cannot join it:
   * `shared` (host) — the sandbox shares the host's stack; `private` (null, Docker's none mode) —
   * the sandbox keeps loopback only. A shared network's refusal wins over a private one's.
   */
  readonly exclusive?: 'shared' | 'private';
  /**
   * Validate and normalise driver options; throws an InvalidParameter (or Conflict) PatchbayError.
   * `others` are the existing networks of this driver.
   */
  validateOptions(
    options: Record<string, string>,
    network: { name: string; isDefault: boolean },
    others: readonly DriverNetwork[],
  ): Record<string, string>;
  /** Plan the kernel changes for a new network and the driver state to store with it. */
  planCreateNetwork?(net: DriverNetwork, ctx: DriverContext): Promise<{ steps: Step[]; state: Record<string, unknown> }>;
  planDeleteNetwork?(net: DriverNetwork, ctx: DriverContext): Step[];
  /** First half of a join: the endpoint's links and their host side; the container side is created in `target`. */
  planAttach?(net: DriverNetwork, ep: DriverEndpoint, target: AttachTarget, ctx: DriverContext): AttachPlan;
  /** Second half: inside the sandbox (MAC, addresses, link up, default route). */
  planConfigure?(net: DriverNetwork, ep: DriverEndpoint, sb: DriverSandbox, spec: ConfigureSpec, ctx: DriverContext): Step[];
  /** Undo a join; `sb` is undefined for an endpoint that was attached only (its container side is not in a sandbox). */
  /** `park`: the endpoint goes with the leave, so its pair may be parked (DriverContext.parkedLinks) */
  planLeave?(net: DriverNetwork, ep: JoinedEndpoint, sb: DriverSandbox | undefined, ctx: DriverContext, opts?: { park?: boolean }): Step[];
  /**
   * After a crash, or when the sandbox vanished: remove whatever a join of `ep` left (any part of
   * it may exist or not; "already gone" is success). `sb` is undefined when its namespace is gone.
   */
  teardownEndpoint?(net: DriverNetwork, ep: JoinedEndpoint, sb: DriverSandbox | undefined, ctx: DriverContext): Promise<void>;
  /** ip ops (in the sandbox) that install the default route through this network */
  gatewayOps?(net: DriverNetwork, ifName: string): IpOp[];
  /** The interface that carries the network on the host (a bridge), when the network owns one. */
  hostInterface?(net: DriverNetwork): string | undefined;
  /** Other links of the daemon's namespace the network owns (overlay: its vxlan device), so orphan detection keeps them. */
  networkLinks?(net: DriverNetwork): string[];
  /** Compare a ready network with the kernel. */
  checkNetwork?(net: DriverNetwork, root: RootView, ctx: DriverContext): DriverDrift[];
  /** Compare a joined endpoint with the kernel; repairs re-make what is lost. */
  checkEndpoint?(net: DriverNetwork, ep: JoinedEndpoint, sb: DriverSandbox, view: EndpointCheck, ctx: DriverContext): Promise<DriverDrift[]>;
  /** The network's firewall facts; undefined: the firewall has nothing to do for it. */
  firewallFacts?(net: DriverNetwork): FirewallFacts | undefined;
  viewFacts?(net: DriverNetwork): ViewFacts;
  /**
   * How many endpoints the network can have, when the kernel bounds it (macvlan passthru: one
   * link per parent), and why; the controller refuses one more before anything changes.
   */
  endpointLimit?(net: DriverNetwork): { max: number; reason: string } | undefined;
  /** Whether a link of the daemon's namespace has a name this driver gives (orphan detection). */
  ownsLinkName?(name: string): boolean;
}
