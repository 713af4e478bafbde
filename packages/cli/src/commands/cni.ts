import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NAME_RE } from '@patchbay/api/names';
import { CNI_PLUGIN_PATH } from '@patchbay/cni';
import { DEFAULT_HOST, parseHost } from '@patchbay/client';
import { tryParseCidr } from '@patchbay/ip';
import { UsageError, str, type Values } from '../args.js';
import type { Command, Group } from '../command.js';

/** The kubelet's defaults (--cni-bin-dir, --cni-conf-dir), which containerd uses too. */
const DEFAULT_BIN_DIR = '/opt/cni/bin';
const DEFAULT_CONF_DIR = '/etc/cni/net.d';
const DEFAULT_NETWORK = 'patchbay';
/** podman 4.3 (libcni 1.1) refuses 1.1.0 configurations; 1.0.0 is what every runtime here reads. */
const CONFLIST_VERSION = '1.0.0';

const list = (v: Values, name: string): string[] => {
  const x = v[name];
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : typeof x === 'string' ? [x] : [];
};

/** The network configuration list a runtime reads: one patchbay plugin with its capabilities. */
export function conflist(network: string, opts: { socket?: string; subnet?: string }): object {
  return {
    cniVersion: CONFLIST_VERSION,
    name: network,
    plugins: [
      {
        type: 'patchbay',
        network,
        ...(opts.socket ? { socket: opts.socket } : {}),
        ...(opts.subnet ? { ipam: { subnet: opts.subnet } } : {}),
        capabilities: { portMappings: true, ips: true, mac: true, aliases: true },
      },
    ],
  };
}

/** Write through a temporary file and a rename, so a runtime never reads half a file. */
function writeAtomically(path: string, write: (tmp: string) => void, mode: number): void {
  const tmp = `${path}.tmp-${process.pid}`;
  write(tmp);
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** The daemon's socket for the plugin: --socket, else the -H unix socket (the plugin's default is left out). */
function socketFor(host: string, flag: string | undefined): string | undefined {
  if (flag !== undefined) {
    if (!flag.startsWith('/')) throw new UsageError('--socket must be an absolute path');
    return flag;
  }
  let target: ReturnType<typeof parseHost>;
  try {
    target = parseHost(host);
  } catch (err) {
    throw new UsageError((err as Error).message, 'patchbay');
  }
  if (target.kind !== 'unix') throw new UsageError('the CNI plugin reaches patchbayd over its unix socket only: give --socket PATH');
  return `unix://${target.socketPath}` === DEFAULT_HOST ? undefined : target.socketPath;
}

const install: Command = {
  name: 'install',
  usage: '[OPTIONS]',
  summary: 'Install the patchbay CNI plugin and a network configuration list per network',
  args: { min: 0, max: 0 },
  options: {
    'bin-dir': { type: 'string', placeholder: 'dir', description: `Directory runtimes load CNI plugins from (default ${DEFAULT_BIN_DIR})` },
    'conf-dir': { type: 'string', placeholder: 'dir', description: `Directory runtimes read network configurations from (default ${DEFAULT_CONF_DIR})` },
    network: { type: 'string', multiple: true, placeholder: 'NAME', description: `Write a configuration for this patchbay network (repeatable; default "${DEFAULT_NETWORK}")` },
    subnet: { type: 'string', placeholder: 'CIDR', description: 'Subnet of the network when patchbayd creates it on first use (with one --network)' },
    socket: { type: 'string', placeholder: 'path', description: "patchbayd's unix socket (default: the -H socket)" },
  },
  async run(ctx, values) {
    const networks = list(values, 'network');
    if (networks.length === 0) networks.push(DEFAULT_NETWORK);
    const bad = networks.find((n) => !NAME_RE.test(n));
    if (bad !== undefined) throw new UsageError(`invalid network name ${JSON.stringify(bad)}: must match [A-Za-z0-9][A-Za-z0-9_.-]* and be at most 64 characters`);
    const subnet = str(values, 'subnet');
    if (subnet !== undefined && networks.length > 1) throw new UsageError('--subnet goes with a single --network');
    if (subnet !== undefined && !tryParseCidr(subnet)) throw new UsageError(`invalid --subnet ${JSON.stringify(subnet)}: give a CIDR such as 10.88.0.0/16`);
    const socket = socketFor(ctx.host, str(values, 'socket'));
    if (!existsSync(CNI_PLUGIN_PATH)) throw new Error(`the plugin is not built (${CNI_PLUGIN_PATH}): run npm ci`);
    const binDir = str(values, 'bin-dir') ?? DEFAULT_BIN_DIR;
    const confDir = str(values, 'conf-dir') ?? DEFAULT_CONF_DIR;
    mkdirSync(binDir, { recursive: true, mode: 0o755 });
    mkdirSync(confDir, { recursive: true, mode: 0o755 });
    const bin = join(binDir, 'patchbay');
    writeAtomically(bin, (tmp) => copyFileSync(CNI_PLUGIN_PATH, tmp), 0o755);
    ctx.out(`installed ${bin}\n`);
    for (const network of networks) {
      const file = join(confDir, `50-patchbay-${network}.conflist`);
      const text = `${JSON.stringify(conflist(network, { ...(socket ? { socket } : {}), ...(subnet ? { subnet } : {}) }), null, 2)}\n`;
      writeAtomically(file, (tmp) => writeFileSync(tmp, text), 0o644);
      ctx.out(`wrote ${file}\n`);
    }
  },
};

export const cniGroup: Group = {
  name: 'cni',
  summary: 'Install patchbay as a CNI plugin (podman, containerd, the kubelet)',
  commands: [install],
};
