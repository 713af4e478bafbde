import { statSync } from 'node:fs';
import { NAME_RE } from '@patchbay/api';
import { isPatchbayError } from '@patchbay/errors';
import type { Controller } from '../controller/index.js';
import { dropVanishedSandbox } from '../controller/vanished.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../store/index.js';
import { cniError } from './errors.js';
import type { CniCall } from './request.js';

/**
 * A CNI attachment is (CNI_CONTAINERID, CNI_IFNAME) in a network: an endpoint joined to the
 * sandbox the CNI front door made for that container (origin 'cni'), which adopts the runtime's
 * namespace (external: patchbay never deletes it).
 */
export interface Attachment {
  sandbox: SandboxRecord;
  endpoint: EndpointRecord;
  network: NetworkRecord;
}

export const cniSandboxOf = (controller: Controller, containerId: string) => controller.core.store.sandboxByOrigin('cni', containerId);

/** Every attachment of the container's sandbox (optionally only those with this ifname or network). */
export function attachmentsOf(controller: Controller, sandbox: SandboxRecord, filter: { ifName?: string; network?: NetworkRecord } = {}): Attachment[] {
  const { store } = controller.core;
  return store.endpointsInSandbox(sandbox.id).flatMap((endpoint) => {
    const network = store.networkById(endpoint.networkId)!;
    if (filter.network && network.id !== filter.network.id) return [];
    if (filter.ifName !== undefined && endpoint.ifName !== filter.ifName) return [];
    return [{ sandbox, endpoint, network }];
  });
}

export function findAttachment(controller: Controller, containerId: string, ifName: string, network?: NetworkRecord): Attachment | undefined {
  const sandbox = cniSandboxOf(controller, containerId);
  return sandbox ? attachmentsOf(controller, sandbox, { ifName, ...(network ? { network } : {}) })[0] : undefined;
}

/** skel refuses a CNI_NETNS that is the plugin's own namespace; here that is the daemon's. */
function isOwnNetns(path: string): boolean {
  try {
    const a = statSync(path);
    const b = statSync('/proc/self/ns/net');
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** Names for the container's sandbox, best first: the pod or container name the runtime gave, then ids. */
function sandboxNames(call: CniCall): string[] {
  const id = call.containerId;
  const names = [call.args.podName, `cni-${id.slice(0, 12)}`, `cni-${id}`, `cni-${id.slice(0, 12)}-${Date.now().toString(36)}`];
  return [...new Set(names.filter((n): n is string => n !== undefined && NAME_RE.test(n)))];
}

/**
 * ADD: the container's sandbox in CNI_NETNS: the one it has, or a new one adopting the namespace.
 * A sandbox of the same container in another namespace is stale (the runtime restarted the
 * container without a DEL): its attachments go first.
 */
export async function adoptSandbox(controller: Controller, call: CniCall): Promise<{ sandbox: SandboxRecord; created: boolean }> {
  const existing = cniSandboxOf(controller, call.containerId);
  if (existing?.key === call.netns) return { sandbox: existing, created: false };
  if (existing) {
    controller.core.log.warn({ containerId: call.containerId, old: existing.key, netns: call.netns }, 'CNI: container moved to a new namespace without DEL; dropping its old attachments');
    await removeSandbox(controller, existing);
  }
  if (isOwnNetns(call.netns)) throw cniError('PB_ERR_CNI_INVALID_ENV', `CNI_NETNS ${call.netns} is patchbayd's own network namespace`);
  for (const name of sandboxNames(call)) {
    try {
      const sandbox = await controller.sandboxes.create({ name, containerId: call.containerId, netnsPath: call.netns, origin: 'cni' });
      return { sandbox, created: true };
    } catch (err) {
      if (isPatchbayError(err) && err.code === 'PB_ERR_SANDBOX_EXISTS') continue;
      throw err;
    }
  }
  throw cniError('PB_ERR_SANDBOX_EXISTS', `no free sandbox name for container ${call.containerId}`);
}

/** The sandbox and all its attachments; the namespace stays (it is the runtime's). */
export async function removeSandbox(controller: Controller, sandbox: SandboxRecord): Promise<void> {
  if (await controller.core.kernel.isNetns(sandbox.key)) return controller.sandboxes.remove(sandbox.id);
  // the namespace is gone, and with it every interface inside: nothing to leave, only records to drop
  await controller.core.locks.with([`sb:${sandbox.id}`], async () => {
    const current = controller.core.store.sandboxById(sandbox.id);
    if (current) await dropVanishedSandbox(controller.core, current);
  });
}

/**
 * DEL and GC: leave and delete the endpoint; the sandbox record goes with its last attachment.
 * Whatever is already gone (the periodic sweep may drop a vanished namespace's sandbox meanwhile)
 * counts as removed.
 */
export async function removeAttachment(controller: Controller, att: Attachment): Promise<void> {
  try {
    await removeNow(controller, att);
  } catch (err) {
    if (!(isPatchbayError(err) && err.kind === 'NotFound')) throw err;
  }
}

async function removeNow(controller: Controller, att: Attachment): Promise<void> {
  const { sandbox } = att;
  const others = attachmentsOf(controller, sandbox).filter((a) => a.endpoint.id !== att.endpoint.id);
  if (others.length === 0) return removeSandbox(controller, sandbox);
  // with other interfaces left in a namespace that is gone, they are all dead: drop the lot
  if (!(await controller.core.kernel.isNetns(sandbox.key))) return removeSandbox(controller, sandbox);
  await controller.endpoints.disconnect(att.network.id, sandbox.id);
}
