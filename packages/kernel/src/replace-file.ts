import { rename } from 'node:fs/promises';
import { loadNetlinkAddon, type AddonLoad } from './netlink/addon.js';
import { describeErrno } from './netlink/run.js';

/**
 * Replaces the file `to` with the file `from`, atomically for readers (they see the old file or
 * the new one, never none). Through the addon when it is built: the names are exchanged and the
 * old file removed, synchronously, because a plain rename over an existing file makes ext4 start
 * writing the new file's data back on the spot (auto_da_alloc: about 0.1 ms, more on a busy disk,
 * and on a thread-pool thread that a packing scheduler puts on the event loop's CPU). Without the
 * addon, a rename on the thread pool. Fails as fs does, with `code` and `errno`.
 */
export async function replaceFile(from: string, to: string, load: () => AddonLoad = loadNetlinkAddon): Promise<void> {
  const addon = load().addon;
  if (typeof addon?.replaceFile !== 'function') return rename(from, to);
  try {
    addon.replaceFile(from, to);
  } catch (err) {
    const errno = (err as { errno?: number }).errno ?? 0;
    throw Object.assign(err as Error, { code: describeErrno(errno).name, errno: -errno, syscall: 'rename', path: from, dest: to });
  }
}
