/**
 * Observations a request's path makes after its answer: each is queued and all run in one
 * setImmediate, once the microtasks that write the response have run (prom-client hashes the
 * labels and finds the bucket on every observe: tens of microseconds on a cold request path).
 * Metrics that take deferred observations flush the queue when read (their `collect`), so a
 * scrape or a test never sees a count behind.
 */
export function createDeferredRecorder() {
  let pending: (() => void)[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const due = pending;
    pending = [];
    for (const record of due) {
      try {
        record();
      } catch {
        // a metric that cannot take a record must not take the daemon (or the records after it) down
      }
    }
  };
  return {
    later(record: () => void): void {
      pending.push(record);
      if (scheduled) return;
      scheduled = true;
      setImmediate(flush);
    },
    flush,
  };
}
export type DeferredRecorder = ReturnType<typeof createDeferredRecorder>;
