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

export async function takeSnapshot(core: Core): Promise<Snapshot> {
  const { kernel, store } = core;
  const links = await kernel.links(null);
  const addresses = await kernel.addresses(null);
  const netnsNames = await kernel.netnsList();
  return {
    root: { links: new Map(links.map((l) => [l.name, l])), addresses },
    netnsNames,
    networks: store.networks(),
    sandboxes: store.sandboxes(),
    endpoints: store.endpoints(),
  };
}
