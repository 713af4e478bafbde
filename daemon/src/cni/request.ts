import { CNI_LATEST, CNI_VERSIONS, CniCommand, CniExecRequest, CniNetConf } from '@patchbay/api';
import { IFNAME_RE, isSafeNetnsPath } from '@patchbay/kernel';
import { cniError } from './errors.js';

/** CNI_ARGS as patchbay reads it (podman: `IgnoreUnknown=1;K8S_POD_NAME=c1;MAC=…;IP=…`). */
export interface CniArgs {
  ips: string[];
  mac?: string;
  podName?: string;
}

/** One exec of the plugin, checked: the command, its environment and the configuration. */
export interface CniCall {
  command: CniCommand;
  containerId: string;
  /** '' when the runtime gave none (DEL may come without one) */
  netns: string;
  ifName: string;
  args: CniArgs;
  config: CniNetConf;
}

/** skel's utils.ValidateContainerID, with a length bound. */
const CONTAINER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const KNOWN_ARGS = new Set(['IgnoreUnknown', 'IP', 'MAC', 'K8S_POD_NAME', 'K8S_POD_NAMESPACE', 'K8S_POD_INFRA_CONTAINER_ID', 'K8S_POD_UID']);
const REQUIRED: Partial<Record<CniCommand, string[]>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
};
/** Commands newer than the first spec versions: the configuration must be at least this version. */
const SINCE: Partial<Record<CniCommand, string>> = { CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' };

const versionKey = (v: string) => v.split('.').reduce((n, part) => n * 1000 + Number(part), 0);
export const versionAtLeast = (v: string, min: string) => versionKey(v) >= versionKey(min);

/** The cniVersion to answer errors with: the configuration's, when it has a sensible one. */
export function replyVersion(stdin: unknown): string {
  try {
    const v = (JSON.parse(String(stdin)) as { cniVersion?: unknown }).cniVersion;
    return typeof v === 'string' && /^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v) ? v : CNI_LATEST;
  } catch {
    return CNI_LATEST;
  }
}

export function parseCniArgs(text: string | undefined): CniArgs {
  const out: CniArgs = { ips: [] };
  if (!text) return out;
  const pairs = text.split(';').filter((p) => p !== '').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw cniError('PB_ERR_CNI_INVALID_ENV', `CNI_ARGS: ${JSON.stringify(pair)} is not KEY=VALUE`);
    return [pair.slice(0, eq), pair.slice(eq + 1)] as const;
  });
  const ignoreUnknown = pairs.some(([k, v]) => k === 'IgnoreUnknown' && /^(1|true)$/i.test(v));
  for (const [key, value] of pairs) {
    if (!KNOWN_ARGS.has(key) && !ignoreUnknown) {
      throw cniError('PB_ERR_CNI_INVALID_ENV', `CNI_ARGS: unknown key ${key} (add IgnoreUnknown=1 to let it pass)`);
    }
    if (value === '') continue;
    if (key === 'IP') out.ips.push(...value.split(',').map((s) => s.trim()).filter(Boolean));
    else if (key === 'MAC') out.mac = value;
    else if (key === 'K8S_POD_NAME') out.podName = value;
  }
  return out;
}

function parseConfig(stdin: string, command: CniCommand): CniNetConf {
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (err) {
    throw cniError('PB_ERR_CNI_DECODE', `error decoding the network configuration: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw cniError('PB_ERR_CNI_DECODE', 'the network configuration is not a JSON object');
  const version = (raw as { cniVersion?: unknown }).cniVersion;
  if (typeof version !== 'string' || !(CNI_VERSIONS as readonly string[]).includes(version)) {
    throw cniError('PB_ERR_CNI_VERSION', 'incompatible CNI versions', `config is ${JSON.stringify(version ?? '0.1.0')}, plugin supports ${JSON.stringify(CNI_VERSIONS)}`);
  }
  const since = SINCE[command];
  if (since && !versionAtLeast(version, since)) throw cniError('PB_ERR_CNI_VERSION', `config version does not allow ${command}`, `${command} needs cniVersion ${since} or later; config is ${version}`);
  const r = CniNetConf.safeParse(raw);
  if (!r.success) throw cniError('PB_ERR_CNI_INVALID_CONFIG', r.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; '));
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(r.data.name)) throw cniError('PB_ERR_CNI_INVALID_CONFIG', `invalid characters in the network name ${JSON.stringify(r.data.name)}`);
  return r.data;
}

/** The checks skel does before any plugin code runs, with CNI's error codes. */
export function parseCall(body: CniExecRequest): CniCall {
  const { env } = body;
  const command = CniCommand.safeParse(env.CNI_COMMAND);
  if (!command.success) {
    throw cniError('PB_ERR_CNI_INVALID_ENV', env.CNI_COMMAND ? `unknown CNI_COMMAND: ${env.CNI_COMMAND}` : 'required env variables [CNI_COMMAND] missing');
  }
  const missing = (REQUIRED[command.data] ?? []).filter((k) => !env[k as keyof typeof env]);
  if (missing.length > 0) throw cniError('PB_ERR_CNI_INVALID_ENV', `required env variables [${missing.join(',')}] missing`);
  const config = command.data === 'VERSION' ? ({ cniVersion: CNI_LATEST, name: 'version' } as CniNetConf) : parseConfig(body.stdin, command.data);
  const containerId = env.CNI_CONTAINERID ?? '';
  const ifName = env.CNI_IFNAME ?? '';
  const netns = env.CNI_NETNS ?? '';
  if (containerId !== '' && !CONTAINER_ID_RE.test(containerId)) throw cniError('PB_ERR_CNI_INVALID_ENV', 'invalid characters in containerID', containerId);
  if (ifName !== '' && (!IFNAME_RE.test(ifName) || ifName === '.' || ifName === '..')) {
    throw cniError('PB_ERR_CNI_INVALID_ENV', `invalid CNI_IFNAME ${JSON.stringify(ifName)}: 1..15 characters of [A-Za-z0-9_.-]`);
  }
  if (netns !== '' && !isSafeNetnsPath(netns)) {
    throw cniError('PB_ERR_CNI_INVALID_ENV', `invalid CNI_NETNS ${JSON.stringify(netns)}: an absolute path without ".." or special characters`);
  }
  return { command: command.data, containerId, netns, ifName, args: parseCniArgs(env.CNI_ARGS), config };
}
