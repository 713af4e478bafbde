import type { Runner } from './exec.js';
import type { NetlinkAddon } from './netlink/addon.js';

/**
 * The nft commands the kernel runs, as the text `nft -f -` would read: a document on stdin, or
 * `list table F N` / `delete table F N`. Anything else (e.g. `nft --version`) is not one.
 */
function nftCommandsOf(argv: readonly string[], input: string | undefined): string | undefined {
  if (argv[0] !== 'nft') return undefined;
  const args = argv.slice(1);
  if (args.length === 2 && args[0] === '-f' && args[1] === '-') return input ?? '';
  if (args.length === 4 && (args[0] === 'list' || args[0] === 'delete') && args[1] === 'table') return args.join(' ');
  return undefined;
}

/** 'libnftables, in-process', or why nft runs as processes. */
export function nftInProcessStatus(addon: NetlinkAddon): string {
  if (typeof addon.nftAvailable !== 'function') return 'nft processes (the addon was built without libnftables support)';
  const why = addon.nftAvailable();
  return why === null ? 'libnftables, in-process' : `nft processes (${why})`;
}

/**
 * A runner that runs nft's commands through libnftables inside this process (the addon's
 * `nftRun`, on a worker thread: no nft process to start, which costs more than the commands) and
 * everything else through `inner`. Outcomes look like the process's: exit status 1 and nft's own
 * error text on stderr. Without the library (`addon.nftAvailable()` says why) it is `inner`.
 */
export function withInProcessNft(inner: Runner, addon: NetlinkAddon | undefined): Runner {
  if (addon === undefined || nftInProcessStatus(addon) !== 'libnftables, in-process') return inner;
  return async (argv, input) => {
    const commands = nftCommandsOf(argv, input);
    if (commands === undefined) return inner(argv, input);
    const r = await addon.nftRun(commands);
    return { exitCode: r.status === 0 ? 0 : 1, stdout: r.output, stderr: r.error };
  };
}
