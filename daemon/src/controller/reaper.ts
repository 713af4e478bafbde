import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';

/**
 * Deletes retired links (see DriverContext.retiredLinkGroup) in the background.
 *
 * A leave only takes its host link down and moves it into the retired group; deleting a veth
 * then costs the kernel an RCU grace period (about 20 ms) that no caller needs to wait for. One
 * `group.del` deletes every retired link at once, so a burst of detaches pays that wait once.
 * Retirements that arrive while a deletion runs are taken by the next one.
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
  /** Deletes whatever is in the retired group now (retired links of an earlier run). */
  reapNow(): Promise<void>;
  /** How many owners have retired links not deleted yet (a metric). */
  backlog(): number;
}

const RETRY_MS = 1000;

export function createLinkReaper(kernel: Kernel, group: number, log: Logger, retryMs = RETRY_MS): LinkReaper {
  /** the deletion running now (or the last one), and the one that will follow it */
  let current: Promise<void> = Promise.resolve();
  let next: Promise<void> | undefined;
  /** after a failed deletion: the retry's timer (unref'd: it alone keeps no process alive) and its end */
  let retry: { done: Promise<void>; timer: NodeJS.Timeout } | undefined;
  const waiting = new Map<string, Promise<void>>();

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

  return {
    retired(owner) {
      const done = schedule();
      waiting.set(owner, done);
      void done.then(() => {
        if (waiting.get(owner) === done) waiting.delete(owner);
      });
    },
    settled(owner) {
      if (owner === undefined) {
        return current.then(() => {
          // someone waits for it now: the retry must run even if nothing else keeps the loop alive
          retry?.timer.ref();
          return retry?.done;
        });
      }
      return waiting.get(owner) ?? Promise.resolve();
    },
    reapNow() {
      return schedule();
    },
    backlog: () => waiting.size,
  };
}
