import type { Store } from './store.js';

/** A Docker network served by the remote-driver front door. */
export interface DockerPluginNetwork {
  dockerId: string;
  networkId: string;
  /** the front door made the patchbay network (and removes it with the Docker network) */
  owned: boolean;
}

/** dockerd's NetworkIDs and the patchbay networks behind them (table docker_plugin_networks). */
export function createDockerPluginNetworks(store: Store) {
  const q = (sql: string) => store.db.prepare(sql);
  const s = {
    get: q('SELECT * FROM docker_plugin_networks WHERE docker_id = ?'),
    ofNetwork: q('SELECT * FROM docker_plugin_networks WHERE network_id = ? ORDER BY docker_id'),
    insert: q('INSERT INTO docker_plugin_networks (docker_id, network_id, owned) VALUES (?, ?, ?)'),
    delete: q('DELETE FROM docker_plugin_networks WHERE docker_id = ?'),
  };
  const toRecord = (r: Record<string, unknown>): DockerPluginNetwork => ({ dockerId: r.docker_id as string, networkId: r.network_id as string, owned: r.owned === 1 });
  return {
    get(dockerId: string): DockerPluginNetwork | undefined {
      const row = s.get.get(dockerId) as Record<string, unknown> | undefined;
      return row ? toRecord(row) : undefined;
    },
    ofNetwork: (networkId: string) => (s.ofNetwork.all(networkId) as Record<string, unknown>[]).map(toRecord),
    insert: (r: DockerPluginNetwork) => void s.insert.run(r.dockerId, r.networkId, r.owned ? 1 : 0),
    delete: (dockerId: string) => void s.delete.run(dockerId),
  };
}
export type DockerPluginNetworks = ReturnType<typeof createDockerPluginNetworks>;
