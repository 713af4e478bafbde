import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { createTestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

describe('graceful shutdown', () => {
  it('SIGTERM with an open event stream (docker events) still exits 0 promptly', async () => {
    const d = createTestDaemon(['--bridge', 'none']);
    await d.start();
    try {
      const streamOpen = new Promise<void>((resolve, reject) => {
        const req = request({ socketPath: d.socket, path: '/events', agent: false }, (res) => {
          assert.equal(res.statusCode, 200);
          res.on('error', () => {});
          resolve();
        });
        req.on('error', reject);
        req.end();
      });
      await streamOpen;
      const started = Date.now();
      const code = await Promise.race([d.stop('SIGTERM'), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
      assert.equal(code, 0, `daemon exit: ${code}\n${d.logs()}`);
      assert.ok(Date.now() - started < 5_000);
    } finally {
      await d.cleanup(); // SIGKILL if it is still there
    }
  });
});
