import { loadNetlinkAddon, type AddonLoad } from './netlink/addon.js';

/**
 * The daemon's allocator: at most this many glibc malloc arenas. Each libuv worker thread that
 * runs a netlink exchange or a batch of namespace reads would otherwise get an arena of its own
 * (up to 8 per core) and keep what it once used: several megabytes of RSS at 10,000 endpoints.
 * As MALLOC_ARENA_MAX=2 in the environment, set from inside (a daemon started any way gets it).
 */
export const MALLOC_ARENAS = 2;

/**
 * Limits glibc's malloc arenas, through the netlink addon; call it before any thread pool work
 * (arenas already made stay). false when nothing was changed: no addon, or not glibc.
 */
export function limitMallocArenas(max = MALLOC_ARENAS, load: () => AddonLoad = loadNetlinkAddon): boolean {
  return load().addon?.mallocLimitArenas?.(max) ?? false;
}

/**
 * Gives the allocator's free memory back to the kernel, on a worker thread (after large work, once
 * V8 has collected: the buffers it freed stay resident otherwise); false when none was.
 */
export async function trimMalloc(load: () => AddonLoad = loadNetlinkAddon): Promise<boolean> {
  return (await load().addon?.mallocTrim?.()) ?? false;
}
