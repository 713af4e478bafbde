import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createSlots, type Slot } from './netns.js';
import { run, runOk } from './proc.js';
import type { AttachSide, SideKey } from './sides.js';

export const CNI_PATH = '/usr/lib/cni';

export interface CniOptions {
  key: Extract<SideKey, 'cni' | 'cniMasq'>;
  /** bridge device the plugin creates on first ADD */
  bridge: string;
  subnet: string;
  ipMasq: boolean;
  /** host-local's allocation files go here (a tmp dir), never /var/lib/cni */
  dataDir: string;
}

/** The network configuration a runtime (libcni) would hand the bridge plugin. */
export function bridgeConfig(o: CniOptions): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: `bench-${o.bridge}`,
    type: 'bridge',
    bridge: o.bridge,
    isGateway: true,
    ipMasq: o.ipMasq,
    ipam: { type: 'host-local', ranges: [[{ subnet: o.subnet }]], dataDir: o.dataDir },
  });
}

/**
 * The CNI reference `bridge` plugin with `host-local` IPAM, executed the way a runtime does it:
 * one process per operation, CNI_* in the environment, the configuration on stdin.
 */
export function createCniSide(o: CniOptions): AttachSide {
  const config = bridgeConfig(o);
  const exec = async (command: 'ADD' | 'DEL', slot: Slot): Promise<void> => {
    const env = {
      PATH: process.env.PATH, // ipMasq runs iptables
      CNI_COMMAND: command,
      CNI_CONTAINERID: `${o.key}-${slot.name}`,
      CNI_NETNS: slot.path,
      CNI_IFNAME: 'eth0',
      CNI_PATH,
    };
    const result = await run(join(CNI_PATH, 'bridge'), [], { env, stdin: config });
    if (result.code !== 0) {
      let msg = result.stderr.trim() || result.stdout.trim();
      try {
        const err = JSON.parse(result.stdout) as { msg?: string; details?: string };
        msg = [err.msg, err.details].filter(Boolean).join(': ');
      } catch {
        // not a CNI error object; keep the raw output
      }
      throw new Error(`CNI ${command} ${slot.name} failed (${result.code}): ${msg}`);
    }
  };
  let tablesBefore: string[] = [];
  return {
    key: o.key,
    async setup() {
      tablesBefore = await nftTables();
      // the first ADD creates the bridge and its gateway address: do that untimed, like the
      // other sides create their network before the clock starts
      const [warm] = await createSlots('w', 1);
      await exec('ADD', warm!);
      await exec('DEL', warm!);
    },
    async prepare() {},
    attach: (slot) => exec('ADD', slot),
    detach: (slot) => exec('DEL', slot),
    async release() {},
    async teardown() {
      await run('ip', ['link', 'del', o.bridge]); // absent when no ADD ever ran: not an error here
      await rm(o.dataDir, { recursive: true, force: true });
      // ipMasq leaves iptables-nft tables behind in the bench namespace; later sides count rules
      for (const table of await nftTables()) if (!tablesBefore.includes(table)) await run('nft', ['delete', ...table.split(' ')]);
    },
  };
}

/** `nft list tables` of the bench namespace, e.g. ['table ip nat']. */
async function nftTables(): Promise<string[]> {
  const out = await run('nft', ['list', 'tables']).catch(() => undefined);
  return (out?.stdout ?? '').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('table '));
}

/** Version strings for the report; undefined parts when the plugins are missing. */
export async function cniVersions(): Promise<{ spec?: string; package?: string }> {
  const out: { spec?: string; package?: string } = {};
  const v = await run(join(CNI_PATH, 'bridge'), [], { env: { CNI_COMMAND: 'VERSION' } }).catch(() => undefined);
  if (v?.code === 0) out.spec = (JSON.parse(v.stdout) as { cniVersion: string }).cniVersion;
  const d = await runOk('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins']).catch(() => undefined);
  if (d) out.package = d.stdout.trim();
  return out;
}
