import { releaseMemory } from '../memory.js';

/**
 * A reconcile over thousands of sandboxes leaves tens of megabytes of garbage (their parsed
 * links, addresses and routes) that V8 would keep as resident memory until its heap grows enough
 * to collect it. As after start-up (main.ts), the daemon collects it once, after the answer,
 * when it was large, and gives the memory back (memory.ts). `gc` exists only when node runs with
 * --expose-gc (the daemon's bin does).
 */
const LARGE = 1000;
let scheduled = false;

export function collectAfterLargeWork(items: number): void {
  if (!(globalThis as { gc?: () => void }).gc || items < LARGE || scheduled) return;
  scheduled = true;
  setImmediate(() => {
    scheduled = false;
    releaseMemory();
  }).unref();
}
