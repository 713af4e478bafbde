// test-timeout: 600000
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { dockerOnPatchbay, endpointLinks, eventually, httpGet, ipOf as ipIn, type Dockerd } from '../helpers/dockerd.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

/**
 * dockerd started while patchbayd is down, patchbayd later (see docker-plugin.int.test.ts for the
 * setting: everything in this test's own namespaces).
 */

let d: TestDaemon;
let engine: Dockerd;
const docker = (args: string[], allowFail = false) => engine.docker(args, allowFail);
const ipOf = (container: string, network: string) => ipIn(docker, container, network);
const hostVeths = () => endpointLinks().filter((l) => l.startsWith('pbv')).length;
const ping = (from: string, to: string) => docker(['exec', from, 'ping', '-c', '1', '-W', '2', to]);

describe('Docker on patchbay when dockerd starts before patchbayd', () => {
  before(async () => {
    ({ d, engine } = await dockerOnPatchbay(() => createTestDaemon(['--bip', '10.198.0.1/24'])));
  });

  after(async () => {
    await engine?.destroy();
    await d?.cleanup();
  });

  it('dockerd started while patchbayd is down, patchbayd later: the first use activates the plugin, containers start on patchbay', async () => {
    await engine.stop();
    await d.stop('SIGTERM');
    // dockerd looks the plugin up (about 15 s) for the network it owns, then gives up on it for now
    await engine.start();
    assert.equal(hostVeths(), 0);
    await d.start();
    docker(['start', 'web', 'c2']);
    await eventually(() => void ping('c2', ipOf('web', 'pnet')));
    await eventually(async () => assert.equal((await httpGet('127.0.0.1', 8080)).trim(), 'served-by-web'));
    docker(['run', '-d', '--name', 'c3', '--network', 'pnet', 'mini', 'sleep', '100000']);
    ping('c3', ipOf('web', 'pnet'));
    assert.equal(hostVeths(), 3);
  });

  it('in the end docker rm -f and docker network rm leave no link, allocation or network; patchbay system check is consistent', async () => {
    docker(['rm', '-f', 'web', 'c2', 'c3']);
    docker(['network', 'rm', 'pnet']);
    assert.deepEqual(endpointLinks(), []);
    const networks = (await d.req('GET', '/v1/networks')).body as { name: string }[];
    assert.deepEqual(networks.map((n) => n.name).sort(), ['bridge', 'host', 'none']);
    assert.deepEqual((await d.req('GET', '/v1/system/check')).body, { consistent: true, drifts: [] });
  });
});
