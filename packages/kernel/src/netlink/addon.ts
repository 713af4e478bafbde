import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NlRequest } from './message.js';

/** One request's outcome: errno 0 = done, -1 = not run (an earlier one failed). */
export interface NlResult {
  error: number;
  /** the kernel's extended-ack text, or the native side's own words (e.g. a missing device) */
  message?: string;
  /** answers to a get or dump: the raw netlink messages */
  reply?: Buffer;
}

export interface NetlinkAddon {
  /**
   * Sends the requests in order from inside `netns` (a namespace file; null = the daemon's own)
   * on a worker thread, beside the event loop (see besideProbe). Rejects (with `errno`) only when the namespace or socket cannot be had.
   */
  exchange(netns: string | null, requests: readonly NlRequest[], stopOnError: boolean): Promise<NlResult[]>;
  /**
   * Exchanges (each stopping at its first failure) in their namespaces one after another on one
   * worker thread; after a failing one the rest do not run. Per group: its results, the Error
   * exchange() would reject with, or null when not run.
   */
  exchangeSequence?(groups: readonly { netns: string | null; requests: readonly NlRequest[] }[]): Promise<(NlResult[] | Error | null)[]>;
  /**
   * What `ip netns add` does, in-process: the namespace file at `path` (its directory a shared
   * mount), a new namespace with loopback up bind-mounted on it. Rejects (with `errno`) on failure,
   * leaving no file behind.
   */
  netnsAdd(path: string): Promise<void>;
  /** What `ip netns delete` does: unmount and remove `path`; a missing one is success. */
  netnsDelete(path: string): Promise<void>;
  /** The type of the namespace file at `path` (NS_GET_NSTYPE), null when it cannot be told. */
  netnsType(path: string): 'net' | 'other' | null;
  /**
   * The same read requests (gets and dumps only) inside each namespace of `paths`, by one worker
   * thread entering them in turn. `data`: every answer, one after the other; `slots`: per
   * namespace 0 when entered (else the errno of open, or minus that of setns), then per request
   * its errno (0 = done, -1 = not run), the offset and the length of its answer in `data` (see
   * native/netns-read.c). Rejects (with
   * `errno`) only when nothing could be read (out of memory).
   */
  netnsRead?(paths: readonly string[], requests: readonly Buffer[]): Promise<{ data: Buffer; slots: Int32Array }>;
  /** null when libnftables can be loaded (see nftRun), else why not. */
  nftAvailable(): string | null;
  /**
   * Runs nft commands through libnftables in this process, as `nft -f -` would (one transaction,
   * the daemon's own namespace), on a worker thread. status 0 = done; error holds nft's messages.
   */
  nftRun(commands: string): Promise<{ status: number; output: string; error: string }>;
  /** glibc's mallopt(M_ARENA_MAX, max) (see malloc-tuning.ts); false when not taken (not glibc). */
  mallocLimitArenas?(max: number): boolean;
  /** glibc's malloc_trim(0) on a worker thread; false when nothing was given back (or not glibc). */
  mallocTrim?(): Promise<boolean>;
  /** Writes `data` to the file at `path` from a thread at idle priority (SCHED_IDLE); rejects with `errno`. */
  writeIdle?(path: string, data: string): Promise<void>;
  /**
   * `to` becomes the file `from` is, atomically (names exchanged, then `from` removed; a plain
   * rename when `to` is missing or the filesystem cannot exchange). Throws an Error with `errno`.
   */
  replaceFile?(from: string, to: string): void;
  /**
   * Every exchange runs beside the event loop: a worker woken on the loop's CPU moves to the
   * process's other CPUs for the work (native/beside.c). This puts a worker on `loopCpu` first,
   * then does what an exchange does: where it ran, and whether its affinity is back (for tests).
   */
  besideProbe?(loopCpu: number): Promise<{ cpus: number; moved: boolean; cpuDuring: number; restored: boolean }>;
}

/** Where `npm ci` / `npm run build` put the compiled addon (see packages/kernel/native). */
export const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/patchbay_netlink.node', import.meta.url));

export type AddonLoad = { addon: NetlinkAddon; error?: undefined } | { addon?: undefined; error: string };

let loaded: AddonLoad | undefined;

/** Loads the addon once; the error says why when it is not there (not built, wrong platform). */
export function loadNetlinkAddon(): AddonLoad {
  if (loaded === undefined) {
    try {
      loaded = { addon: createRequire(import.meta.url)(ADDON_PATH) as NetlinkAddon };
    } catch (err) {
      loaded = { error: (err as Error).message.split('\n')[0] ?? String(err) };
    }
  }
  return loaded;
}
