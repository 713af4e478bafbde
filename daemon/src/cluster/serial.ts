/**
 * Work keyed by a name, run one at a time in the background: marking a key again while it waits
 * runs it once (the work reads the current state, so coalescing loses nothing).
 */
export function createSerialWork(run: (key: string) => Promise<void>, onError: (err: unknown, key: string) => void) {
  const pending = new Set<string>();
  let running: Promise<void> | undefined;
  let idle: (() => void)[] = [];

  async function drain() {
    while (pending.size > 0) {
      const key = pending.values().next().value as string;
      pending.delete(key);
      try {
        await run(key);
      } catch (err) {
        onError(err, key);
      }
    }
    running = undefined;
    for (const r of idle.splice(0)) r();
  }

  return {
    mark(key: string) {
      pending.add(key);
      running ??= drain();
    },
    /** resolves when nothing is pending or running */
    settled: () => (running ? new Promise<void>((r) => idle.push(r)) : Promise.resolve()),
    clear() {
      pending.clear();
      idle = [];
    },
  };
}
