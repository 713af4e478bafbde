import type { ParkedLinks, ParkedPair } from '@patchbay/drivers';
import type { IpBatch, Kernel, NetnsRef, Step } from '@patchbay/kernel';
import type { Logger } from 'pino';
import type { LinkReaper } from './reaper.js';

/**
 * The veth pairs of recent disconnects, kept for a connect of the same sandbox to the same network
 * to set up again (see DriverContext.parkedLinks): `docker network disconnect` then `connect`
 * brings a pair back up instead of making one and deleting another. A parked peer keeps its
 * interface name, so a join into its sandbox that wants that name and does not take the pair back
 * retires it first (evictStep). A pair not taken back within `parkMs`, one past `maxParked`, and
 * every pair of a sandbox or network being deleted (all of them at shutdown) is retired the same
 * way: its peer renamed out of the way, its host end to the reaper's group, for the reaper to
 * delete. Links a crashed run left parked are deleted at start.
 */
export interface LinkParking extends ParkedLinks {
  /** the pair whose peer holds `ifName` in `netns`; `parked`: not being retired (a join may take it back) */
  holding(netns: NetnsRef, ifName: string): { pair: ParkedPair; parked: boolean } | undefined;
  /** The step that retires `pair` before a join that wants its peer's name and does not take it back. */
  evictStep(pair: ParkedPair): Step;
  /**
   * Retires the parked pairs `which` picks (all without it); resolves once the reaper has them.
   * `inPlace`: their peers keep their names (their namespace is being deleted).
   */
  release(which?: (pair: ParkedPair) => boolean, opts?: { inPlace?: boolean }): Promise<void>;
  /** Deletes whatever is in the parked group now (links a previous run left parked). */
  discardLeftovers(): Promise<void>;
  /** how many pairs are parked (a metric) */
  size(): number;
}

export interface ParkingOptions {
  group: number;
  retiredGroup: number;
  parkMs: number;
  maxParked: number;
}

interface Parked {
  pair: ParkedPair;
  /** when it was parked */
  at: number;
}

export function createLinkParking(kernel: Kernel, reaper: LinkReaper, log: Logger, opts: ParkingOptions, now: () => number = () => performance.now()): LinkParking {
  /** by host end */
  const parked = new Map<string, Parked>();
  /** pairs being retired, by host end: until the reaper has them, their peers may still hold their names */
  const retiring = new Map<string, { pair: ParkedPair; done: Promise<void> }>();
  let timer: NodeJS.Timeout | undefined;
  let releasing: Promise<void> = Promise.resolve();

  /** The kernel work that retires `pairs`: one batch per sandbox (the peers), one for the host ends. */
  async function retire(pairs: readonly ParkedPair[], inPlace: boolean): Promise<void> {
    const batches: IpBatch[] = [];
    if (!inPlace) {
      for (const netns of new Set(pairs.map((p) => p.netns))) {
        const ops = pairs.filter((p) => p.netns === netns).map((p) => ({ op: 'link.set' as const, name: p.peer, newName: p.retiredPeer }));
        batches.push({ netns, ops });
      }
    }
    batches.push({ netns: null, ops: pairs.map((p) => ({ op: 'link.set' as const, name: p.hostIf, group: opts.retiredGroup })) });
    for (const b of batches) {
      // a sandbox gone took its pairs along; a pair gone is retired
      await kernel.ip(b.netns, b.ops, { ignoreMissing: true }).catch(async (err: unknown) => {
        if (b.netns !== null && !(await kernel.isNetns(b.netns))) return;
        throw err;
      });
    }
    for (const owner of new Set(pairs.map((p) => p.sandbox))) reaper.retired(owner);
  }

  /** Moves `pairs` from parked to retiring, and retires them; resolves when done (failures are logged). */
  function startRetiring(pairs: readonly ParkedPair[], inPlace: boolean): Promise<void> {
    for (const pair of pairs) parked.delete(pair.hostIf);
    const done = retire(pairs, inPlace)
      .catch(async (err: unknown) => {
        // deleted here and now instead (an RCU wait): a pair must not keep holding its names
        log.warn({ err, links: pairs.map((p) => p.hostIf) }, 'retiring parked links failed; deleting them');
        await kernel.ip(null, pairs.map((p) => ({ op: 'link.del' as const, name: p.hostIf })), { ignoreMissing: true }).catch((e: unknown) => {
          log.error({ err: e, links: pairs.map((p) => p.hostIf) }, 'deleting parked links failed; the next start deletes them');
        });
      })
      .finally(() => {
        for (const pair of pairs) if (retiring.get(pair.hostIf)?.done === done) retiring.delete(pair.hostIf);
      });
    for (const pair of pairs) retiring.set(pair.hostIf, { pair, done });
    return done;
  }

  function release(which: (pair: ParkedPair) => boolean = () => true, o: { inPlace?: boolean } = {}): Promise<void> {
    const chosen = [...parked.values()].map((p) => p.pair).filter(which);
    if (chosen.length === 0) return releasing;
    const run = startRetiring(chosen, o.inPlace === true);
    releasing = releasing.then(() => run);
    return releasing;
  }

  function expire(): void {
    timer = undefined;
    const cutoff = now() - opts.parkMs;
    const due = new Set([...parked.values()].filter((p) => p.at <= cutoff).map((p) => p.pair));
    void release((p) => due.has(p));
    schedule();
  }

  function schedule(): void {
    if (timer !== undefined || parked.size === 0) return;
    let oldest = Infinity;
    for (const p of parked.values()) oldest = Math.min(oldest, p.at);
    timer = setTimeout(expire, Math.max(1, Math.ceil(oldest + opts.parkMs - now()))).unref();
  }

  return {
    group: opts.group,
    park(pair) {
      parked.set(pair.hostIf, { pair, at: now() });
      if (parked.size > opts.maxParked) {
        let oldest: Parked | undefined;
        for (const p of parked.values()) if (!oldest || p.at < oldest.at) oldest = p;
        void release((p) => p === oldest!.pair);
      }
      schedule();
    },
    unpark: (hostIf) => void parked.delete(hostIf),
    take(pair) {
      if (parked.delete(pair.hostIf)) return { taken: true };
      const gone = (retiring.get(pair.hostIf)?.done ?? Promise.resolve()).then(() => reaper.settled(pair.sandbox));
      return { taken: false, gone };
    },
    holding(netns, ifName) {
      for (const { pair } of parked.values()) if (pair.netns === netns && pair.peer === ifName) return { pair, parked: true };
      for (const { pair } of retiring.values()) if (pair.netns === netns && pair.peer === ifName) return { pair, parked: false };
      return undefined;
    },
    evictStep: (pair) => ({
      name: `retire the parked ${pair.peer} in the sandbox`,
      // parked: retired now; already being retired: its peer's new name is waited for
      run: () => (parked.has(pair.hostIf) ? startRetiring([pair], false) : (retiring.get(pair.hostIf)?.done ?? Promise.resolve())),
    }),
    release,
    discardLeftovers: () => kernel.ip(null, [{ op: 'group.del', group: opts.group }], { ignoreMissing: true }),
    size: () => parked.size,
  };
}
