// test-timeout: 600000
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { dockerOnPatchbay, endpointLinks, eventually, httpGet, ipOf as ipIn, type Dockerd } from '../helpers/dockerd.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

/**
 * patchbayd and dockerd restarted while Docker's containers run on patchbay (see
 * docker-plugin.int.test.ts for the setting: everything in this test's own namespaces;
 * start order, dockerd before patchbayd, is docker-plugin-start-order.int.test.ts, --live-restore
 * docker-plugin-live-restore.int.test.ts).
 */

let d: TestDaemon;
let engine: Dockerd;
const docker = (args: string[], allowFail = false) => engine.docker(args, allowFail);
const ipOf = (container: string, network: string) => ipIn(docker, container, network);
const hostVeths = () => endpointLinks().filter((l) => l.startsWith('pbv')).length;
const ping = (from: string, to: string) => docker(['exec', from, 'ping', '-c', '1', '-W', '2', to]);

describe('Docker on patchbay across restarts of dockerd and patchbayd', () => {
  before(async () => {
    ({ d, engine } = await dockerOnPatchbay(() => createTestDaemon(['--bip', '10.198.0.1/24'])));
  });

  after(async () => {
    await engine?.destroy();
    await d?.cleanup();
  });

  it('patchbayd killed -9 and restarted with containers running: traffic goes on, later calls work, nothing doubled', async () => {
    const webIp = ipOf('web', 'pnet');
    await d.stop('SIGKILL');
    ping('c2', webIp);
    await d.start();
    ping('c2', webIp);
    docker(['run', '-d', '--name', 'c3', '--network', 'pnet', 'mini', 'sleep', '100000']);
    ping('c3', webIp);
    await eventually(async () => assert.equal((await httpGet('127.0.0.1', 8080)).trim(), 'served-by-web'));
    assert.equal(hostVeths(), 3);
    docker(['rm', '-f', 'c3']);
    assert.equal(hostVeths(), 2);
    assert.deepEqual((await d.req('GET', '/v1/system/check')).body, { consistent: true, drifts: [] });
  });

  it('dockerd restarted while containers run: a --restart always container comes back on patchbay', async () => {
    docker(['run', '-d', '--name', 'always', '--restart', 'always', '--network', 'pnet', 'mini', 'sleep', '100000']);
    await engine.stop();
    // without live-restore dockerd tore every endpoint down on stop
    assert.equal(hostVeths(), 0);
    await engine.start();
    await eventually(() => assert.equal(docker(['inspect', 'always', '--format', '{{.State.Running}}']).out, 'true'), 30_000);
    docker(['start', 'web', 'c2']);
    await eventually(() => void ping('always', ipOf('web', 'pnet')));
    assert.equal(hostVeths(), 3);
  });

  it('in the end docker rm -f and docker network rm leave no link, allocation or network; patchbay system check is consistent', async () => {
    docker(['rm', '-f', 'web', 'c2', 'always']);
    docker(['network', 'rm', 'pnet']);
    assert.deepEqual(endpointLinks(), []);
    const networks = (await d.req('GET', '/v1/networks')).body as { name: string }[];
    assert.deepEqual(networks.map((n) => n.name).sort(), ['bridge', 'host', 'none']);
    assert.deepEqual((await d.req('GET', '/v1/system/check')).body, { consistent: true, drifts: [] });
  });
});
