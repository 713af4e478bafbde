import { createFakeKernel } from '@patchbay/kernel';
import type { KernelPauses } from '../../src/controller/kernel-pause.js';

/** Kernel pauses whose idle time the test sets (0: foreground work runs). */
export function setPauses(): KernelPauses & { set(ms: number): void } {
  let idle = 0;
  return { kernel: createFakeKernel(), idleFor: () => idle, set: (ms) => void (idle = ms) };
}
