import type { Kernel, NetnsState } from '@patchbay/kernel';

/**
 * Sandboxes whose state one kernel.netnsStates call reads during a deep check: few enough that
 * their parsed states die young (a batch alive across many scavenges is promoted, and the old
 * generation's collections then cost more than the reads), enough to keep a worker thread busy.
 */
export const SANDBOXES_PER_READ = 32;

/**
 * Batches read ahead of the one being checked. Two kept both cores reading but cost the main
 * thread more than it saved (three batches of parsed states alive through its scavenges) on a
 * machine whose other core was busy anyway: one, measured 2026-12-03 at 10,000 sandboxes.
 */
export const BATCHES_AHEAD = 1;

/**
 * The states of `sandboxes` read in batches of SANDBOXES_PER_READ through kernel.netnsStates, in
 * order, the next BATCHES_AHEAD batches while `visit` checks the current one; `visit` gets the index of the
 * batch's first sandbox and the batch's states in the sandboxes' order (an Error for a sandbox
 * that could not be read). A check over 10,000 sandboxes holds a few batches of them, not all,
 * and hands each state over as a value: no promise or lookup per sandbox. A batch whose read
 * failed as a whole rejects with that error.
 */
export async function forEachStateBatch(
  netnsStates: NonNullable<Kernel['netnsStates']>,
  sandboxes: readonly { key: string }[],
  visit: (from: number, states: readonly (NetnsState | Error)[]) => Promise<void>,
): Promise<void> {
  const read = (from: number) => {
    if (from >= sandboxes.length) return undefined;
    const keys = sandboxes.slice(from, from + SANDBOXES_PER_READ).map((sb) => sb.key);
    const states = netnsStates(keys);
    // a batch read ahead may fail while the current one is visited: its error comes when its turn does
    states.catch(() => undefined);
    return states;
  };
  const ahead: NonNullable<ReturnType<typeof read>>[] = [];
  let readFrom = 0;
  const fill = () => {
    for (let states; ahead.length <= BATCHES_AHEAD && (states = read(readFrom)); readFrom += SANDBOXES_PER_READ) ahead.push(states);
  };
  for (let from = 0; fill(), ahead.length > 0; from += SANDBOXES_PER_READ) {
    const current = ahead.shift()!;
    await visit(from, await current);
  }
}
