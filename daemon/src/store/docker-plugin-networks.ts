import type { Store } from './store.js';

/** A Docker network served by the remote-driver front door. */
export interface DockerPluginNetwork {
  dockerId: string;
  networkId: string;
  /** the front door made the patchbay network (and removes it with the Docker network) */
  owned: boolean;
}

const PREFIX = 'docker-plugin.network.';

/**
 * dockerd's NetworkIDs and the patchbay networks behind them, kept as rows of the store's `meta`
 * table (`docker-plugin.network.<NetworkID>` → `{networkId, owned}`): no schema change. A row whose
 * network is gone (removed through another door) reads as that network's absence.
 */
export function createDockerPluginNetworks(store: Store) {
  const q = (sql: string) => store.prepare(sql);
  const s = {
    get: q('SELECT value FROM meta WHERE key = ?'),
    all: q("SELECT key, value FROM meta WHERE key LIKE 'docker-plugin.network.%'"),
    insert: q('INSERT INTO meta (key, value) VALUES (?, ?)'),
    delete: q('DELETE FROM meta WHERE key = ?'),
  };
  const toRecord = (dockerId: string, value: string): DockerPluginNetwork => {
    const v = JSON.parse(value) as { networkId: string; owned: boolean };
    return { dockerId, networkId: v.networkId, owned: v.owned };
  };
  return {
    get(dockerId: string): DockerPluginNetwork | undefined {
      const row = s.get.get(PREFIX + dockerId) as { value: string } | undefined;
      return row ? toRecord(dockerId, row.value) : undefined;
    },
    ofNetwork: (networkId: string) =>
      (s.all.all() as { key: string; value: string }[]).map((r) => toRecord(r.key.slice(PREFIX.length), r.value)).filter((r) => r.networkId === networkId),
    insert: (r: DockerPluginNetwork) => void s.insert.run(PREFIX + r.dockerId, JSON.stringify({ networkId: r.networkId, owned: r.owned })),
    delete: (dockerId: string) => void s.delete.run(PREFIX + dockerId),
  };
}
export type DockerPluginNetworks = ReturnType<typeof createDockerPluginNetworks>;
