import { readFile } from 'node:fs/promises';
import type { BridgePortInfo, LinkScan, NetnsRef, NetnsState } from '../contract.js';
import type { NlResult } from './addon.js';
import { addrDumpRequest, linkDumpRequest, linkGetRequest, routeDumpRequest } from './dump.js';
import { NLM_F_DUMP, NlMessage, type NlRequest } from './message.js';
import { addressesOf, linkNames, linksOf, parseAddresses, parseRawLinks, parseRoutes, replyMessages, toLinkInfo } from './parse.js';
import { AF_BRIDGE, IFF_UP, IFLA, IFLA_BRPORT_MODE, INFO, RTEXT_FILTER_SKIP_STATS, RTM, ifinfomsg } from './rtnl.js';
import { formatMac } from '@patchbay/ip';
import { AttrIndex, forEachMessage } from './attr-index.js';

/** Reads and linear-cost scans of a namespace (see LinkScan and NetnsState in the contract). */

const ENODEV = 19;
const IFLA_PROTINFO = 12;

type Exchange = (netns: NetnsRef, what: string, requests: NlRequest[], tolerate?: number[]) => Promise<NlResult[]>;

/** Every bridge port (AF_BRIDGE: the bridge's own description, no namespace id of a peer to look up). */
const bridgePortDumpRequest = (): NlRequest => {
  const ifi = ifinfomsg();
  ifi.writeUInt8(AF_BRIDGE, 0);
  return new NlMessage(RTM.GETLINK, NLM_F_DUMP, ifi).u32(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS).build();
};

/** The links of one kind (the kernel skips the others before describing them). */
const kindDumpRequest = (kind: string): NlRequest =>
  new NlMessage(RTM.GETLINK, NLM_F_DUMP, ifinfomsg()).u32(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS).begin(IFLA.LINKINFO).str(INFO.KIND, kind).end().build();

const portAttrs = new AttrIndex();
const protinfoAttrs = new AttrIndex();

/** Bridge ports of an AF_BRIDGE dump, their bridges named from `bridges` (index → name). */
export function parseBridgePorts(reply: Buffer | undefined, bridges: ReadonlyMap<number, string>): BridgePortInfo[] {
  const out: BridgePortInfo[] = [];
  forEachMessage(reply, (type, at, end) => {
    if (type !== RTM.NEWLINK || end - at < 16) return;
    const body = reply!;
    const index = body.readInt32LE(at + 4);
    const a = portAttrs.scan(body, at + 16, end);
    const master = a.u32(IFLA.MASTER);
    if (master === undefined) return;
    const address = a.bytes(IFLA.ADDRESS);
    const lower = a.u32(IFLA.LINK);
    const port: BridgePortInfo = {
      name: a.str(IFLA.IFNAME) ?? '',
      index,
      master: bridges.get(master) ?? `if${master}`,
      mtu: a.u32(IFLA.MTU) ?? 0,
      mac: address !== undefined && address.length > 0 ? formatMac(address) : '',
      up: (body.readUInt32LE(at + 8) & IFF_UP) !== 0,
      linked: lower !== undefined && lower !== index,
    };
    const protinfo = a.bytes(IFLA_PROTINFO);
    const mode = protinfo !== undefined ? protinfoAttrs.scan(protinfo, 0).bytes(IFLA_BRPORT_MODE) : undefined;
    if (mode !== undefined && mode.length >= 1) port.hairpin = mode[0] !== 0;
    out.push(port);
  });
  return out;
}

/** Names of the daemon's links from /proc/self/net/dev (the main thread's namespace: never a sandbox's). */
export function parseNetDev(text: string): string[] {
  return text
    .split('\n')
    .slice(2)
    .map((line) => line.slice(0, line.indexOf(':')).trim())
    .filter((name) => name !== '');
}

/** How errors and logs name the read of a namespace's state. */
export const NETNS_STATE_READ = 'link, addr and route show';

