import type { Controller } from '../controller/index.js';
import { findAttachment, removeAttachment } from './attachments.js';
import { findConfiguredNetwork } from './network.js';
import type { CniCall } from './request.js';

/**
 * DEL: best effort and idempotent. An attachment that is not there (never added, deleted before,
 * its namespace gone, an empty CNI_NETNS, no prevResult) is success; its addresses and ports are
 * freed even when the namespace no longer exists. The namespace itself is never deleted.
 */
export async function cniDel(controller: Controller, call: CniCall): Promise<void> {
  const net = findConfiguredNetwork(controller, call.config);
  if (!net) return;
  await controller.core.locks.with([`cni:${call.containerId}`], async () => {
    const att = findAttachment(controller, call.containerId, call.ifName, net);
    if (!att) return;
    // A DEL naming another namespace is about an attachment that no longer exists (the container
    // was re-added in a new namespace since): the live one stays.
    if (call.netns !== '' && call.netns !== att.sandbox.key) {
      controller.core.log.warn({ containerId: call.containerId, ifName: call.ifName, netns: call.netns, key: att.sandbox.key }, 'CNI DEL for another namespace: nothing to do');
      return;
    }
    await removeAttachment(controller, att);
  });
}
