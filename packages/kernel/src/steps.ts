import { StepError } from '@patchbay/errors';

/** One named change with its undo. Undos must be idempotent: "already gone" is success. */
export interface Step {
  name: string;
  run(): Promise<void>;
  undo?(): Promise<void>;
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
