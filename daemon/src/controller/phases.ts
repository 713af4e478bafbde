/**
 * Wall and CPU milliseconds of named steps, for one log line that says where a start-up's or a
 * reconcile's time went (CPU time tells the daemon's own cost from a busy machine's waits).
 */
export function phaseTimer() {
  const ms: Record<string, number> = {};
  const cpuMs: Record<string, number> = {};
  return {
    ms,
    cpuMs,
    async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const started = performance.now();
      const cpu = process.cpuUsage();
      try {
        return await fn();
      } finally {
        ms[name] = Math.round(performance.now() - started);
        const used = process.cpuUsage(cpu);
        cpuMs[name] = Math.round((used.user + used.system) / 1000);
      }
    },
  };
}
