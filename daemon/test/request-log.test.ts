import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { registerDockerRoutes } from '../src/docker/index.js';
import { buildApp } from '../src/http/app.js';
import { buildTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
before(async () => {
  t = await buildTestApp();
});
after(() => t.close());

/** Top-level keys of one JSON object text, in order, duplicates kept (JSON.parse would drop them). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && line[j + 1] === ':') keys.push(JSON.parse(line.slice(i, j + 1)) as string);
      i = j;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

test('a refused request is logged once, with one msg key and the reason beside it', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).split('\n').filter((l) => l !== '')), done()) });
  const app = buildApp({ controller: t.controller, log: pino({ level: 'info' }, sink), plugins: [(a) => registerDockerRoutes(a, t.controller)] });
  try {
    assert.equal((await app.inject({ method: 'GET', url: '/v1/networks/nope' })).statusCode, 404);
    assert.equal((await app.inject({ method: 'DELETE', url: '/networks/bridge' })).statusCode, 403);
  } finally {
    await app.close();
  }
  const refused = lines.filter((l) => JSON.parse(l).msg === 'request refused');
  assert.equal(refused.length, 2, lines.join('\n'));
  for (const line of lines) assert.equal(topLevelKeys(line).filter((k) => k === 'msg').length, 1, line);
  assert.deepStrictEqual(
    refused.map((l) => {
      const { code, reason } = JSON.parse(l);
      return { code, reason };
    }),
    [
      { code: 'PB_ERR_NETWORK_NOT_FOUND', reason: 'network nope not found' },
      { code: 'PB_ERR_PREDEFINED', reason: 'bridge is a pre-defined network and cannot be removed' },
    ],
  );
});
