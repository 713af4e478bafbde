import type { Core } from '../core.js';
import { rejoin } from '../join.js';
import { sandboxNetnsName } from '../sandboxes.js';
import { dropVanishedSandbox, namespacePresent } from '../vanished.js';
import { mapConcurrently, type Planned, type Snapshot } from './plan.js';

/**
 * Sandboxes whose namespace vanished: an adopted one is dropped with its endpoints, an own one
 * is re-created and its endpoints re-joined. Returns the ids of those sandboxes too: their
 * endpoints are handled with them.
 */
export async function planSandboxes(core: Core, snap: Snapshot): Promise<{ planned: Planned[]; gone: Set<string> }> {
  const { store, kernel } = core;
  const planned: Planned[] = [];
  const gone = new Set<string>();
  const names = new Set(snap.netnsNames);
  const present = await mapConcurrently(snap.sandboxes, (sb) => sb.state !== 'ready' || namespacePresent(core, sb, names, sandboxNetnsName(sb.id)));
  for (const [i, sb] of snap.sandboxes.entries()) {
    if (present[i]) continue;
    gone.add(sb.id);
    const joined = snap.endpoints.filter((e) => e.sandboxId === sb.id);
    if (sb.external) {
      planned.push({
        drift: { kind: 'sandbox-netns-gone', object: `sandbox ${sb.name}`, action: `remove the sandbox and its ${joined.length} endpoint(s)` },
        repair: () => dropVanishedSandbox(core, sb),
      });
    } else {
      planned.push({
        drift: { kind: 'sandbox-netns-missing', object: `sandbox ${sb.name}`, action: `re-create namespace ${sandboxNetnsName(sb.id)} and re-join ${joined.length} endpoint(s)` },
        repair: async () => {
          await kernel.netnsAdd(sandboxNetnsName(sb.id));
          for (const ep of store.endpointsInSandbox(sb.id)) await rejoin(core, ep, store.networkById(ep.networkId)!, sb);
        },
      });
    }
  }
  return { planned, gone };
}
