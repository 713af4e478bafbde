import { limitMallocArenas, MALLOC_ARENAS } from '@patchbay/kernel';

/**
 * The daemon process's memory set-up, first thing in main: before any thread pool work, glibc's
 * malloc gets at most MALLOC_ARENAS arenas (see @patchbay/kernel malloc-tuning). Returns what the
 * start-up log says about it.
 */
export function tuneProcessMemory(limit: (max: number) => boolean = limitMallocArenas): { mallocArenas: number | 'glibc default' } {
  return { mallocArenas: limit(MALLOC_ARENAS) ? MALLOC_ARENAS : 'glibc default' };
}
