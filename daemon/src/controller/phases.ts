/** Wall milliseconds of named steps, for one log line that says where a start-up's time went. */
export function phaseTimer() {
  const ms: Record<string, number> = {};
  return {
    ms,
    async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const started = performance.now();
      try {
        return await fn();
      } finally {
        ms[name] = Math.round(performance.now() - started);
      }
    },
  };
}
