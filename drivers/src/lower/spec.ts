import type { IpOp, NetnsRef } from '@patchbay/kernel';

/** What sets macvlan and ipvlan apart; everything else of the two drivers is shared (lower/). */
export interface LowerSpec {
  kind: 'macvlan' | 'ipvlan';
  /** the prefix of the dummy parent made for a network without `parent` (Docker's dm-/di-) */
  dummyPrefix: string;
  modeOption: string;
  /** the first is the default */
  modes: readonly string[];
  flagOption?: string;
  flags: readonly string[];
  /** the op that creates an endpoint's link on `parent`, straight in `netns` as `name` */
  linkOp(args: { name: string; parent: string; mode: string; flag?: string; netns: NetnsRef; mtu?: number; mac?: string }): IpOp;
  /** routes go through the device, not a gateway (ipvlan l3, l3s) */
  routesViaDevice(mode: string): boolean;
  /** the link has its parent's MAC, never the endpoint's (ipvlan; macvlan passthru) */
  sharesParentMac(mode: string): boolean;
  /** the kernel lets only this many links of the mode on one parent (macvlan passthru: 1) */
  maxLinksPerParent(mode: string): number | undefined;
}
