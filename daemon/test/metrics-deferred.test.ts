import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createFakeKernel } from '@patchbay/kernel';
import { createDeferredRecorder } from '../src/metrics/deferred.js';
import { instrumentKernel } from '../src/metrics/kernel.js';
import { createMetrics } from '../src/metrics/registry.js';

it('deferred records run after the current microtasks, in one setImmediate, or at once when flushed', async () => {
  const d = createDeferredRecorder();
  const seen: string[] = [];
  d.later(() => seen.push('a'));
  d.later(() => seen.push('b'));
  await Promise.resolve();
  assert.equal(seen.length, 0, 'not within the microtasks that write an answer');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ['a', 'b']);
  d.later(() => seen.push('c'));
  d.flush();
  assert.deepEqual(seen, ['a', 'b', 'c']);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ['a', 'b', 'c'], 'each record runs once');
});

it('a record that throws neither stops the ones after it nor escapes the flush', () => {
  const d = createDeferredRecorder();
  const seen: string[] = [];
  d.later(() => {
    throw new Error('bad label');
  });
  d.later(() => seen.push('after'));
  assert.doesNotThrow(() => d.flush());
  assert.deepEqual(seen, ['after']);
});

it('a kernel call is timed after its answer, and a read of the metric right after the call sees it', async () => {
  const metrics = createMetrics({ processMetrics: false });
  const kernel = instrumentKernel(createFakeKernel(), metrics, 'fake');
  await kernel.ip(null, [{ op: 'link.set', name: 'lo', up: true }]);
  const { values } = await metrics.kernelDuration.get();
  const count = values.find((v) => v.metricName === 'patchbay_kernel_call_duration_seconds_count' && v.labels.method === 'ip' && v.labels.outcome === 'ok');
  assert.equal(count?.value, 1);
  const text = await metrics.registry.metrics();
  assert.match(text, /patchbay_kernel_call_duration_seconds_count\{backend="fake",method="ip",outcome="ok"\} 1/);
});
