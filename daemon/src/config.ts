import { PatchbayError } from '@patchbay/errors';
import { tryParseCidr, type Cidr } from '@patchbay/ip';

export interface AddressPoolFlag {
  base: string;
  size: number;
}

export interface DaemonConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  bridge?: string;
  bip?: string;
  fixedCidr?: string;
  mtu: number;
  defaultAddressPools: AddressPoolFlag[];
  icc: boolean;
  ipMasq: boolean;
  iptables: boolean;
  ipForward: boolean;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  group?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCaCert?: string;
  /** seconds between firewall checks (0 = off) */
  firewallCheckInterval: number;
  cleanup: boolean;
  /** patchbay's DNS on user-defined bridge networks (`--dns=false`: none) */
  dns: boolean;
  /** the host's resolv.conf, whose nameservers the DNS forwards to */
  dnsResolvConf: string;
  /** `etcd://HOST:PORT[,HOST:PORT…]`: global-scope networks (overlay) kept in this etcd cluster */
  clusterStore?: string;
  clusterStoreCacert?: string;
  clusterStoreCert?: string;
  clusterStoreKey?: string;
  /** this host's underlay address (the VTEP), or an interface whose IPv4 address it is */
  clusterAdvertise?: string;
  /** seconds a host's published endpoints outlive it in the cluster store (its lease TTL) */
  clusterLeaseTtl: number;
  /** where sandboxes patchbay made get `<netns name>/resolv.conf` (what `ip netns exec` bind-mounts); no flag, tests move it */
  netnsEtc: string;
  /** serve Docker's remote network and IPAM driver protocol; undefined: when /run/docker exists at start */
  dockerPlugin?: boolean;
  /** where dockerd discovers the plugin (`/run/docker/plugins/<name>.sock`; the name is the driver's) */
  dockerPluginSocket: string;
}

export const DEFAULTS: DaemonConfig = {
  hosts: ['unix:///run/patchbay/patchbay.sock'],
  dataRoot: '/var/lib/patchbay',
  execRoot: '/run/patchbay',
  mtu: 1500,
  defaultAddressPools: [],
  icc: true,
  ipMasq: true,
  iptables: true,
  ipForward: true,
  logLevel: 'info',
  firewallCheckInterval: 10,
  cleanup: false,
  dns: true,
  dnsResolvConf: '/etc/resolv.conf',
  netnsEtc: '/etc/netns',
  clusterLeaseTtl: 15,
  dockerPluginSocket: '/run/docker/plugins/patchbay.sock',
};

