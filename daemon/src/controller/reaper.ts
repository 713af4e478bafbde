import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import { waitForPause, type PausePolicy } from './kernel-pause.js';

/**
 * Deletes retired links (see DriverContext.retiredLinkGroup) in the background.
 *
 * A leave only takes its host link down and moves it into the retired group; deleting a veth
 * then costs the kernel an RCU grace period (about 20 ms) that no caller needs to wait for. One
 * `group.del` deletes every retired link at once, so a burst of detaches pays that wait once.
 * Retirements that arrive while a deletion runs are taken by the next one.
 *
 * With a `deferral`, retirements wait for a pause in the daemon's foreground kernel work (see
 * kernel-pause.ts) before their deletion starts: a deletion holds rtnl, which every join needs, so
 * a connect right after a disconnect would wait for it. A deferred batch starts at the pause, after
 * `maxWaitMs`, once it holds `maxBacklog` owners, or at once when someone waits for it (settled,
 * reapNow): no guarantee below waits longer than it did without deferral.
 *
 * Interface names inside a sandbox stay taken until its links are gone: a join into that
 * sandbox waits for `settled(sandboxId)`; deleting a sandbox or a network, and shutting down,
 * wait for everything. Links left in the group by a crash are deleted at the next start.
 */
export interface LinkReaper {
  /** Links of `owner` (a sandbox id) were just retired. */
  retired(owner: string): void;
  /**
   * Resolves when the retired links of `owner` are deleted (or their deletion failed: a waiting
   * join is not held up by a retry). Without an owner: when everything retired so far is
   * deleted, a pending retry after a failure included (once: a kernel that keeps failing does not
   * hold a shutdown).
   */
  settled(owner?: string): Promise<void>;
  /** The deletion running now (or the last one); unlike settled(), starts no deferred one. */
  deletion(): Promise<void>;
  /** Deletes whatever is in the retired group now (retired links of an earlier run). */
  reapNow(): Promise<void>;
  /** How many owners have retired links not deleted yet (a metric). */
  backlog(): number;
}

const RETRY_MS = 1000;

export interface ReaperDeferral extends PausePolicy {
  /** a batch with this many owners starts without waiting for a pause */
  maxBacklog: number;
}

/** Retirements waiting for a pause; `done` follows the deletion they get once started. */
interface Batch {
  done: Promise<void>;
  owners: Set<string>;
  start(): void;
}

export function createLinkReaper(kernel: Kernel, group: number, log: Logger, opts: { deferral?: ReaperDeferral; retryMs?: number } = {}): LinkReaper {
  const { deferral, retryMs = RETRY_MS } = opts;
  /** the deletion running now (or the last one), and the one that will follow it */
  let current: Promise<void> = Promise.resolve();
  let next: Promise<void> | undefined;
  /** after a failed deletion: the retry's timer (unref'd: it alone keeps no process alive) and its end */
  let retry: { done: Promise<void>; timer: NodeJS.Timeout } | undefined;
  const waiting = new Map<string, Promise<void>>();
  let batch: Batch | undefined;

  async function reapOnce(): Promise<void> {
    try {
      await kernel.ip(null, [{ op: 'group.del', group }], { ignoreMissing: true });
    } catch (err) {
      // they stay down and in the group; the next retirement (or this retry) takes them
      log.warn({ err }, 'deleting retired links failed; retrying');
      let timer!: NodeJS.Timeout;
      const pending: Promise<void> = new Promise((resolve) => {
        timer = setTimeout(() => {
          if (retry?.done === pending) retry = undefined;
          resolve(schedule());
        }, retryMs).unref();
      });
      retry = { done: pending, timer };
    }
  }

  function schedule(): Promise<void> {
    if (next === undefined) {
      const run = current.then(() => {
        if (next === run) next = undefined;
        return reapOnce();
      });
      next = run;
      current = run;
    }
    return next;
  }

  function deferred(owner: string, policy: ReaperDeferral): Promise<void> {
    if (batch === undefined) {
      const pause = waitForPause(policy);
      let follow!: (deletion: Promise<void>) => void;
      let started = false;
      const b: Batch = {
        done: new Promise<void>((resolve) => (follow = resolve)),
        owners: new Set(),
        start() {
          if (started) return;
          started = true;
          if (batch === b) batch = undefined;
          pause.now();
          follow(schedule());
        },
      };
      batch = b;
      void pause.done.then(() => b.start());
    }
    const open = batch;
    open.owners.add(owner);
    if (open.owners.size >= policy.maxBacklog) open.start();
    return open.done;
  }

  /** A deferred batch starts now (someone waits for it). */
  const flush = () => batch?.start();

  return {
    retired(owner) {
      const done = deferral ? deferred(owner, deferral) : schedule();
      waiting.set(owner, done);
      void done.then(() => {
        if (waiting.get(owner) === done) waiting.delete(owner);
      });
    },
    settled(owner) {
      if (owner === undefined || batch?.owners.has(owner)) flush();
      if (owner === undefined) {
        return current.then(() => {
          // someone waits for it now: the retry must run even if nothing else keeps the loop alive
          retry?.timer.ref();
          return retry?.done;
        });
      }
      return waiting.get(owner) ?? Promise.resolve();
    },
    deletion: () => current,
    reapNow() {
      flush();
      return schedule();
    },
    backlog: () => waiting.size,
  };
}
