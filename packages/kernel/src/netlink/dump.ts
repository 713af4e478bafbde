import { KernelError } from '@patchbay/errors';
import type { Kernel, NetnsRef } from '../contract.js';
import type { KernelLogger } from '../exec.js';
import { checkIfname, checkNetnsRef } from '../validate.js';
import type { NetlinkAddon, NlResult } from './addon.js';
import { NLM_F_DUMP, NlMessage, type NlRequest } from './message.js';
import { AF_INET, AF_INET6, IFLA, RTEXT_FILTER_SKIP_STATS, RTM, ifinfomsg } from './rtnl.js';
import { linkNames, parseAddresses, parseLinks, parseRawLinks, parseRoutes, toLinkInfo } from './parse.js';
import { describeErrno, failureMessage, netlinkArgv } from './run.js';
import { fdbDumpRequest, neighDumpRequest, parseFdb, parseNeighbors } from './neigh.js';
import { createScans } from './scan.js';
import { createNetnsStates } from './netns-read.js';

/** Read requests (link, address, route and neighbour dumps and gets) and the Kernel read methods on them. */

const ENODEV = 19;

export const linkDumpRequest = (): NlRequest =>
  new NlMessage(RTM.GETLINK, NLM_F_DUMP, ifinfomsg()).u32(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS).build();

/** One link, by name or by index (the addon adds the ack; a missing one answers ENODEV). */
export function linkGetRequest(link: string | number): NlRequest {
  const m = new NlMessage(RTM.GETLINK, 0, ifinfomsg({ index: typeof link === 'number' ? link : 0 }));
  if (typeof link === 'string') m.str(IFLA.IFNAME, link);
  return m.u32(IFLA.EXT_MASK, RTEXT_FILTER_SKIP_STATS).build();
}

/** Every address of every family (struct ifaddrmsg, 8 bytes, all zero). */
export const addrDumpRequest = (): NlRequest => new NlMessage(RTM.GETADDR, NLM_F_DUMP, Buffer.alloc(8)).build();

/** Every route of one family, all tables (struct rtmsg, 12 bytes). */
export function routeDumpRequest(family: 4 | 6): NlRequest {
  const rtmsg = Buffer.alloc(12);
  rtmsg.writeUInt8(family === 4 ? AF_INET : AF_INET6, 0);
  return new NlMessage(RTM.GETROUTE, NLM_F_DUMP, rtmsg).build();
}

export type KernelReads = Pick<Kernel, 'links' | 'link' | 'addresses' | 'routes' | 'neighbors' | 'fdb' | 'scanLinks' | 'netnsState' | 'netnsStates'>;

/** links/link/addresses/routes over rtnetlink, with the results of the `ip -json` path. */
export function createNetlinkReads(addon: NetlinkAddon, log?: KernelLogger): KernelReads {
  /**
   * Sends `requests` inside `netns` and returns their replies; `what` names the read in logs and
   * errors (`netlink -n NAME link show: ENOENT: ...`). Errnos in `tolerate` come back as results.
   */
  async function exchange(netns: NetnsRef, what: string, requests: NlRequest[], tolerate: number[] = []): Promise<NlResult[]> {
    checkNetnsRef(netns);
    const argv = [...netlinkArgv(netns), what];
    const started = performance.now();
    let results: NlResult[];
    try {
      results = await addon.exchange(netns, requests, true);
    } catch (err) {
      // the namespace (or a socket in it) could not be had
      const errno = (err as { errno?: number }).errno ?? 0;
      throw new KernelError(argv, undefined, (err as Error).message, { status: describeErrno(errno).name, cause: err });
    } finally {
      log?.debug({ netlink: argv.slice(1, -1).join(' ') || 'host', read: what, ms: Math.round((performance.now() - started) * 100) / 100 }, 'kernel call');
    }
    const failed = results.find((r) => r.error !== 0 && !tolerate.includes(r.error));
    if (failed !== undefined) throw new KernelError(argv, undefined, failureMessage(failed), { status: describeErrno(failed.error).name });
    return results;
  }

  const scans = createScans(exchange);

  return {
    scanLinks: (netns) => (checkNetnsRef(netns), scans.scanLinks(netns)),
    netnsState: (netns) => (checkNetnsRef(netns), scans.netnsState(netns)),
    // (an addon built before netnsRead has none)
    ...(typeof addon.netnsRead === 'function' ? { netnsStates: createNetnsStates(addon.netnsRead.bind(addon), log) } : {}),

    async links(netns) {
      const [links] = await exchange(netns, 'link show', [linkDumpRequest()]);
      return parseLinks(links!.reply);
    },

    async link(netns, name) {
      checkIfname(name);
      const [got] = await exchange(netns, `link show dev ${name}`, [linkGetRequest(name)], [ENODEV]);
      if (got!.error === ENODEV) return undefined;
      const raw = parseRawLinks(got!.reply)[0];
      if (raw === undefined) return undefined;
      const names = linkNames([raw]);
      // the master and the parent by index, as `ip` resolves them; gone meanwhile, it prints if<N> like ip
      for (const other of new Set([raw.masterIndex, raw.parentIndex])) {
        if (other === undefined) continue;
        const [got] = await exchange(netns, `link show index ${other}`, [linkGetRequest(other)], [ENODEV]);
        for (const [index, otherName] of linkNames(parseRawLinks(got!.reply))) names.set(index, otherName);
      }
      return toLinkInfo(raw, names);
    },

    async addresses(netns) {
      const [links, addrs] = await exchange(netns, 'addr show', [linkDumpRequest(), addrDumpRequest()]);
      return parseAddresses(links!.reply, addrs!.reply);
    },

    async routes(netns) {
      const [links, v4, v6] = await exchange(netns, 'route show', [linkDumpRequest(), routeDumpRequest(4), routeDumpRequest(6)]);
      const names = linkNames(parseRawLinks(links!.reply));
      return [...parseRoutes(v4!.reply, 4, names), ...parseRoutes(v6!.reply, 6, names)];
    },

    async neighbors(netns) {
      const [links, neigh] = await exchange(netns, 'neigh show', [linkDumpRequest(), neighDumpRequest()]);
      return parseNeighbors(neigh!.reply, linkNames(parseRawLinks(links!.reply)));
    },

    async fdb(netns) {
      const [links, fdb] = await exchange(netns, 'fdb show', [linkDumpRequest(), fdbDumpRequest()]);
      return parseFdb(fdb!.reply, linkNames(parseRawLinks(links!.reply)));
    },
  };
}
