/**
 * Keyed async mutex: work on one key runs one at a time, unrelated keys run in parallel.
 * Keys are taken in sorted order so two multi-key holders cannot deadlock.
 */
export function createLocks() {
  const tails = new Map<string, Promise<void>>();

  async function acquire(key: string): Promise<() => void> {
    const prev = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => next);
    tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (tails.get(key) === tail) tails.delete(key);
    };
  }

  return {
    async with<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
      const releases: (() => void)[] = [];
      for (const key of [...new Set(keys)].sort()) releases.push(await acquire(key));
      try {
        return await fn();
      } finally {
        for (const r of releases.reverse()) r();
      }
    },
    held: () => tails.size,
  };
}
export type Locks = ReturnType<typeof createLocks>;
