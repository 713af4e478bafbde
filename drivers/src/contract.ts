import type { IpOp, Kernel, NetnsRef, Step } from '@patchbay/kernel';

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

export interface DriverSandbox {
  id: string;
  /** namespace file path of the sandbox */
  key: NetnsRef;
}

export interface JoinSpec {
  /** N of eth<N> inside the sandbox */
  ifIndex: number;
  /** the interface name inside the sandbox when the caller chose it (CNI_IFNAME), instead of eth<N> */
  ifName?: string;
  /** this endpoint gives the sandbox its default route */
  isGateway: boolean;
}

export interface JoinPlan {
  steps: Step[];
  /** host-side interface name, recorded with the endpoint */
  hostIf: string | null;
  ifName: string | null;
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
   */
  retiredLinkGroup?: number;
  /** Resolves once every retired link is deleted (a name a retired link holds is then free). */
  retiredSettled?(): Promise<void>;
}

/** The link group of retired links (see DriverContext.retiredLinkGroup): "pb" and 1. */
export const RETIRED_LINK_GROUP = 0x7062_0001;

/**
 * A network driver: a plain object from a factory. Optional members are capabilities; a driver
 * without `planJoin` needs no kernel work to join (null, host).
 */
export interface NetworkDriver {
  readonly name: string;
  /** host and null: no IPAM, no addresses */
  readonly usesIpam: boolean;
  /** host and null: a single predefined network */
  readonly singleton: boolean;
  /** Validate and normalise driver options; throws an InvalidParameter PatchbayError. */
  validateOptions(options: Record<string, string>, network: { name: string; isDefault: boolean }): Record<string, string>;
  /** Plan the kernel changes for a new network and the driver state to store with it. */
  planCreateNetwork?(net: DriverNetwork, ctx: DriverContext): Promise<{ steps: Step[]; state: Record<string, unknown> }>;
  planDeleteNetwork?(net: DriverNetwork, ctx: DriverContext): Step[];
  planJoin?(net: DriverNetwork, ep: DriverEndpoint, sb: DriverSandbox, join: JoinSpec, ctx: DriverContext): JoinPlan;
  planLeave?(net: DriverNetwork, ep: DriverEndpoint & { hostIf: string | null }, sb: DriverSandbox, ctx: DriverContext): Step[];
  /** ip ops (in the sandbox) that install the default route through this network */
  gatewayOps?(net: DriverNetwork, ifName: string): IpOp[];
  /** The interface that carries the network on the host (for firewall rules). */
  hostInterface?(net: DriverNetwork): string | undefined;
}