type Kind = 'string' | 'bool' | 'list';
const FLAGS: Record<string, { key: keyof DaemonConfig; kind: Kind; short?: string; help: string }> = {
  host: { key: 'hosts', kind: 'list', short: 'H', help: 'socket to listen on: unix:///path or tcp://127.0.0.1:PORT (repeatable)' },
  'data-root': { key: 'dataRoot', kind: 'string', help: 'where the store lives (default /var/lib/patchbay)' },
  'exec-root': { key: 'execRoot', kind: 'string', help: 'runtime state (default /run/patchbay)' },
  bridge: { key: 'bridge', kind: 'string', short: 'b', help: 'attach the default network to this existing bridge; "none" = no default network' },
  bip: { key: 'bip', kind: 'string', help: 'address of the default bridge, e.g. 10.99.0.1/24' },
  'fixed-cidr': { key: 'fixedCidr', kind: 'string', help: 'allocatable range of the default network' },
  mtu: { key: 'mtu', kind: 'string', help: 'MTU of the default network (default 1500)' },
  'default-address-pool': { key: 'defaultAddressPools', kind: 'list', help: 'base=CIDR,size=N (repeatable)' },
  icc: { key: 'icc', kind: 'bool', help: 'traffic between endpoints of the default network (default true)' },
  'ip-masq': { key: 'ipMasq', kind: 'bool', help: 'masquerade outgoing traffic (default true)' },
  iptables: { key: 'iptables', kind: 'bool', help: 'manage the firewall (nftables) (default true)' },
  'ip-forward': { key: 'ipForward', kind: 'bool', help: 'enable net.ipv4.ip_forward (default true)' },
  'log-level': { key: 'logLevel', kind: 'string', short: 'l', help: 'trace|debug|info|warn|error|fatal' },
  group: { key: 'group', kind: 'string', short: 'G', help: 'group allowed to use the unix socket' },
  tlscert: { key: 'tlsCert', kind: 'string', help: 'TLS certificate for TCP listeners' },
  tlskey: { key: 'tlsKey', kind: 'string', help: 'TLS key for TCP listeners' },
  tlscacert: { key: 'tlsCaCert', kind: 'string', help: 'CA for client certificates' },
  'firewall-check-interval': { key: 'firewallCheckInterval', kind: 'string', help: 'seconds between checks: firewall tables in place, adopted namespaces still alive (0 = off, default 10)' },
  dns: { key: 'dns', kind: 'bool', help: 'answer DNS for sandbox names on user-defined bridge networks (default true)' },
  'dns-resolv-conf': { key: 'dnsResolvConf', kind: 'string', help: 'resolv.conf whose nameservers other names are forwarded to (default /etc/resolv.conf)' },
  'cluster-store': { key: 'clusterStore', kind: 'string', help: 'etcd://HOST:PORT[,HOST:PORT…]: keep global-scope (overlay) networks in this etcd cluster' },
  'cluster-store-cacert': { key: 'clusterStoreCacert', kind: 'string', help: 'CA that signed the etcd members\' certificates (https)' },
  'cluster-store-cert': { key: 'clusterStoreCert', kind: 'string', help: 'client certificate for etcd' },
  'cluster-store-key': { key: 'clusterStoreKey', kind: 'string', help: 'client key for etcd' },
  'cluster-advertise': { key: 'clusterAdvertise', kind: 'string', help: 'this host\'s underlay address (VTEP): ADDR or IFACE' },
  'cluster-lease-ttl': { key: 'clusterLeaseTtl', kind: 'string', help: 'seconds a dead host\'s endpoints stay published (default 15)' },
  'docker-plugin': { key: 'dockerPlugin', kind: 'bool', help: "serve Docker's remote network and IPAM driver \"patchbay\" (default: when /run/docker exists)" },
  'docker-plugin-socket': { key: 'dockerPluginSocket', kind: 'string', help: 'socket of the Docker plugin (default /run/docker/plugins/patchbay.sock; the file name is the driver name)' },
  cleanup: { key: 'cleanup', kind: 'bool', help: 'remove every network, sandbox, firewall table and DOCKER-USER rule patchbay made, then exit' },
};

export const usage = () =>
  'Usage: patchbayd [OPTIONS]\n\n' +
  Object.entries(FLAGS)
    .map(([long, f]) => `  ${f.short ? `-${f.short}, ` : '    '}--${long.padEnd(26)}${f.help}`)
    .join('\n');

const bad = (message: string) => new PatchbayError('PB_ERR_INVALID', message);

function parseBool(flag: string, v: string): boolean {
  if (['true', '1'].includes(v)) return true;
  if (['false', '0'].includes(v)) return false;
  throw bad(`invalid value "${v}" for flag --${flag}: must be true or false`);
}

function checkCidr(flag: string, v: string): Cidr {
  const cidr = tryParseCidr(v);
  if (cidr?.family !== 4) throw bad(`invalid value "${v}" for flag --${flag}: must be an IPv4 CIDR like 10.99.0.1/24`);
  return cidr;
}

