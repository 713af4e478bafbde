import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyShare, parseCpuLine } from './cpu-quiet.js';

test('the cpu line of /proc/stat: idle and iowait are not busy; the share is of the time between two readings', () => {
  const a = parseCpuLine('cpu  100 0 50 800 50 0 0 0 0 0');
  assert.deepEqual(a, { busy: 150, total: 1000 });
  const b = parseCpuLine('cpu  130 0 60 850 60 0 0 0 0 0');
  assert.equal(busyShare(a, b), 40 / 100);
  assert.equal(busyShare(a, a), 0);
  assert.throws(() => parseCpuLine('cpu0 1 2 3'), /not the cpu line/);
});
