import type { Controller } from '../controller/index.js';
import { attachmentsOf, removeAttachment, type Attachment } from './attachments.js';
import { cniError } from './errors.js';
import { findConfiguredNetwork } from './network.js';
import type { CniCall } from './request.js';

/**
 * GC: every CNI attachment of the configuration's network that is not in
 * `cni.dev/valid-attachments` goes. It carries on past failures and reports them together at the end.
 */
export async function cniGc(controller: Controller, call: CniCall): Promise<{ removed: number }> {
  const valid = call.config['cni.dev/valid-attachments'];
  if (valid === undefined) throw cniError('PB_ERR_CNI_INVALID_CONFIG', 'GC needs cni.dev/valid-attachments');
  const net = findConfiguredNetwork(controller, call.config);
  if (!net) return { removed: 0 };
  const keep = new Set(valid.map((a) => `${a.containerID}\n${a.ifname}`));
  const { store } = controller.core;
  const stale: Attachment[] = store
    .sandboxes()
    .filter((sb) => sb.origin === 'cni')
    .flatMap((sb) => attachmentsOf(controller, sb, { network: net }))
    .filter((att) => att.endpoint.ifName !== null && !keep.has(`${att.sandbox.containerId}\n${att.endpoint.ifName}`));
  const failures: string[] = [];
  for (const att of stale) {
    try {
      await controller.core.locks.with([`cni:${att.sandbox.containerId}`], async () => {
        const current = store.endpointById(att.endpoint.id);
        const sandbox = current?.sandboxId ? store.sandboxById(current.sandboxId) : undefined;
        if (current && sandbox) await removeAttachment(controller, { ...att, endpoint: current, sandbox });
      });
    } catch (err) {
      failures.push(`${att.sandbox.containerId}/${att.endpoint.ifName}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) throw cniError('PB_ERR_INTERNAL', `GC could not remove ${failures.length} of ${stale.length} attachment(s)`, failures.join('; '));
  controller.core.log.info({ network: net.name, removed: stale.length }, 'CNI GC');
  return { removed: stale.length };
}
