import { PatchbayError } from '@patchbay/errors';
import type { SandboxOrigin, SandboxRecord } from '../store/index.js';
import { isUniqueViolation, type Core } from './core.js';
import { newId, nowRfc3339Nano } from './ids.js';
import { findSandbox } from './lookup.js';
import { removeResolvConf } from './sandbox-dns.js';

export const sandboxNetnsName = (id: string) => `pb-${id.slice(0, 12)}`;

export interface CreateSandboxInput {
  name?: string;
  containerId?: string;
  netnsPath?: string;
  /** set by a front door that manages the sandbox's life itself (CNI) */
  origin?: SandboxOrigin;
}

export function createSandboxes(core: Core, leaveAll: (sb: SandboxRecord) => Promise<void>) {
  const { store, kernel, locks, log } = core;

  async function create(input: CreateSandboxInput): Promise<SandboxRecord> {
    const id = newId();
    const name = input.name ?? input.containerId ?? id.slice(0, 12);
    if (store.sandboxByName(name)) throw new PatchbayError('PB_ERR_SANDBOX_EXISTS', `sandbox with name ${name} already exists`);
    if (input.netnsPath !== undefined) {
      const path = input.netnsPath;
      if (path.split('/').includes('..') || !(await kernel.isNetns(path))) {
        throw new PatchbayError('PB_ERR_INVALID_NETNS', `netnsPath ${JSON.stringify(path)} is not a network namespace file`);
      }
    }
    const record: SandboxRecord = {
      id,
      name,
      containerId: input.containerId ?? id,
      key: input.netnsPath ?? `/run/netns/${sandboxNetnsName(id)}`,
      external: input.netnsPath !== undefined,
      created: nowRfc3339Nano(),
      state: 'creating',
      ...(input.origin ? { origin: input.origin } : {}),
    };
    try {
      store.insertSandbox(record);
    } catch (err) {
      if (isUniqueViolation(err)) throw new PatchbayError('PB_ERR_SANDBOX_EXISTS', `sandbox with name ${name} already exists`);
      throw err;
    }
    try {
      if (!record.external) record.key = await kernel.netnsAdd(sandboxNetnsName(id));
    } catch (err) {
      store.deleteSandbox(id);
      throw err;
    }
    store.setSandboxState(id, 'ready');
    record.state = 'ready';
    core.changes.publish({ type: 'sandbox.created', sandbox: record });
    log.info({ sandbox: name, id: id.slice(0, 12), key: record.key }, 'sandbox created');
    return record;
  }

  /** Leaves every network first, then removes the namespace (never an adopted one). */
  async function remove(ref: string): Promise<void> {
    const sb = findSandbox(store, ref);
    await leaveAll(sb);
    await locks.with([`sb:${sb.id}`], async () => {
      // An adopted namespace (CNI) outlives the sandbox: its interfaces were taken down and renamed
      // out of the way by the leaves, and the reaper deletes them soon; the caller need not wait
      // for that (a runtime may re-add the same interface name at once). Our own namespace goes
      // with its links once the reaper is done with them.
      // its parked pairs (no join of it will take them back) go to the reaper first
      await core.parking?.release((p) => p.sandbox === sb.id, { inPlace: !sb.external });
      if (!sb.external) await core.reaper.settled(sb.id);
      store.setSandboxState(sb.id, 'deleting');
      if (!sb.external) await kernel.netnsDelete(sandboxNetnsName(sb.id));
      // its leaves removed it already; one left by an earlier run goes too
      await removeResolvConf(core, sb).catch((err: unknown) => log.warn({ err, sandbox: sb.name }, 'cannot remove the sandbox\'s resolv.conf'));
      store.deleteSandbox(sb.id);
    });
    core.changes.publish({ type: 'sandbox.removed', sandbox: sb });
    log.info({ sandbox: sb.name, id: sb.id.slice(0, 12) }, 'sandbox removed');
  }

  return { create, remove };
}