/** Parse dockerd-style flags (`--icc=false`, `-b br0`, `--bip=…`); throws InvalidParameter on bad input. */
export function parseFlags(argv: readonly string[]): DaemonConfig & { help?: boolean } {
  const cfg: DaemonConfig & { help?: boolean } = { ...DEFAULTS, hosts: [], defaultAddressPools: [] };
  const raw: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { ...cfg, help: true };
    const m = /^(?:--([a-z0-9-]+)|-([A-Za-z]))(?:=(.*))?$/.exec(arg);
    if (!m) throw bad(`unexpected argument "${arg}"`);
    const name = m[1] ?? Object.keys(FLAGS).find((k) => FLAGS[k]!.short === m[2]);
    const flag = name ? FLAGS[name] : undefined;
    if (!name || !flag) throw bad(`unknown flag: ${arg}`);
    let value = m[3];
    if (value === undefined) {
      if (flag.kind === 'bool') value = 'true';
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw bad(`flag needs an argument: --${name}`);
    }
    (raw[name] ??= []).push(value);
  }
  for (const [name, values] of Object.entries(raw)) {
    const flag = FLAGS[name]!;
    const last = values[values.length - 1]!;
    const c = cfg as unknown as Record<string, unknown>;
    if (flag.kind === 'bool') c[flag.key] = parseBool(name, last);
    else if (flag.kind === 'list') c[flag.key] = values;
    else c[flag.key] = last;
  }
  const pools = cfg.defaultAddressPools as unknown as string[];
  cfg.defaultAddressPools = pools.map(parsePoolFlag);
  if (cfg.hosts.length === 0) cfg.hosts = [...DEFAULTS.hosts];
  cfg.mtu = Number(raw.mtu?.at(-1) ?? DEFAULTS.mtu);
  if (!Number.isInteger(cfg.mtu) || cfg.mtu < 68 || cfg.mtu > 65535) throw bad(`invalid --mtu "${raw.mtu?.at(-1)}": must be 68-65535`);
  cfg.firewallCheckInterval = Number(raw['firewall-check-interval']?.at(-1) ?? DEFAULTS.firewallCheckInterval);
  if (!Number.isFinite(cfg.firewallCheckInterval) || cfg.firewallCheckInterval < 0) throw bad('invalid --firewall-check-interval');
  cfg.clusterLeaseTtl = Number(raw['cluster-lease-ttl']?.at(-1) ?? DEFAULTS.clusterLeaseTtl);
  if (!Number.isInteger(cfg.clusterLeaseTtl) || cfg.clusterLeaseTtl < 2 || cfg.clusterLeaseTtl > 3600) throw bad('invalid --cluster-lease-ttl: must be 2-3600 seconds');
  validateCluster(cfg);
  if (!cfg.dockerPluginSocket.startsWith('/') || !cfg.dockerPluginSocket.endsWith('.sock')) {
    throw bad(`invalid --docker-plugin-socket "${cfg.dockerPluginSocket}": an absolute path ending in .sock (dockerd finds plugins as <name>.sock)`);
  }
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(cfg.logLevel)) throw bad(`invalid --log-level "${cfg.logLevel}"`);
  validateNetworking(cfg);
  return cfg;
}

function parsePoolFlag(v: string): AddressPoolFlag {
  const fields = Object.fromEntries(v.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const size = Number(fields.size);
  if (!fields.base || !Number.isInteger(size)) throw bad(`invalid --default-address-pool "${v}": want base=CIDR,size=N`);
  const base = checkCidr('default-address-pool', fields.base);
  if (size < base.prefix || size > 31) {
    throw bad(`invalid --default-address-pool "${v}": size must be between the base prefix length and 31`);
  }
  return { base: fields.base, size };
}

function validateNetworking(cfg: DaemonConfig): void {
  if (cfg.bridge !== undefined && cfg.bip !== undefined) {
    throw bad('You specified -b & --bip, mutually exclusive options. Please specify only one');
  }
  if (cfg.bridge !== undefined && cfg.bridge !== 'none' && !/^[A-Za-z0-9_.-]{1,15}$/.test(cfg.bridge)) {
    throw bad(`invalid --bridge "${cfg.bridge}": must be an interface name`);
  }
  if (cfg.bip !== undefined) {
    if (checkCidr('bip', cfg.bip).prefix > 30) throw bad(`invalid --bip "${cfg.bip}": prefix must be /30 or shorter`);
  }
  if (cfg.fixedCidr !== undefined) checkCidr('fixed-cidr', cfg.fixedCidr);
  if (!cfg.icc && !cfg.iptables) throw bad('You specified --iptables=false with --icc=false. ICC=false uses the firewall; please set --icc or --iptables to true');
  if (!cfg.iptables) cfg.ipMasq = false;
}

/** `etcd://h:p[,h:p]` → the members' `host:port`; throws InvalidParameter otherwise. */
export function clusterEndpoints(url: string): string[] {
  const m = /^etcd:\/\/(.+)$/.exec(url);
  const members = m ? m[1]!.split(',').map((x) => x.trim()) : [];
  if (members.length === 0 || members.some((x) => !/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(x))) {
    throw bad(`invalid --cluster-store "${url}": want etcd://HOST:PORT[,HOST:PORT…]`);
  }
  return members;
}

function validateCluster(cfg: DaemonConfig): void {
  const tls = [cfg.clusterStoreCacert, cfg.clusterStoreCert, cfg.clusterStoreKey].some((x) => x !== undefined);
  if (cfg.clusterStore === undefined) {
    if (cfg.clusterAdvertise !== undefined || tls) throw bad('--cluster-advertise and --cluster-store-* need --cluster-store');
    return;
  }
  clusterEndpoints(cfg.clusterStore);
  if (cfg.clusterAdvertise === undefined) throw bad('--cluster-store needs --cluster-advertise (this host\'s underlay address or interface)');
  if ((cfg.clusterStoreCert === undefined) !== (cfg.clusterStoreKey === undefined)) throw bad('--cluster-store-cert and --cluster-store-key go together');
}
