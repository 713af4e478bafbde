import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { readlinkSync } from 'node:fs';
import { createTestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

describe('an adopted namespace whose process exits', () => {
  it('loses its sandbox and endpoints within a check interval, and the address can be used again', async () => {
    const d = createTestDaemon(['--bip', '10.190.0.1/24', '--firewall-check-interval', '1']);
    await d.start();
    // a "container": a process in a network namespace of its own, adopted by /proc/PID/ns/net
    const container = spawn('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' });
    try {
      // unshare execs sleep inside the new namespace: wait until the process is no longer in ours
      const key = `/proc/${container.pid}/ns/net`;
      const ours = readlinkSync('/proc/self/ns/net');
      for (let i = 0; i < 100 && readlinkSync(key) === ours; i++) await new Promise((r) => setTimeout(r, 20));
      assert.notEqual(readlinkSync(key), ours, 'the container has a namespace of its own');
      const sb = await d.req('POST', '/v1/sandboxes', { name: 'ctr', netnsPath: key });
      assert.equal(sb.status, 201, sb.text);
      const c = await d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'ctr', ipv4Address: '10.190.0.50', ports: [{ containerPort: 80, hostPort: 18090 }] });
      assert.equal(c.status, 201, c.text);
      container.kill('SIGKILL');
      await new Promise((r) => container.once('exit', r));
      let gone = false;
      for (let i = 0; i < 50 && !gone; i++) {
        await new Promise((r) => setTimeout(r, 100));
        gone = (await d.req('GET', '/v1/sandboxes/ctr')).status === 404;
      }
      assert.ok(gone, `sandbox still there:\n${d.logs()}`);
      const ipam = (await d.req('GET', '/v1/networks/bridge/ipam')).body;
      assert.ok(!ipam.subnets[0].allocations.some((a: { address: string }) => a.address === '10.190.0.50'), 'address freed');
      assert.equal((await d.req('GET', '/v1/system/check')).body.consistent, true);
      // the address and the host port are free for the next container
      const next = await d.req('POST', '/v1/sandboxes', { name: 'next' });
      const again = await d.req('POST', '/v1/networks/bridge/connect', { sandbox: next.body.id, ipv4Address: '10.190.0.50', ports: [{ containerPort: 80, hostPort: 18090 }] });
      assert.equal(again.status, 201, again.text);
    } finally {
      container.kill('SIGKILL');
      await d.cleanup();
    }
  });
});
