import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schedDelta, schedTimes, sumSchedstat } from './schedstat.js';

test('schedstat lines add up per thread, in milliseconds', () => {
  assert.deepEqual(sumSchedstat(['1500000 250000 7\n', '2500000 750000 3']), { runMs: 4, waitMs: 1 });
  assert.throws(() => sumSchedstat(['garbage']), /not a schedstat line/);
});

test("this process's schedstat run time agrees with its CPU time (process.cpuUsage) over a spin", () => {
  const before = schedTimes('self');
  const cpu = process.cpuUsage();
  while (process.cpuUsage(cpu).user < 30_000);
  const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
  const spent = schedDelta(before, schedTimes('self'));
  // cpuUsage counts in ticks on some kernels: allow a tick either way
  assert.ok(Math.abs(spent.runMs - cpuMs) <= 12, `schedstat ${spent.runMs} ms, cpuUsage ${cpuMs} ms`);
  assert.ok(spent.waitMs >= 0);
});
