import type { Step } from '@patchbay/kernel';
import type { DriverContext } from '../contract.js';

/**
 * The step that removes a link of the daemon's namespace (a host veth, a bridge). With a
 * retired-link group (DriverContext.retiredLinkGroup) the link goes down and into the group,
 * for the daemon's reaper to delete in the background; without one it is deleted here and now.
 * Either way, a link already gone is success. `keepUp`: the retired link stays up (a veth whose
 * peer goes down in the same leave: the host end loses its carrier with it, so the bridge port
 * stops forwarding, and the leave pays one link-down, with its RCU wait, instead of two).
 * `parkIn`: the group of parked links instead (DriverContext.parkedLinks).
 */
export function removeLinkStep(what: string, name: string, ctx: DriverContext, opts: { keepUp?: boolean; parkIn?: number } = {}): Step {
  const group = opts.parkIn ?? ctx.retiredLinkGroup;
  if (group === undefined) {
    return {
      name: `delete ${what} ${name}`,
      run: () => ctx.kernel.ip(null, [{ op: 'link.del', name }], { ignoreMissing: true }),
    };
  }
  return {
    name: `${opts.parkIn !== undefined ? 'park' : 'retire'} ${what} ${name}`,
    run: () => ctx.kernel.ip(null, [{ op: 'link.set', name, ...(opts.keepUp ? {} : { up: false }), group }], { ignoreMissing: true }),
    undo: () => ctx.kernel.ip(null, [{ op: 'link.set', name, group: 0, up: true }], { ignoreMissing: true }),
  };
}
