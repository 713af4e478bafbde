import { limitMallocArenas, MALLOC_ARENAS, trimMalloc } from '@patchbay/kernel';

/**
 * The daemon process's memory set-up, first thing in main: before any thread pool work, glibc's
 * malloc gets at most MALLOC_ARENAS arenas (see @patchbay/kernel malloc-tuning). Returns what the
 * start-up log says about it.
 */
export function tuneProcessMemory(limit: (max: number) => boolean = limitMallocArenas): { mallocArenas: number | 'glibc default' } {
  return { mallocArenas: limit(MALLOC_ARENAS) ? MALLOC_ARENAS : 'glibc default' };
}

/**
 * After large work (start-up, a reconcile over thousands of sandboxes): a full V8 collection, then
 * glibc gives the memory the collected buffers held back to the kernel (on a worker thread: about
 * 12 MB at 10,000 endpoints, 20 to 75 ms of work). `gc` exists when node runs with --expose-gc (the
 * daemon's bin does); without it, nothing is done.
 */
export function releaseMemory(gc = (globalThis as { gc?: () => void }).gc, trim: () => Promise<boolean> = trimMalloc): void {
  if (!gc) return;
  gc();
  void trim().catch(() => undefined);
}
