import { addressFromBytes, formatAddress as formatIp, formatMac } from '@patchbay/ip';
import type { AddrInfo, LinkInfo, RouteInfo } from '../contract.js';
import { AF_INET, AF_INET6, IFA, IFF_UP, IFLA, IFLA_BRPORT_MODE, INFO, RT_TABLE_MAIN, RTA, RTM, RTM_F_CLONED, RTN } from './rtnl.js';
import { decodeKindData } from './kind-data.js';
import { AttrIndex, forEachMessage } from './attr-index.js';

/**
 * Decoding of rtnetlink dump/get replies into what the `ip -json` path (ip-json.ts) returns for
 * the same kernel state: same fields, same text (iproute2's formatting), same order.
 */

const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLA_TYPE_MASK = 0x3fff;
const align4 = (n: number): number => (n + 3) & ~3;

/** one per kind of message: see AttrIndex */
const linkAttrs = new AttrIndex();
const addrAttrs = new AttrIndex();
const routeAttrs = new AttrIndex();
const NO_ATTRIBUTES: Map<number, Buffer> = new Map();
const ARPHRD = { LOOPBACK: 772, TUNNEL: 768, TUNNEL6: 769, SIT: 776, IPGRE: 778, IP6GRE: 823 } as const;

/** One rtnetlink message of a reply: its type and its body after the netlink header. */
export interface NlReplyMessage {
  type: number;
  body: Buffer;
}

/** The messages of a raw reply (nlmsghdr-framed), without errors and dump ends. */
export function replyMessages(reply: Buffer | undefined): NlReplyMessage[] {
  const out: NlReplyMessage[] = [];
  if (reply === undefined) return out;
  let at = 0;
  while (at + NLMSG_HDRLEN <= reply.length) {
    const len = reply.readUInt32LE(at);
    if (len < NLMSG_HDRLEN || at + len > reply.length) throw new Error(`netlink reply: message at ${at} overruns the reply`);
    const type = reply.readUInt16LE(at + 4);
    if (type !== NLMSG_ERROR && type !== NLMSG_DONE) out.push({ type, body: reply.subarray(at + NLMSG_HDRLEN, at + len) });
    at += align4(len);
  }
  return out;
}

/**
 * Attributes from `from` to the end of `buf`, only the `wanted` types when given (a link message
 * carries some fifty; slicing them all is most of the cost of a large dump). The first of a type
 * wins, as in iproute2's parse_rtattr.
 */
export function attributes(buf: Buffer, from = 0, wanted?: ReadonlySet<number>): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let at = from;
  while (at + 4 <= buf.length) {
    const len = buf[at]! | (buf[at + 1]! << 8);
    if (len < 4 || at + len > buf.length) break;
    const type = (buf[at + 2]! | (buf[at + 3]! << 8)) & NLA_TYPE_MASK;
    if ((wanted === undefined || wanted.has(type)) && !out.has(type)) out.set(type, buf.subarray(at + 4, at + len));
    at += align4(len);
  }
  return out;
}

const cString = (b: Buffer): string => {
  const nul = b.indexOf(0);
  return b.toString('utf8', 0, nul < 0 ? b.length : nul);
};

/** IPv4 dotted quad, or IPv6 as glibc's inet_ntop prints it (RFC 5952, embedded IPv4 forms). */
export function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const addr = addressFromBytes(bytes);
  return addr ? formatIp(addr.family, addr.value, { dottedTail: true }) : formatMac(bytes);
}

/** iproute2's rtnl_rtscope_n2a with the stock table. */
export function scopeName(scope: number): string {
  return SCOPE_NAMES[scope] ?? String(scope);
}
const SCOPE_NAMES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };

/** iproute2's ll_addr_n2a: tunnels' addresses as IP text, others as lowercase colon hex. */
function linkAddress(bytes: Buffer, arphrd: number): string {
  const v4Tunnel: number[] = [ARPHRD.TUNNEL, ARPHRD.SIT, ARPHRD.IPGRE];
  const v6Tunnel: number[] = [ARPHRD.TUNNEL6, ARPHRD.IP6GRE];
  if ((bytes.length === 4 && v4Tunnel.includes(arphrd)) || (bytes.length === 16 && v6Tunnel.includes(arphrd))) {
    return formatAddress(bytes);
  }
  return formatMac(bytes);
}

