import { formatMac } from '@patchbay/ip';
import type { FdbInfo, NeighInfo } from '../contract.js';
import { NLM_F_DUMP, NlMessage, type NlRequest } from './message.js';
import { attributes, formatAddress, replyMessages } from './parse.js';
import { AF_BRIDGE, AF_INET, AF_INET6, RTM } from './rtnl.js';

/**
 * Neighbour dumps (struct ndmsg, linux/neighbour.h): permanent ARP/ND entries (`ip neigh`) and
 * vxlan devices' forwarding entries (`bridge fdb`, family AF_BRIDGE). The requests that change
 * them are in encode.ts.
 */

const NDA = { DST: 1, LLADDR: 2 } as const;
const NUD_PERMANENT = 0x80;
const NDMSG_LEN = 12;

/** struct ndmsg (12 bytes): family, ifindex (0 here), state, flags, type. */
export function ndmsg(family: number, state: number, flags: number): Buffer {
  const b = Buffer.alloc(NDMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt16LE(state, 8);
  b.writeUInt8(flags, 10);
  return b;
}

/** ARP and ND entries of every device (AF_UNSPEC, as `ip neigh show`); fdb entries with AF_BRIDGE. */
export const neighDumpRequest = (): NlRequest => new NlMessage(RTM.GETNEIGH, NLM_F_DUMP, ndmsg(0, 0, 0)).build();
export const fdbDumpRequest = (): NlRequest => new NlMessage(RTM.GETNEIGH, NLM_F_DUMP, ndmsg(AF_BRIDGE, 0, 0)).build();

interface RawNeigh {
  family: number;
  dev: string;
  state: number;
  dst: Buffer;
  lladdr: Buffer;
}

function rawNeighbors(reply: Buffer | undefined, names: ReadonlyMap<number, string>): RawNeigh[] {
  const out: RawNeigh[] = [];
  for (const { type, body } of replyMessages(reply)) {
    if (type !== RTM.NEWNEIGH || body.length < NDMSG_LEN) continue;
    const a = attributes(body, NDMSG_LEN);
    const [dst, lladdr] = [a.get(NDA.DST), a.get(NDA.LLADDR)];
    if (dst === undefined || lladdr === undefined) continue;
    const index = body.readInt32LE(4);
    out.push({ family: body[0]!, dev: names.get(index) ?? `if${index}`, state: body.readUInt16LE(8), dst, lladdr });
  }
  return out;
}

/** Permanent IPv4/IPv6 entries with a link-layer address, in dump order. */
export function parseNeighbors(reply: Buffer | undefined, names: ReadonlyMap<number, string>): NeighInfo[] {
  return rawNeighbors(reply, names)
    .filter((n) => (n.family === AF_INET || n.family === AF_INET6) && (n.state & NUD_PERMANENT) !== 0)
    .map((n) => ({ dev: n.dev, address: formatAddress(n.dst), mac: formatMac(n.lladdr), family: n.family === AF_INET ? 4 : 6 }));
}

/** Forwarding entries that name a remote (a vxlan device's), in dump order. */
export function parseFdb(reply: Buffer | undefined, names: ReadonlyMap<number, string>): FdbInfo[] {
  return rawNeighbors(reply, names)
    .filter((n) => n.family === AF_BRIDGE)
    .map((n) => ({ dev: n.dev, mac: formatMac(n.lladdr), dst: formatAddress(n.dst) }));
}
