import type { Drift } from '@patchbay/api';
import type { RootView } from '@patchbay/drivers';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../../store/index.js';
import type { Core } from '../core.js';

/** One drift with the repair that removes it. */
export interface Planned {
  drift: Drift;
  repair(): Promise<void>;
}

/** What reconcile compares: the kernel first, then the store (an object made in between already has its row). */
export interface Snapshot {
  root: RootView;
  netnsNames: string[];
  networks: NetworkRecord[];
  sandboxes: SandboxRecord[];
  endpoints: EndpointRecord[];
}

/** The daemon's namespace as the drivers' checks read it. */
export async function readRootView(core: Core): Promise<RootView> {
  const links = await core.kernel.links(null);
  return { links: new Map(links.map((l) => [l.name, l])), addresses: await core.kernel.addresses(null) };
}

export async function takeSnapshot(core: Core): Promise<Snapshot> {
  const { kernel, store } = core;
  const root = await readRootView(core);
  const netnsNames = await kernel.netnsList();
  return {
    root,
    netnsNames,
    networks: store.networks(),
    sandboxes: store.sandboxes(),
    endpoints: store.endpoints(),
  };
}
