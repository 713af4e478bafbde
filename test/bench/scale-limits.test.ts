import assert from 'node:assert/strict';
import { test } from 'node:test';
import { projectLimits, roughly } from './scale-limits.js';

test('limits: linear from the empty daemon (RSS) and from zero (check), to the targets', () => {
  const p = projectLimits({ endpoints: 10_000, rssEmptyMb: 80, rssMb: 180, checkMs: 1600, listBytes: 5_670_000 });
  assert.equal(p.rssPerEndpointKb, 10.24);
  assert.equal(p.rssAt, 12_000);
  assert.equal(p.checkPerEndpointMs, 0.16);
  assert.equal(p.checkAt, 12_500);
  assert.equal(p.listBytesPerEndpoint, 567);
  assert.equal(projectLimits({ endpoints: 100, rssEmptyMb: 80, rssMb: 79, checkMs: 10, listBytes: 0 }).rssAt, Infinity);
});

test('projections are rounded to 500', () => {
  assert.equal(roughly(12_240), '12,000');
  assert.equal(roughly(12_260), '12,500');
  assert.equal(roughly(Infinity), 'never');
});
