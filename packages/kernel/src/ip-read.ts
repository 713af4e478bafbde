import { KernelError } from '@patchbay/errors';
import type { NetnsRef } from './contract.js';
import type { Runner } from './exec.js';
import { ipArgv, toolArgv } from './ip-batch.js';
import { parseAddresses, parseFdb, parseLinks, parseNeighbors, parseRoutes } from './ip-json.js';
import type { KernelReads } from './netlink/dump.js';
import { checkIfname, checkNetnsRef } from './validate.js';

/** links/link/addresses/routes through `ip -json` processes (the fallback of netlink/dump.ts). */
export function createIpReads(run: Runner): KernelReads {
  async function ipJson(netns: NetnsRef, args: string[], tool: 'ip' | 'bridge' = 'ip'): Promise<string> {
    const argv = toolArgv(tool, checkNetnsRef(netns), args);
    const r = await run(argv);
    if (r.exitCode !== 0) throw new KernelError(argv, r.exitCode, r.stderr);
    return r.stdout;
  }

  return {
    async links(netns) {
      return parseLinks(await ipJson(netns, ['-details', '-json', 'link', 'show']));
    },
    async link(netns, name) {
      const argv = ipArgv(checkNetnsRef(netns), ['-details', '-json', 'link', 'show', 'dev', checkIfname(name)]);
      const r = await run(argv);
      if (r.exitCode !== 0) {
        if (/does not exist/.test(r.stderr)) return undefined;
        throw new KernelError(argv, r.exitCode, r.stderr);
      }
      return parseLinks(r.stdout)[0];
    },
    async addresses(netns) {
      return parseAddresses(await ipJson(netns, ['-json', 'addr', 'show']));
    },
    async routes(netns) {
      const [v4, v6] = await Promise.all([
        ipJson(netns, ['-json', 'route', 'show']),
        ipJson(netns, ['-6', '-json', 'route', 'show']),
      ]);
      return [...parseRoutes(v4, 4), ...parseRoutes(v6, 6)];
    },
    async neighbors(netns) {
      return parseNeighbors(await ipJson(netns, ['-json', 'neigh', 'show']));
    },
    async fdb(netns) {
      return parseFdb(await ipJson(netns, ['-json', 'fdb', 'show'], 'bridge'));
    },
  };
}
