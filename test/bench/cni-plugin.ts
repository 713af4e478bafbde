import { join } from 'node:path';
import { CNI_PLUGIN_PATH } from '@patchbay/cni';
import { CNI_PATH } from './cni.js';
import { runOk } from './proc.js';
import type { Results } from './results.js';
import type { AttachSide } from './sides.js';
import { summarize, timed } from './stats.js';

/**
 * patchbay's CNI plugin (packages/cni) exec'd the way a runtime does, one process per ADD/DEL,
 * against the bench's daemon; its network is made by an untimed first ADD, like the reference
 * bridge's. The namespaces are the slots: ADD adopts them, DEL lets them go.
 */
export function createPatchbayCniSide(o: { socket: string; network: string; subnet: string }): AttachSide {
  const config = JSON.stringify({ cniVersion: '1.0.0', name: o.network, type: 'patchbay', socket: o.socket, ipam: { subnet: o.subnet } });
  const exec = (command: 'ADD' | 'DEL', containerId: string, netns: string) =>
    runOk(CNI_PLUGIN_PATH, [], { env: { CNI_COMMAND: command, CNI_CONTAINERID: containerId, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH }, stdin: config });
  return {
    key: 'patchbay',
    async setup() {
      await runOk('ip', ['netns', 'add', 'pbcniwarm']);
      await exec('ADD', 'warm', '/run/netns/pbcniwarm');
      await exec('DEL', 'warm', '/run/netns/pbcniwarm');
      await runOk('ip', ['netns', 'delete', 'pbcniwarm']);
    },
    async prepare() {},
    attach: async (slot) => void (await exec('ADD', `pbcni-${slot.name}`, slot.path)),
    detach: async (slot) => void (await exec('DEL', `pbcni-${slot.name}`, slot.path)),
    async release() {},
    async teardown() {},
  };
}

/**
 * The VERSION probe podman makes for every plugin of every network on every command: patchbay's
 * plugin (answers it without the daemon), the reference bridge, and exec of /bin/true (the floor
 * of any exec). Interleaved round by round.
 */
export async function versionRounds(rounds: { warmup: number; timed: number }, results: Results): Promise<void> {
  const probe = { CNI_COMMAND: 'VERSION', CNI_IFNAME: 'dummy', CNI_NETNS: 'dummy', CNI_PATH: 'dummy' };
  const sides = [
    { key: 'patchbay', bin: CNI_PLUGIN_PATH },
    { key: 'cni', bin: join(CNI_PATH, 'bridge') },
    { key: 'floor', bin: '/bin/true' },
  ] as const;
  const samples = new Map<string, number[]>(sides.map((s) => [s.key, []]));
  for (let round = 0; round < rounds.warmup + rounds.timed; round++) {
    for (const side of sides) {
      const ms = await timed(() => runOk(side.bin, [], { env: probe, stdin: '{"cniVersion":"1.0.0"}' }));
      if (round >= rounds.warmup) samples.get(side.key)!.push(ms);
    }
  }
  for (const side of sides) results.set('cniVersion', side.key, { kind: 'samples', summary: summarize(samples.get(side.key)!) });
}
