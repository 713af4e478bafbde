import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { releaseMemory, tuneProcessMemory } from '../src/memory.js';

describe('the daemon process memory set-up', () => {
  it('limits glibc malloc to 2 arenas and says so', () => {
    const asked: number[] = [];
    assert.deepEqual(tuneProcessMemory((max) => (asked.push(max), true)), { mallocArenas: 2 });
    assert.deepEqual(asked, [2]);
  });

  it('says when the limit could not be set (no addon, another C library)', () => {
    assert.deepEqual(tuneProcessMemory(() => false), { mallocArenas: 'glibc default' });
  });

  it('is the first thing the daemon main does, before flags, logging or the kernel', async () => {
    const { readFile } = await import('node:fs/promises');
    const main = await readFile(new URL('../src/main.ts', import.meta.url), 'utf8');
    const body = main.slice(main.indexOf('async function main('));
    const firstStatement = body.split('\n')[1]?.trim();
    assert.equal(firstStatement, 'const memory = tuneProcessMemory();');
  });

  it('after large work: a full collection first, then the allocator trim (not awaited); nothing without gc', async () => {
    const order: string[] = [];
    releaseMemory(() => order.push('gc'), async () => (order.push('trim'), true));
    assert.deepEqual(order, ['gc', 'trim']);
    releaseMemory(undefined, async () => (order.push('trim without gc'), true));
    assert.deepEqual(order, ['gc', 'trim']);
    // a failed trim is nobody's error
    releaseMemory(() => undefined, () => Promise.reject(new Error('EPERM')));
  });
});
