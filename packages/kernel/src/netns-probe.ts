import { lstatSync, readFileSync, readlinkSync, realpathSync, statSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isSafeNetnsPath } from './validate.js';

/**
 * Is a path a network-namespace file? Decided by the file system (no process) where possible:
 * - it must live on nsfs (statfs type NSFS_MAGIC), which rules out directories, regular files
 *   and anything else that merely has the right name;
 * - /proc/PID/ns/* links read as `TYPE:[INODE]`, so only `net:[…]` is a network namespace;
 * - a bind-mounted namespace file (e.g. /run/netns/NAME) shows `net:[INODE]` as the root of its
 *   mount in /proc/self/mountinfo.
 * Only when neither tells the type does it ask `undecided(path)` (nsenter).
 * The file-system calls are synchronous: they are in-memory lookups on nsfs, /proc and /run (the
 * addon's probe opens the file synchronously too), and each asynchronous one would cost a trip
 * through libuv's thread pool on every CNI ADD and DEL.
 * With `kernelType` (the addon's NS_GET_NSTYPE) a file on nsfs is asked directly instead of
 * searched for in mountinfo, which holds a line for every namespace bind-mounted on the machine.
 */

const NSFS_MAGIC = 0x6e736673;
const NS_LINK_RE = /^([a-z_]+):\[(\d+)\]$/;

function onNsfs(path: string): boolean {
  try {
    return statfsSync(path).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

const unescapeMountinfo = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The namespace type of the nsfs mount at `mountPoint` holding inode `ino`, if mounted there. */
function mountedNsType(mountPoint: string, ino: number): string | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  let found: string | undefined;
  for (const line of table.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 5 || unescapeMountinfo(fields[4]!) !== mountPoint) continue;
    const m = NS_LINK_RE.exec(fields[3]!);
    // the last mount on a point is the visible one
    found = m && Number(m[2]) === ino ? m[1] : undefined;
  }
  return found;
}

export async function probeNetns(
  path: string,
  undecided: (path: string) => Promise<boolean>,
  kernelType?: (path: string) => 'net' | 'other' | null,
): Promise<boolean> {
  if (!isSafeNetnsPath(path)) return false;
  // Follow ordinary symlinks (e.g. a runtime's link to /proc/PID/ns/net) by hand: the magic
  // link at the end reads as TYPE:[INODE] and is where the decision is made.
  let current = path;
  for (let hops = 0; ; hops++) {
    let target: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) break;
      target = readlinkSync(current);
    } catch {
      return false;
    }
    const nsLink = NS_LINK_RE.exec(target);
    if (nsLink) return nsLink[1] === 'net' && onNsfs(current);
    if (hops >= 16) return false;
    current = resolve(dirname(current), target);
  }

  let ino: number;
  let real: string;
  try {
    const st = statSync(current);
    if (!st.isFile()) return false;
    ino = st.ino;
    real = realpathSync(current);
  } catch {
    return false;
  }
  if (!onNsfs(current)) return false;
  const asked = kernelType?.(real);
  if (asked === 'net' || asked === 'other') return asked === 'net';
  const type = mountedNsType(real, ino);
  if (type !== undefined) return type === 'net';
  return undecided(path);
}
