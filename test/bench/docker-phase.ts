import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import { createDockerApiNetworkSide, createReconnectSide, dockerdPeer, patchbayDockerPeer, type DockerApiPeer } from './docker-api.js';
import { BenchDockerd, dockerdMissing } from './dockerd.js';
import type { UnixHttpClient } from './http.js';
import { networkRounds, reconnectRounds } from './phases.js';
import { errorCell, type MetricId, type Results } from './results.js';

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
const ROWS: MetricId[] = ['dockerNetCreate', 'dockerNetDelete', 'dockerConnect', 'dockerDisconnect'];

/**
 * The Engine API rows: patchbay's Docker-compatible API and a real dockerd (in a namespace of its
 * own, made here), side by side and interleaved, driven by the same client code. Without
 * docker.io the dockerd column says why and patchbay's still runs.
 */
export async function dockerRows(cfg: BenchConfig, scratch: string, patchbay: UnixHttpClient | undefined, results: Results): Promise<void> {
  const peers: DockerApiPeer[] = patchbay ? [patchbayDockerPeer(patchbay)] : [];
  const missing = cfg.dockerdSkip ?? (await dockerdMissing());
  let dockerd: BenchDockerd | undefined;
  if (missing) {
    log(`dockerd skipped: ${missing}`);
    for (const m of ROWS) results.set(m, 'dockerd', { kind: 'na', reason: missing });
  } else {
    dockerd = new BenchDockerd(join(scratch, 'dockerd'));
    try {
      log(`dockerd: up after ${Math.round(await dockerd.start())} ms`);
      await dockerd.importMini();
      peers.push(dockerdPeer(dockerd.client));
    } catch (err) {
      log(`dockerd: ${String(err)}`);
      for (const m of ROWS) results.set(m, 'dockerd', errorCell(err));
      await dockerd.stop();
      dockerd = undefined;
    }
  }
  try {
    if (peers.length === 0) return;
    const subnet = (peer: DockerApiPeer, third: number) => `10.${peer.key === 'patchbay' ? 140 : 141}.${third}.0/24`;
    log(`Engine API network create/delete: ${cfg.networkIterations} rounds`);
    await networkRounds(
      peers.map((p) => createDockerApiNetworkSide(p, { namePrefix: 'bench-dn-', subnetOf: (i) => subnet(p, i % 250) })),
      { warmup: cfg.warmup, timed: cfg.networkIterations },
      results,
      ['dockerNetCreate', 'dockerNetDelete'],
    );
    log(`Engine API connect/disconnect of a running container: ${cfg.iterations} rounds`);
    await reconnectRounds(
      peers.map((p) => createReconnectSide(p, { prefix: 'bench-dc-', baseSubnet: subnet(p, 251), subnet: subnet(p, 252) })),
      { warmup: cfg.warmup, timed: cfg.iterations },
      results,
    );
  } finally {
    await dockerd?.stop();
  }
}