/** A link as the kernel described it: the master and the parent still indexes. */
export interface RawLink {
  index: number;
  name: string;
  info: Omit<LinkInfo, 'master' | 'parent'>;
  masterIndex?: number;
  /** IFLA_LINK of a link on a lower device in the same namespace (not a veth's peer) */
  parentIndex?: number;
}

/** RTM_NEWLINK messages (a dump or a get) in reply order. */
export function parseRawLinks(reply: Buffer | undefined): RawLink[] {
  const out: RawLink[] = [];
  forEachMessage(reply, (type, at, end) => {
    if (type !== RTM.NEWLINK || end - at < 16) return;
    const body = reply!;
    const arphrd = body.readUInt16LE(at + 2);
    const index = body.readInt32LE(at + 4);
    const a = linkAttrs.scan(body, at + 16, end);
    const name = a.str(IFLA.IFNAME) ?? '';
    const linkinfo = a.has(IFLA.LINKINFO) ? attributes(a.bytes(IFLA.LINKINFO)!) : undefined;
    const kind = linkinfo?.get(INFO.KIND);
    const address = a.bytes(IFLA.ADDRESS);
    const info: RawLink['info'] = {
      name,
      index,
      kind: kind !== undefined ? cString(kind) : arphrd === ARPHRD.LOOPBACK ? 'loopback' : '',
      mtu: a.u32(IFLA.MTU) ?? 0,
      mac: address !== undefined && address.length > 0 ? linkAddress(address, arphrd) : '',
      up: (body.readUInt32LE(at + 8) & IFF_UP) !== 0,
    };
    const slaveKind = linkinfo?.get(INFO.SLAVE_KIND);
    if (slaveKind !== undefined && cString(slaveKind) === 'bridge') {
      const mode = attributes(linkinfo!.get(INFO.SLAVE_DATA) ?? Buffer.alloc(0)).get(IFLA_BRPORT_MODE);
      if (mode !== undefined && mode.length >= 1) info.hairpin = mode[0] !== 0;
    }
    const group = a.u32(IFLA.GROUP) ?? 0;
    if (group !== 0) info.group = group;
    const data = linkinfo?.get(INFO.DATA);
    Object.assign(info, decodeKindData(info.kind, data !== undefined ? attributes(data) : NO_ATTRIBUTES, formatAddress));
    const raw: RawLink = { index, name, info };
    const master = a.u32(IFLA.MASTER);
    if (master !== undefined) raw.masterIndex = master;
    // iproute2 names IFLA_LINK only without IFLA_LINK_NETNSID (else it is an index elsewhere)
    const lower = a.u32(IFLA.LINK) ?? 0;
    if (lower !== 0 && !a.has(IFLA.LINK_NETNSID) && info.kind !== 'veth') raw.parentIndex = lower;
    out.push(raw);
  });
  return out;
}

/** iproute2 names an index it cannot resolve `if<N>`. */
const nameOf = (names: ReadonlyMap<number, string>, index: number): string => names.get(index) ?? `if${index}`;

export const linkNames = (links: readonly RawLink[]): Map<number, string> => new Map(links.map((l) => [l.index, l.name]));

/** LinkInfo with the master named; `names` maps the namespace's indexes to names. */
export function toLinkInfo(raw: RawLink, names: ReadonlyMap<number, string>): LinkInfo {
  const { name, index, kind, mtu, mac, up, hairpin, group, mode, flag, vlanId, vxlan, mcastSnooping } = raw.info;
  // the key order of parseLinks, so that deepEqual and JSON agree
  const link: LinkInfo = { name, index, kind, mtu, mac, up };
  if (raw.masterIndex !== undefined) link.master = nameOf(names, raw.masterIndex);
  if (hairpin !== undefined) link.hairpin = hairpin;
  if (group !== undefined) link.group = group;
  if (raw.parentIndex !== undefined) link.parent = nameOf(names, raw.parentIndex);
  if (mode !== undefined) link.mode = mode;
  if (flag !== undefined) link.flag = flag;
  if (vlanId !== undefined) link.vlanId = vlanId;
  if (vxlan !== undefined) link.vxlan = vxlan;
  if (mcastSnooping !== undefined) link.mcastSnooping = mcastSnooping;
  return link;
}

