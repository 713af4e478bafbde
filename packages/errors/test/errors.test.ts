import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ErrorCodes, KernelError, PatchbayError, StepError } from '../src/index.js';

it('every code has a kind, and errors keep code, kind and cause', () => {
  const cause = new Error('inner');
  const e = new PatchbayError('PB_ERR_POOL_EXHAUSTED', 'no more', { cause });
  assert.equal(e.kind, 'Unavailable');
  assert.equal(e.cause, cause);
  for (const kind of Object.values(ErrorCodes)) assert.ok(kind.length > 0);
});

it('instanceof: the base matches any patchbay error, subclasses only their own', () => {
  const plain = new PatchbayError('PB_ERR_INVALID', 'x');
  const kernel = new KernelError(['ip', 'link'], 2, 'Cannot find device');
  assert.ok(plain instanceof PatchbayError);
  assert.ok(kernel instanceof PatchbayError);
  assert.ok(kernel instanceof KernelError);
  assert.equal(plain instanceof KernelError, false);
  assert.equal(plain instanceof StepError, false);
  // a copy from another module instance still counts as a PatchbayError
  const foreign = Object.assign(Object.create(Error.prototype), { [Symbol.for('patchbay.error')]: true });
  assert.ok(foreign instanceof PatchbayError);
});

it('StepError names the step and keeps the kernel facts', () => {
  const err = new StepError('create veth pbv1', new KernelError(['ip', '-batch', '-'], 1, 'RTNETLINK answers: File exists'));
  assert.equal(err.step, 'create veth pbv1');
  assert.match(err.message, /^create veth pbv1: ip -batch -: exit 1: RTNETLINK answers: File exists$/);
  assert.equal(err.details?.exitCode, 1);
});
