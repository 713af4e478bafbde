import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type TestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();
const root = new URL('../..', import.meta.url).pathname;

describe('patchbay CLI against a real daemon', () => {
  let d: TestDaemon;
  const cli = (...args: string[]) =>
    sh([process.execPath, '--import', 'tsx', '--conditions=development', `${root}packages/cli/src/main.ts`, '-H', `unix://${d.socket}`, ...args], { allowFail: true });
  before(async () => {
    d = createTestDaemon(['--bip', '10.130.0.1/24']);
    await d.start();
  });
  after(() => d.cleanup());

  it('network create / ls / inspect', () => {
    const c = cli('network', 'create', '--subnet', '10.131.0.0/24', '--gateway', '10.131.0.254', '--label', 'env=test', 'clinet');
    assert.equal(c.code, 0, c.err);
    assert.match(c.out.trim(), /^[0-9a-f]{64}$/);
    const ls = cli('network', 'ls');
    assert.equal(ls.code, 0, ls.err);
    assert.match(ls.out, /NETWORK ID\s+NAME\s+DRIVER\s+SCOPE/);
    assert.match(ls.out, /clinet\s+bridge\s+local/);
    const insp = JSON.parse(cli('network', 'inspect', 'clinet').out);
    assert.equal(insp[0].ipam.config[0].gateway, '10.131.0.254');
    assert.deepEqual(insp[0].labels, { env: 'test' });
  });

  it('sandbox create, connect with --ip, the namespace has the address', () => {
    assert.equal(cli('sandbox', 'create', '--name', 'web').code, 0);
    const c = cli('network', 'connect', 'clinet', 'web', '--ip', '10.131.0.10');
    assert.equal(c.code, 0, c.err);
    const sb = JSON.parse(cli('sandbox', 'inspect', 'web').out)[0];
    const addrs = inNs(sb.key, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']).out;
    assert.match(addrs, /10\.131\.0\.10\/24/);
    const ipam = cli('ipam', 'show', 'clinet');
    assert.equal(ipam.code, 0, ipam.err);
    assert.match(ipam.out, /10\.131\.0\.10/);
  });

  it('errors are one line and exit non-zero; nothing changes', () => {
    const dup = cli('network', 'create', 'clinet');
    assert.equal(dup.code, 1);
    assert.equal(dup.err.trim(), 'Error: network with name clinet already exists');
    const busy = cli('network', 'rm', 'clinet');
    assert.equal(busy.code, 1);
    assert.match(busy.err, /has active endpoints/);
  });

  it('disconnect and rm clean up', () => {
    assert.equal(cli('network', 'disconnect', 'clinet', 'web').code, 0);
    assert.equal(cli('network', 'rm', 'clinet').code, 0);
    assert.equal(cli('sandbox', 'rm', 'web').code, 0);
    assert.doesNotMatch(cli('network', 'ls').out, /clinet/);
  });
});
