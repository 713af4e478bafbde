import type { Drift } from '@patchbay/api';
import type { RootView } from '@patchbay/drivers';
import type { LinkInfo, LinkScan } from '@patchbay/kernel';
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

/** How many kernel reads reconcile keeps in flight: enough to keep the addon's worker threads busy. */
const READS_IN_FLIGHT = 16;

/**
 * `fn` over `items` with at most READS_IN_FLIGHT running at once, results in the items' order:
 * checks are reads, so thousands of sandboxes are looked at in parallel rather than one by one.
 */
export async function mapConcurrently<T, R>(items: readonly T[], fn: (item: T, index: number) => R | Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, items.length) }, worker));
  return out;
}

/** The daemon's namespace as the drivers' checks read it. */
export async function readRootView(core: Core): Promise<RootView> {
  const links = await core.kernel.links(null);
  return { links: new Map(links.map((l) => [l.name, l])), addresses: await core.kernel.addresses(null) };
}

export async function takeSnapshot(core: Core): Promise<Snapshot> {
  const { kernel, store } = core;
  const scan = kernel.scanLinks ? await kernel.scanLinks(null) : undefined;
  const root = scan ? undefined : await readRootView(core);
  const netnsNames = await kernel.netnsList();
  const endpoints = store.endpoints();
  return {
    root: root ?? (await rootViewFromScan(scan!, endpoints)),
    netnsNames,
    networks: store.networks(),
    sandboxes: store.sandboxes(),
    endpoints,
  };
}

/**
 * The daemon's namespace from a linear-cost scan (see LinkScan): the host veths of joined
 * endpoints that are up on a bridge with their peer are taken from the bridge's port dump, every
 * other link (bridges, down or unknown ports, orphans, the retired) is read in full. With
 * thousands of sandboxes a full link dump costs the kernel seconds.
 */
async function rootViewFromScan(scan: LinkScan, endpoints: readonly EndpointRecord[]): Promise<RootView> {
  const hostVeths = new Set(endpoints.flatMap((e) => (e.hostIf ? [e.hostIf] : [])));
  const links = new Map<string, LinkInfo>();
  const rest: string[] = [];
  for (const name of scan.names) {
    const port = scan.ports.get(name);
    if (!port || !port.up || !port.linked || !hostVeths.has(name)) {
      rest.push(name);
      continue;
    }
    const { index, mtu, mac, up, master, hairpin } = port;
    links.set(name, { name, index, kind: 'veth', mtu, mac, up, master, ...(hairpin !== undefined ? { hairpin } : {}) });
  }
  for (const link of await scan.details(rest)) links.set(link.name, link);
  return { links, addresses: await scan.addresses() };
}
