import { ipBatch, run } from './proc.js';

/** One pre-created network namespace that a single attach goes into. */
export interface Slot {
  /** unique across the whole run; sides derive interface names and container ids from it */
  id: number;
  /** name under /run/netns (for `ip -n`) */
  name: string;
  /** /run/netns/NAME */
  path: string;
}

let nextId = 0;
const created: Slot[] = [];

/**
 * Creates `count` namespaces with one `ip -batch -` process (not timed by any measurement).
 * `ip netns add` restores the original namespace after each line, so one process suffices.
 */
export async function createSlots(prefix: string, count: number): Promise<Slot[]> {
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) {
    const id = nextId++;
    const name = `${prefix}${id}`;
    slots.push({ id, name, path: `/run/netns/${name}` });
  }
  for (let i = 0; i < slots.length; i += 500) {
    await ipBatch(null, slots.slice(i, i + 500).map((s) => `netns add ${s.name}`));
  }
  created.push(...slots);
  return slots;
}

/**
 * Deletes every namespace made so far. Only called at the very end: the kernel dismantles
 * namespaces in a worker that takes the RTNL lock for a long time after many deletions, which
 * would slow down whatever is measured next (many idle namespaces cost nothing measurable).
 */
export async function deleteAllSlots(): Promise<void> {
  if (created.length === 0) return;
  // -force: keep going past namespaces that are already gone; failures here are not results
  await run('ip', ['-force', '-batch', '-'], { stdin: created.map((s) => `netns del ${s.name}`).join('\n') + '\n' });
  created.length = 0;
}
