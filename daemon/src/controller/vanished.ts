import type { SandboxRecord } from '../store/index.js';
import type { Core } from './core.js';
import { dropEndpoint, tearDownJoin } from './endpoint-drop.js';

/** Is the sandbox's namespace still there? Named ones are looked up in one listing of /run/netns. */
export async function namespacePresent(core: Core, sb: SandboxRecord, netnsNames: ReadonlySet<string>, ownName: string): Promise<boolean> {
  const named = /^\/run\/netns\/([^/]+)$/.exec(sb.key)?.[1];
  if (sb.external && !named) return core.kernel.isNetns(sb.key);
  return netnsNames.has(named ?? ownName);
}

/**
 * An adopted namespace went away (its process exited without a disconnect): its endpoints go,
 * their addresses and ports are freed, and the sandbox record is removed. Nothing is done inside
 * the dead namespace; what its drivers left on the host side is torn down (a veth's host end
 * died with its peer; deleted again in case).
 */
export async function dropVanishedSandbox(core: Core, sb: SandboxRecord): Promise<void> {
  const { store } = core;
  for (const ep of store.endpointsInSandbox(sb.id)) {
    const net = store.networkById(ep.networkId)!;
    await tearDownJoin(core, net, ep);
    dropEndpoint(core, net, ep);
    core.changes.publish({ type: 'endpoint.left', network: net, sandbox: sb, endpoint: ep });
    core.changes.publish({ type: 'endpoint.removed', network: net, endpoint: ep });
  }
  store.deleteSandbox(sb.id);
  await core.firewallSync.sync();
  core.changes.publish({ type: 'sandbox.removed', sandbox: sb });
}

/**
 * The periodic sweep: adopted sandboxes whose namespace vanished are dropped, so their addresses
 * never leak until the pool runs dry (host-local's failure). Each runs under its sandbox's lock.
 */
export async function reapVanishedSandboxes(core: Core): Promise<string[]> {
  const names = new Set(await core.kernel.netnsList());
  const reaped: string[] = [];
  for (const sb of core.store.sandboxes()) {
    if (!sb.external || sb.state !== 'ready' || (await namespacePresent(core, sb, names, ''))) continue;
    await core.locks.with([`sb:${sb.id}`], async () => {
      const current = core.store.sandboxById(sb.id);
      if (!current || current.state !== 'ready' || (await namespacePresent(core, current, new Set(await core.kernel.netnsList()), ''))) return;
      await dropVanishedSandbox(core, current);
      reaped.push(current.name);
      core.log.warn({ sandbox: current.name, key: current.key }, 'namespace vanished: sandbox and its endpoints removed');
    });
  }
  return reaped;
}
