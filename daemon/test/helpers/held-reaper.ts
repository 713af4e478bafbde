import { createFakeKernel, type FakeKernel } from '@patchbay/kernel';

/** The fake kernel; after `hold()`, the reaper's deletions wait until `release()`. */
export function heldReaper() {
  const fake = createFakeKernel();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let holding = false;
  let held = 0;
  const kernel: FakeKernel = {
    ...fake,
    ip: async (ns, ops, opts) => {
      if (holding && ops.some((op) => op.op === 'group.del')) {
        held++;
        await gate;
      }
      return fake.ip(ns, ops, opts);
    },
  };
  return { fake, kernel, release, hold: () => void (holding = true), held: () => held };
}
