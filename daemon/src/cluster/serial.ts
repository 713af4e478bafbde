export interface SerialWorkOptions {
  /** a key whose work failed is marked again after this long, doubling up to `maxRetryMs` (default 250 ms → 10 s) */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Work keyed by a name, run one at a time in the background: marking a key again while it waits
 * runs it once (the work reads the current state, so coalescing loses nothing). Work that fails
 * (etcd between leaders, a kernel refusal) is tried again later: no news may come to mark it.
 */
export function createSerialWork(run: (key: string) => Promise<void>, onError: (err: unknown, key: string) => void, opts: SerialWorkOptions = {}) {
  const firstRetry = opts.retryMs ?? 250;
  const maxRetry = opts.maxRetryMs ?? 10_000;
  const pending = new Set<string>();
  const retries = new Map<string, NodeJS.Timeout>();
  /** the delay of a key's last retry: the next failure waits twice as long */
  const lastDelay = new Map<string, number>();
  let running: Promise<void> | undefined;
  let idle: (() => void)[] = [];
  let cleared = false;

  function retryLater(key: string) {
    const previous = lastDelay.get(key);
    const delay = previous === undefined ? firstRetry : Math.min(previous * 2, maxRetry);
    lastDelay.set(key, delay);
    const timer = setTimeout(() => {
      retries.delete(key);
      mark(key);
    }, delay);
    timer.unref();
    retries.set(key, timer);
  }

  async function drain() {
    while (pending.size > 0) {
      const key = pending.values().next().value as string;
      pending.delete(key);
      try {
        await run(key);
        lastDelay.delete(key);
      } catch (err) {
        onError(err, key);
        if (!cleared && !retries.has(key)) retryLater(key);
      }
    }
    running = undefined;
    for (const r of idle.splice(0)) r();
  }

  function mark(key: string) {
    if (cleared) return;
    pending.add(key);
    running ??= drain();
  }

  return {
    mark,
    /** resolves when nothing is pending or running (a retry waiting for its time is neither) */
    settled: () => (running ? new Promise<void>((r) => idle.push(r)) : Promise.resolve()),
    /** forgets what is pending and every retry; nothing runs after this */
    clear() {
      cleared = true;
      pending.clear();
      for (const timer of retries.values()) clearTimeout(timer);
      retries.clear();
      idle = [];
    },
  };
}
