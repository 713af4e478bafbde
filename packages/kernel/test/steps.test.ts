import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StepError } from '@patchbay/errors';
import { concurrentSteps, runSteps, type Step } from '../src/index.js';

/** A step that records when it starts, finishes and is undone; `release` lets its run finish. */
function gated(name: string, log: string[], fail = false) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const step: Step = {
    name,
    run: async () => {
      log.push(`start ${name}`);
      await gate;
      if (fail) throw new Error(`${name} broke`);
      log.push(`done ${name}`);
    },
    undo: async () => void log.push(`undo ${name}`),
  };
  return { step, release };
}

describe('concurrentSteps', () => {
  it('starts every part before any finishes, in the order given, and waits for all', async () => {
    const log: string[] = [];
    const a = gated('a', log);
    const b = gated('b', log);
    const running = runSteps([...concurrentSteps([a.step, b.step])]);
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(log, ['start a', 'start b']);
    b.release();
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(log, ['start a', 'start b', 'done b'], 'the group is not over while a part runs');
    a.release();
    await running;
    assert.deepStrictEqual(log, ['start a', 'start b', 'done b', 'done a']);
  });

  it('on a part failing: undoes the parts that completed and the steps before, names the failed part', async () => {
    const log: string[] = [];
    const before: Step = { name: 'before', run: async () => void log.push('done before'), undo: async () => void log.push('undo before') };
    const a = gated('a', log);
    const b = gated('b', log, true);
    const after: Step = { name: 'after', run: async () => void log.push('done after') };
    a.release();
    b.release();
    await assert.rejects(runSteps([before, ...concurrentSteps([a.step, b.step]), after]), (err: StepError) => {
      assert.match(err.message, /\bb\b/);
      assert.doesNotMatch(err.message, /a \+ b/);
      return true;
    });
    assert.deepStrictEqual(log, ['done before', 'start a', 'start b', 'done a', 'undo a', 'undo before']);
  });

  it('a part that throws before its first await counts as failed, and the others still run to the end', async () => {
    const log: string[] = [];
    const a = gated('a', log);
    const throwing: Step = {
      name: 'sync',
      run: () => {
        throw new Error('at once');
      },
    };
    a.release();
    await assert.rejects(runSteps(concurrentSteps([throwing, a.step])), /sync/);
    assert.deepStrictEqual(log, ['start a', 'done a', 'undo a']);
  });

  it('run and undo work outside runSteps too; one step alone stays as it is', async () => {
    const log: string[] = [];
    const a = gated('a', log);
    const b = gated('b', log);
    a.release();
    b.release();
    const [group] = concurrentSteps([a.step, b.step]);
    await group!.run();
    await group!.undo!();
    assert.deepStrictEqual(log, ['start a', 'start b', 'done a', 'done b', 'undo b', 'undo a']);
    assert.deepStrictEqual(concurrentSteps([a.step]), [a.step]);
    assert.deepStrictEqual(concurrentSteps([]), []);
  });
});
