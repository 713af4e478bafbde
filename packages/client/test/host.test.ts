import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_HOST, parseHost } from '../src/index.js';

test('parseHost reads unix, tcp and http addresses', () => {
  assert.deepEqual(parseHost(DEFAULT_HOST), { kind: 'unix', socketPath: '/run/patchbay/patchbay.sock' });
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { kind: 'tcp', hostname: '127.0.0.1', port: 2375 });
  assert.deepEqual(parseHost('http://localhost:8080'), { kind: 'tcp', hostname: 'localhost', port: 8080 });
  assert.deepEqual(parseHost('http://localhost'), { kind: 'tcp', hostname: 'localhost', port: 80 });
  assert.deepEqual(parseHost('tcp://[::1]:2375'), { kind: 'tcp', hostname: '::1', port: 2375 });
});

test('parseHost rejects what it cannot reach', () => {
  assert.throws(() => parseHost('unix://relative.sock'), /must be absolute/);
  assert.throws(() => parseHost('tcp://127.0.0.1'), /needs a port/);
  assert.throws(() => parseHost('https://example.org:443'), /expected unix:\/\/, tcp:\/\/ or http:\/\//);
  assert.throws(() => parseHost('/run/patchbay/patchbay.sock'), /expected unix:\/\//);
  assert.throws(() => parseHost('tcp://127.0.0.1:2375/v1'), /only a host and a port/);
  assert.throws(() => parseHost('tcp://127.0.0.1:99999'), /not a valid URL/);
});