/** Every route of every family in one dump (struct rtmsg all zero: AF_UNSPEC); one round trip less than two. */
const allRoutesDumpRequest = (): NlRequest => new NlMessage(RTM.GETROUTE, NLM_F_DUMP, Buffer.alloc(12)).build();

/** The dumps of a namespace's state: links, addresses, routes (parseNetnsState reads their answers). */
export const netnsStateRequests = (): NlRequest[] => [linkDumpRequest(), addrDumpRequest(), allRoutesDumpRequest()];

/** The answers to netnsStateRequests, in their order, as a NetnsState (the routes as `routes` gives them: IPv4, then IPv6). */
export function parseNetnsState([links, addrs, routes]: readonly (Buffer | undefined)[]): NetnsState {
  const raws = parseRawLinks(links);
  const names = linkNames(raws);
  return {
    links: linksOf(raws),
    addresses: addressesOf(raws, addrs),
    routes: [...parseRoutes(routes, 4, names), ...parseRoutes(routes, 6, names)],
  };
}

export function createScans(exchange: Exchange) {
  /** Links by index, read one by one (all in one exchange); missing ones are left out. */
  async function byIndex(netns: NetnsRef, indexes: readonly number[]): Promise<Buffer> {
    if (indexes.length === 0) return Buffer.alloc(0);
    const got = await exchange(netns, 'link show index', indexes.map((i) => linkGetRequest(i)), [ENODEV]);
    return Buffer.concat(got.flatMap((r) => (r.error === 0 && r.reply ? [r.reply] : [])));
  }

  async function scanLinks(netns: NetnsRef): Promise<LinkScan> {
    const [portReply, bridgeReply, allReply] = await exchange(netns, 'link show (scan)', [
      bridgePortDumpRequest(),
      kindDumpRequest('bridge'),
      // inside a sandbox a full dump is cheap; the daemon's own names come from /proc
      ...(netns === null ? [] : [linkDumpRequest()]),
    ]);
    const bridges = linkNames(parseRawLinks(bridgeReply!.reply));
    const ports = new Map(parseBridgePorts(portReply!.reply, bridges).map((p) => [p.name, p]));
    const names = netns === null ? parseNetDev(await readFile('/proc/self/net/dev', 'utf8')) : parseRawLinks(allReply!.reply).map((l) => l.name);
    const known = new Map<number, string>([...bridges, ...[...ports.values()].map((p) => [p.index, p.name] as const)]);
    return {
      names,
      ports,
      async details(wanted) {
        if (wanted.length === 0) return [];
        const got = await exchange(netns, 'link show (named)', wanted.map((n) => linkGetRequest(n)), [ENODEV]);
        const raws = parseRawLinks(Buffer.concat(got.flatMap((r) => (r.error === 0 && r.reply ? [r.reply] : []))));
        const names = new Map(known);
        for (const r of raws) names.set(r.index, r.name);
        const unknown = [...new Set(raws.flatMap((r) => [r.masterIndex, r.parentIndex]))].filter((i): i is number => i !== undefined && !names.has(i));
        for (const [index, name] of linkNames(parseRawLinks(await byIndex(netns, unknown)))) names.set(index, name);
        return raws.map((r) => toLinkInfo(r, names));
      },
      async addresses() {
        const [addrs] = await exchange(netns, 'addr show (scan)', [addrDumpRequest()]);
        // the links that hold addresses, in index order (the order of a link dump)
        const indexes = new Set<number>();
        for (const { type, body } of replyMessages(addrs!.reply)) if (type === RTM.NEWADDR && body.length >= 8) indexes.add(body.readUInt32LE(4));
        return parseAddresses(await byIndex(netns, [...indexes].sort((a, b) => a - b)), addrs!.reply);
      },
    };
  }

  async function netnsState(netns: NetnsRef): Promise<NetnsState> {
    return parseNetnsState((await exchange(netns, NETNS_STATE_READ, netnsStateRequests())).map((r) => r.reply));
  }

  return { scanLinks, netnsState };
}