/** A link dump: every link, its master named from the same dump. */
export function parseLinks(reply: Buffer | undefined): LinkInfo[] {
  return linksOf(parseRawLinks(reply));
}

/** The links of a parsed dump, their masters named from the same dump. */
export function linksOf(raws: readonly RawLink[]): LinkInfo[] {
  const names = linkNames(raws);
  return raws.map((r) => toLinkInfo(r, names));
}

/**
 * `ip addr show`: addresses grouped by link in the link dump's order, within a link in the
 * address dump's order (IPv4 before IPv6, as the kernel dumps them).
 */
export function parseAddresses(linkReply: Buffer | undefined, addrReply: Buffer | undefined): AddrInfo[] {
  return addressesOf(parseRawLinks(linkReply), addrReply);
}

/** parseAddresses with the link dump already parsed. */
export function addressesOf(links: readonly RawLink[], addrReply: Buffer | undefined): AddrInfo[] {
  const byLink = new Map<number, AddrInfo[]>();
  for (const l of links) byLink.set(l.index, []);
  const names = linkNames(links);
  forEachMessage(addrReply, (type, at, end) => {
    if (type !== RTM.NEWADDR || end - at < 8) return;
    const body = addrReply!;
    const family = body[at];
    if (family !== AF_INET && family !== AF_INET6) return;
    const index = body.readUInt32LE(at + 4);
    const a = addrAttrs.scan(body, at + 8, end);
    const local = a.bytes(IFA.LOCAL) ?? a.bytes(IFA.ADDRESS);
    const list = byLink.get(index);
    if (local === undefined || list === undefined) return;
    list.push({ dev: names.get(index)!, cidr: `${formatAddress(local)}/${body[at + 1]}`, family: family === AF_INET ? 4 : 6, scope: scopeName(body[at + 3]!) });
  });
  return [...byLink.values()].flat();
}

/**
 * `ip [-6] route show`: the main table, without cloned routes, in dump order. Like iproute2, an
 * IPv6 dump is filtered by route type (no local routes) until a route of another table shows
 * up, then by table.
 */
export function parseRoutes(reply: Buffer | undefined, family: 4 | 6, names: ReadonlyMap<number, string>): RouteInfo[] {
  const out: RouteInfo[] = [];
  const af = family === 4 ? AF_INET : AF_INET6;
  const hostLen = family === 4 ? 32 : 128;
  let multipleTables = false;
  forEachMessage(reply, (type, at, end) => {
    const body = reply!;
    if (type !== RTM.NEWROUTE || end - at < 12 || body[at] !== af) return;
    const a = routeAttrs.scan(body, at + 12, end);
    const table = a.u32(RTA.TABLE) ?? body[at + 4]!;
    const [dstLen, rtmScope, rtmType] = [body[at + 1]!, body[at + 6]!, body[at + 7]!];
    if (family === 6 && table !== RT_TABLE_MAIN) multipleTables = true;
    if ((body.readUInt32LE(at + 8) & RTM_F_CLONED) !== 0) return;
    if (family === 6 && !multipleTables ? rtmType === RTN.LOCAL : table !== RT_TABLE_MAIN) return;

    const dst = a.bytes(RTA.DST);
    const route: RouteInfo = {
      // ('0/N ' with its space is iproute2's, for a prefix without an address the kernel never sends)
      dst: dst !== undefined ? (dstLen === hostLen ? formatAddress(dst) : `${formatAddress(dst)}/${dstLen}`) : dstLen !== 0 ? `0/${dstLen} ` : 'default',
      family,
    };
    const gateway = a.bytes(RTA.GATEWAY);
    if (gateway !== undefined) route.gateway = formatAddress(gateway);
    const oif = a.u32(RTA.OIF);
    if (oif !== undefined) route.dev = nameOf(names, oif);
    if (rtmScope !== 0) route.scope = scopeName(rtmScope);
    out.push(route);
  });
  return out;
}
