import { PatchbayError, type KernelError } from '@patchbay/errors';
import { LINK_KINDS, type IpOp, type LinkKind } from './contract.js';
import { invalidInput } from './validate.js';

/**
 * Which link types the kernel has: the kernel option behind each, the error that names a missing
 * one, and the op → kind map that turns the kernel's "Unknown device type" into that error.
 */

const CONFIG_OF: Record<LinkKind, string> = {
  macvlan: 'CONFIG_MACVLAN',
  ipvlan: 'CONFIG_IPVLAN',
  vlan: 'CONFIG_VLAN_8021Q',
  dummy: 'CONFIG_DUMMY',
  vxlan: 'CONFIG_VXLAN',
  bridge: 'CONFIG_BRIDGE',
  veth: 'CONFIG_VETH',
};

/** What the kernel answers for a link type it does not have (EOPNOTSUPP with this extack). */
export const UNKNOWN_KIND_RE = /Unknown device type/;

export function checkLinkKind(kind: unknown): LinkKind {
  if (!(LINK_KINDS as readonly unknown[]).includes(kind)) throw invalidInput('link kind', kind, LINK_KINDS.join('|'));
  return kind as LinkKind;
}

/** The refusal a driver gives before changing anything, and what a batch that tried it throws. */
export function linkKindMissing(kind: LinkKind, details: Record<string, unknown> = {}, cause?: unknown): PatchbayError {
  const config = CONFIG_OF[kind];
  return new PatchbayError('PB_ERR_KERNEL_FEATURE', `this kernel has no ${kind} link type (${config})`, {
    cause,
    details: { ...details, kind, config },
  });
}

/** Throws linkKindMissing for the first of `kinds` the kernel lacks. */
export async function requireLinkKinds(kernel: { supportsLinkKind(kind: LinkKind): Promise<boolean> }, kinds: readonly LinkKind[]): Promise<void> {
  for (const kind of kinds) if (!(await kernel.supportsLinkKind(kind))) throw linkKindMissing(kind);
}

/** The link type an op creates, if it creates one. */
export function kindCreatedBy(op: IpOp | undefined): LinkKind | undefined {
  switch (op?.op) {
    case 'bridge.add':
      return 'bridge';
    case 'veth.add':
      return 'veth';
    case 'macvlan.add':
      return 'macvlan';
    case 'ipvlan.add':
      return 'ipvlan';
    case 'vlan.add':
      return 'vlan';
    case 'dummy.add':
      return 'dummy';
    case 'vxlan.add':
      return 'vxlan';
    default:
      return undefined;
  }
}

/**
 * A batch error whose failing op created a link type the kernel does not have becomes
 * linkKindMissing (keeping the batch facts: failedOp, argv, stderr); any other stays as it is.
 */
export function withMissingKind(err: KernelError, ops: readonly IpOp[]): KernelError | PatchbayError {
  const failedOp = err.details?.failedOp;
  const failures = err.details?.failures as { op: number; message: string }[] | undefined;
  const first = failures?.find((f) => f.op === failedOp);
  const kind = typeof failedOp === 'number' ? kindCreatedBy(ops[failedOp]) : undefined;
  if (kind === undefined || first === undefined || !UNKNOWN_KIND_RE.test(first.message)) return err;
  return linkKindMissing(kind, { ...err.details }, err);
}
