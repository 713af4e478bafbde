import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tuneProcessMemory } from '../src/memory.js';

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
});
