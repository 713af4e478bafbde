import { StepError } from '@patchbay/errors';

/** One named change with its undo. Undos must be idempotent: "already gone" is success. */
export interface Step {
  name: string;
  run(): Promise<void>;
  undo?(): Promise<void>;
  /** set by concurrentSteps: the independent steps this one runs at once */
  parts?: readonly Step[];
}

/**
 * Independent steps (no one needs another's change, e.g. a file write and a netlink exchange, or
 * exchanges in two namespaces) started together and awaited together: the time of the slowest,
 * not of their sum. A failure undoes the parts that completed, and runSteps names the part that
 * failed, as if they had run one after another. Each part starts in the order given.
 */
export function concurrentSteps(steps: readonly Step[]): Step[] {
  if (steps.length < 2) return [...steps];
  const parts = [...steps];
  return [
    {
      name: parts.map((p) => p.name).join(' + '),
      parts,
      run: async () => {
        const { failed, done } = await runParts(parts);
        if (failed) {
          await undoSteps(done);
          throw failed.err;
        }
      },
      undo: () => undoSteps(parts),
    },
  ];
}

/** Starts every part, then waits for all of them; the first failure (in the parts' order) and the parts that completed. */
async function runParts(parts: readonly Step[]): Promise<{ failed?: { step: Step; err: unknown }; done: Step[] }> {
  const started = parts.map((step) => {
    try {
      return step.run();
    } catch (err) {
      return Promise.reject(err);
    }
  });
  const outcomes = await Promise.allSettled(started);
  const done = parts.filter((_, i) => outcomes[i]!.status === 'fulfilled');
  const index = outcomes.findIndex((o) => o.status === 'rejected');
  if (index < 0) return { done };
  return { failed: { step: parts[index]!, err: (outcomes[index] as PromiseRejectedResult).reason }, done };
}

export interface StepLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Run steps in order. On a failure, run the undos of the completed steps in reverse (each logged;
 * an undo failure is logged and the rest still run), then throw a StepError naming the failing step.
 */
export async function runSteps(steps: readonly Step[], log?: StepLogger): Promise<void> {
  const done: Step[] = [];
  for (const step of steps) {
    if (step.parts) {
      const { failed, done: partsDone } = await runParts(step.parts);
      done.push(...partsDone);
      if (!failed) continue;
      log?.warn({ step: failed.step.name, err: failed.err }, 'step failed, rolling back');
      await undoSteps(done, log);
      throw new StepError(failed.step.name, failed.err);
    }
    try {
      await step.run();
      done.push(step);
    } catch (err) {
      log?.warn({ step: step.name, err }, 'step failed, rolling back');
      await undoSteps(done, log);
      throw new StepError(step.name, err);
    }
  }
}

/** Undo completed steps in reverse; never throws (failures are logged). */
export async function undoSteps(done: readonly Step[], log?: StepLogger): Promise<void> {
  for (const step of [...done].reverse()) {
    if (!step.undo) continue;
    try {
      await step.undo();
      log?.info({ step: step.name }, 'undone');
    } catch (undoErr) {
      log?.error({ step: step.name, err: undoErr }, 'undo failed');
    }
  }
}
