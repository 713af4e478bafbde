import type { Kernel, NetnsState } from '@patchbay/kernel';

/**
 * Sandboxes whose state one kernel.netnsStates call reads during a deep check: few enough that
 * their parsed states die young (a batch alive across many scavenges is promoted, and the old
 * generation's collections then cost more than the reads), enough to keep a worker thread busy.
 */
export const SANDBOXES_PER_READ = 32;

/**
 * The states of `sandboxes` (in the order the check will ask for them), read in batches of
 * SANDBOXES_PER_READ through kernel.netnsStates, the next batch while the current one is checked.
 * Each state is handed out once (`take`) and then forgotten, so a check over 10,000 sandboxes
 * holds a batch or two of them, not all. A sandbox that could not be read rejects with its error.
 */
export function batchedSandboxStates(
  netnsStates: NonNullable<Kernel['netnsStates']>,
  sandboxes: readonly { id: string; key: string }[],
): { take(sandboxId: string): Promise<NetnsState> } {
  const batchOf = new Map(sandboxes.map((sb, i) => [sb.id, Math.floor(i / SANDBOXES_PER_READ)]));
  const batches = new Map<number, Promise<Map<string, NetnsState | Error>>>();
  const load = (batch: number) => {
    const members = sandboxes.slice(batch * SANDBOXES_PER_READ, (batch + 1) * SANDBOXES_PER_READ);
    if (members.length === 0 || batches.has(batch)) return;
    const read = netnsStates(members.map((sb) => sb.key)).then((states) => new Map(members.map((sb, i) => [sb.id, states[i]!])));
    // a batch read ahead may fail before anyone awaits it: its error comes with its `take`s
    read.catch(() => undefined);
    batches.set(batch, read);
  };
  return {
    take(sandboxId) {
      const batch = batchOf.get(sandboxId);
      if (batch === undefined) return Promise.reject(new Error(`sandbox ${sandboxId} is not among those read`));
      batchOf.delete(sandboxId);
      load(batch);
      load(batch + 1);
      return batches.get(batch)!.then((states) => {
        const state = states.get(sandboxId)!;
        states.delete(sandboxId);
        if (state instanceof Error) throw state;
        return state;
      });
    },
  };
}
