import { PatchbayError } from '@patchbay/errors';
import { requireLinkKinds, type IpOp, type Step } from '@patchbay/kernel';
import type { DriverContext, DriverDrift, DriverNetwork, RootView } from '../contract.js';
import { inDockerWords, PARENT_OPTION, parentOf, splitVlanParent } from './options.js';
import type { LowerSpec } from './spec.js';

/**
 * A macvlan/ipvlan network owns no device of its own: its endpoints sit on a parent interface.
 * patchbay makes the parent only when it is an 802.1Q sub-interface that does not exist yet
 * (`parent=eth0.10`), or a dummy for a network without parent (Docker's internal network);
 * `made` records which, so only what patchbay made is deleted with the network or re-made.
 */
export interface LowerState extends Record<string, unknown> {
  parent: string;
  created: boolean;
  made?: 'vlan' | 'dummy';
}

export function lowerStateOf(net: DriverNetwork): LowerState {
  const made = net.state.made as LowerState['made'];
  return { parent: parentOf(net) ?? '', created: net.state.created === true, ...(made ? { made } : {}) };
}

/** The ops that make a parent patchbay owns, up. */
function makeParentOps(state: LowerState): IpOp[] {
  const make: IpOp =
    state.made === 'vlan'
      ? { op: 'vlan.add', name: state.parent, parent: splitVlanParent(state.parent)!.base, id: splitVlanParent(state.parent)!.vlan }
      : { op: 'dummy.add', name: state.parent };
  return [make, { op: 'link.set', name: state.parent, up: true }];
}

function makeParentStep(state: LowerState, ctx: DriverContext): Step {
  return {
    name: `create ${state.made} parent ${state.parent}`,
    run: () => ctx.kernel.ip(null, makeParentOps(state)),
    undo: () => ctx.kernel.ip(null, [{ op: 'link.del', name: state.parent }], { ignoreMissing: true }),
  };
}

/** dockerd says it in two ways: for a name without a VLAN suffix, and for a missing base of one (its typo kept) */
const parentNotFound = (name: string, wanted: string) =>
  inDockerWords(
    new PatchbayError('PB_ERR_INVALID_OPTION', `-o parent interface was not found on the host: ${name}`),
    name === wanted ? `invalid subinterface vlan name ${name}, example formatting is eth0.10` : `-o parent interface does was not found on the host: ${name}`,
  );

/**
 * Plan a network: every link type it will need is checked before anything changes (the
 * driver's own, 802.1Q for a missing sub-interface, dummy for a network without parent), then
 * the parent is found or made.
 */
export async function planCreateLower(spec: LowerSpec, net: DriverNetwork, ctx: DriverContext): Promise<{ steps: Step[]; state: LowerState }> {
  await requireLinkKinds(ctx.kernel, [spec.kind]);
  const wanted = net.options[PARENT_OPTION];
  if (wanted === undefined) {
    // Docker's internal network without parent: a dummy per network (no kernel here without it
    // fakes one: the refusal names the missing dummy link type)
    await requireLinkKinds(ctx.kernel, ['dummy']);
    const state: LowerState = { parent: `${spec.dummyPrefix}${net.id.slice(0, 12)}`, created: true, made: 'dummy' };
    return { steps: [makeParentStep(state, ctx)], state };
  }
  if (await ctx.kernel.link(null, wanted)) return { steps: [], state: { parent: wanted, created: false } };
  const vlan = splitVlanParent(wanted);
  if (!vlan) throw parentNotFound(wanted, wanted);
  if (!(await ctx.kernel.link(null, vlan.base))) throw parentNotFound(vlan.base, wanted);
  await requireLinkKinds(ctx.kernel, ['vlan']);
  const state: LowerState = { parent: wanted, created: true, made: 'vlan' };
  return { steps: [makeParentStep(state, ctx)], state };
}

/** Delete: the parent goes only when patchbay made it ("already gone" is success). */
export function planDeleteLower(net: DriverNetwork, ctx: DriverContext): Step[] {
  const { parent, created } = lowerStateOf(net);
  if (!created) return [];
  return [{ name: `delete parent ${parent}`, run: () => ctx.kernel.ip(null, [{ op: 'link.del', name: parent }], { ignoreMissing: true }) }];
}

/** The network against the kernel: its parent exists (a made one is re-made, and kept up). */
export function checkLowerNetwork(net: DriverNetwork, root: RootView, ctx: DriverContext): DriverDrift[] {
  const state = lowerStateOf(net);
  const link = root.links.get(state.parent);
  if (!link && state.created) {
    return [{ kind: 'parent-missing', action: `re-create ${state.made} parent ${state.parent}`, repair: () => ctx.kernel.ip(null, makeParentOps(state)) }];
  }
  if (!link) {
    return [
      {
        kind: 'parent-missing',
        action: `parent interface ${state.parent} is gone: restore it on the host (patchbay did not make it), or remove network ${net.name}`,
        repair: () => Promise.reject(new PatchbayError('PB_ERR_NOT_FOUND', `parent interface ${state.parent} of network ${net.name} is gone; patchbay did not make it and cannot re-make it`)),
      },
    ];
  }
  if (state.created && !link.up) {
    return [{ kind: 'parent-down', action: `set ${state.parent} up`, repair: () => ctx.kernel.ip(null, [{ op: 'link.set', name: state.parent, up: true }]) }];
  }
  return [];
}
