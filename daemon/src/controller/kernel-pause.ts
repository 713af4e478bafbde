import type { Kernel } from '@patchbay/kernel';
import { KERNEL_METHODS } from '../metrics/kernel.js';

/**
 * Pauses in the daemon's foreground kernel work (joins, leaves, creates: whatever a caller waits
 * for), so background work that takes rtnl, which is global, runs between them instead of during
 * them: deleting a veth holds rtnl for an RCU grace period, and a join that starts meanwhile
 * waits for it (a connect right after a disconnect took 2-4x as long).
 */
export interface KernelPauses {
  /** `inner` with every call counted as foreground work */
  readonly kernel: Kernel;
  /** milliseconds since the last foreground call ended; 0 while one runs */
  idleFor(): number;
}

export function trackKernelPauses(inner: Kernel, now: () => number = () => performance.now()): KernelPauses {
  let running = 0;
  let lastEnd = now();
  const wrapped = {} as Record<string, unknown>;
  for (const method of KERNEL_METHODS) {
    if (inner[method] === undefined) continue;
    const call = (inner[method] as (...args: unknown[]) => unknown).bind(inner);
    wrapped[method] = (...args: unknown[]) => {
      const result = call(...args);
      // supportsLinkKind answers synchronously: nothing to wait for
      if (!(result instanceof Promise)) return result;
      running++;
      const end = () => {
        running--;
        lastEnd = now();
      };
      return result.finally(end);
    };
  }
  return {
    kernel: wrapped as unknown as Kernel,
    idleFor: () => (running > 0 ? 0 : now() - lastEnd),
  };
}

/** When background work waits for a pause: `quietMs` without foreground calls, or `maxWaitMs` at most. */
export interface PausePolicy {
  pauses: KernelPauses;
  quietMs: number;
  maxWaitMs: number;
}

/** One wait for a pause, which `now()` cuts short. */
export interface PauseWait {
  readonly done: Promise<void>;
  now(): void;
}

export function waitForPause(policy: PausePolicy): PauseWait {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      resolve();
    };
  });
  const check = () => {
    const waited = performance.now() - started;
    const rest = Math.min(policy.quietMs - policy.pauses.idleFor(), policy.maxWaitMs - waited);
    if (rest <= 0) return finish();
    timer = setTimeout(check, Math.max(1, Math.ceil(rest)));
  };
  check();
  return { done, now: finish };
}
