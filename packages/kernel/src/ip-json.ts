import type { AddrInfo, FdbInfo, LinkInfo, NeighInfo, RouteInfo } from './contract.js';

/** Parsers for `ip -json` output (iproute2 ≥ 5). Unknown fields are ignored. */

interface JsonLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  master?: string;
  /** the lower device's name (same namespace; else `link_index` and `link_netnsid`) */
  link?: string | null;
  address?: string;
  link_type?: string;
  /** "default", or the number as a string */
  group?: string;
  linkinfo?: { info_kind?: string; info_data?: JsonInfoData; info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } };
  addr_info?: JsonAddr[];
}

/** the parts of `ip -details` info_data that LinkInfo carries (macvlan, ipvlan, vlan, vxlan, a bridge's snooping) */
interface JsonInfoData {
  mode?: string;
  id?: number;
  bridge?: boolean;
  private?: boolean;
  vepa?: boolean;
  port?: number;
  local?: string;
  local6?: string;
  learning?: boolean;
  proxy?: boolean;
  /** bridges: 0 or 1 */
  mcast_snooping?: number;
}

function kindData(kind: string, data: JsonInfoData | undefined): Pick<LinkInfo, 'mode' | 'flag' | 'vlanId' | 'vxlan' | 'mcastSnooping'> {
  if (data === undefined) return {};
  if (kind === 'bridge') return data.mcast_snooping !== undefined ? { mcastSnooping: data.mcast_snooping === 1 } : {};
  if (kind === 'vxlan') {
    if (data.id === undefined || data.port === undefined) return {};
    const local = data.local ?? data.local6;
    return { vxlan: { vni: data.id, dstport: data.port, ...(local !== undefined ? { local } : {}), learning: data.learning === true, proxy: data.proxy === true } };
  }
  if (kind === 'macvlan') return data.mode !== undefined ? { mode: data.mode } : {};
  if (kind === 'vlan') return data.id !== undefined ? { vlanId: data.id } : {};
  if (kind !== 'ipvlan') return {};
  const out: Pick<LinkInfo, 'mode' | 'flag'> = {};
  if (data.mode !== undefined) out.mode = data.mode;
  const flag = (['private', 'vepa', 'bridge'] as const).find((f) => data[f] === true);
  if (flag !== undefined) out.flag = flag;
  return out;
}

interface JsonAddr {
  family: string;
  local?: string;
  prefixlen?: number;
  scope?: string;
}

interface JsonRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  scope?: string;
}

function parseArray<T>(stdout: string, what: string): T[] {
  const text = stdout.trim();
  if (text === '') return [];
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`unexpected ip -json ${what} output`);
  return parsed as T[];
}

/** `ip -details -json link show` */
export function parseLinks(stdout: string): LinkInfo[] {
  return parseArray<JsonLink>(stdout, 'link').map((l) => {
    const link: LinkInfo = {
      name: l.ifname,
      index: l.ifindex,
      kind: l.linkinfo?.info_kind ?? (l.link_type === 'loopback' ? 'loopback' : ''),
      mtu: l.mtu ?? 0,
      mac: l.address ?? '',
      up: (l.flags ?? []).includes('UP'),
    };
    if (l.master !== undefined) link.master = l.master;
    const port = l.linkinfo?.info_slave_kind === 'bridge' ? l.linkinfo.info_slave_data : undefined;
    if (typeof port?.hairpin === 'boolean') link.hairpin = port.hairpin;
    const group = Number(l.group);
    if (Number.isInteger(group) && group !== 0) link.group = group;
    // a veth's `link` is its peer, not a lower device
    if (typeof l.link === 'string' && link.kind !== 'veth') link.parent = l.link;
    return Object.assign(link, kindData(link.kind, l.linkinfo?.info_data));
  });
}

/** `ip -json addr show` */
export function parseAddresses(stdout: string): AddrInfo[] {
  const out: AddrInfo[] = [];
  for (const l of parseArray<JsonLink>(stdout, 'addr')) {
    for (const a of l.addr_info ?? []) {
      if (a.local === undefined || a.prefixlen === undefined) continue;
      if (a.family !== 'inet' && a.family !== 'inet6') continue;
      out.push({ dev: l.ifname, cidr: `${a.local}/${a.prefixlen}`, family: a.family === 'inet' ? 4 : 6, scope: a.scope ?? '' });
    }
  }
  return out;
}

/** `ip [-6] -json route show` (one family per call) */
export function parseRoutes(stdout: string, family: 4 | 6): RouteInfo[] {
  return parseArray<JsonRoute>(stdout, 'route').map((r) => {
    const route: RouteInfo = { dst: r.dst, family };
    if (r.gateway !== undefined) route.gateway = r.gateway;
    if (r.dev !== undefined) route.dev = r.dev;
    if (r.scope !== undefined) route.scope = r.scope;
    return route;
  });
}

interface JsonNeigh {
  dst?: string;
  dev?: string;
  lladdr?: string;
  state?: string[];
}

/** `ip -json neigh show`: the permanent entries with a link-layer address */
export function parseNeighbors(stdout: string): NeighInfo[] {
  return parseArray<JsonNeigh>(stdout, 'neigh')
    .filter((n) => n.dst !== undefined && n.dev !== undefined && n.lladdr !== undefined && (n.state ?? []).includes('PERMANENT'))
    .map((n) => ({ dev: n.dev!, address: n.dst!, mac: n.lladdr!, family: n.dst!.includes(':') ? 6 : 4 }));
}

interface JsonFdb {
  mac?: string;
  ifname?: string;
  dst?: string;
}

/** `bridge -json fdb show`: the entries that name a remote */
export function parseFdb(stdout: string): FdbInfo[] {
  return parseArray<JsonFdb>(stdout, 'fdb')
    .filter((f) => f.mac !== undefined && f.ifname !== undefined && f.dst !== undefined)
    .map((f) => ({ dev: f.ifname!, mac: f.mac!, dst: f.dst! }));
}
