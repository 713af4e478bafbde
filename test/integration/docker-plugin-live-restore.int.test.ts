// test-timeout: 600000
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, sh, type TestDaemon } from '../helpers/daemon.js';
import { dockerOnPatchbay, endpointLinks, ipOf as ipIn, type Dockerd } from '../helpers/dockerd.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

/**
 * dockerd restarted with --live-restore while Docker's containers run on patchbay (see
 * docker-plugin.int.test.ts for the setting: everything in this test's own namespaces).
 */

let d: TestDaemon;
let engine: Dockerd;
const docker = (args: string[], allowFail = false) => engine.docker(args, allowFail);
const ipOf = (container: string, network: string) => ipIn(docker, container, network);
const ping = (from: string, to: string) => docker(['exec', from, 'ping', '-c', '1', '-W', '2', to]);

describe('Docker on patchbay with dockerd --live-restore', () => {
  before(async () => {
    ({ d, engine } = await dockerOnPatchbay(() => createTestDaemon(['--bip', '10.198.0.1/24']), ['--live-restore']));
  });

  after(async () => {
    await engine?.destroy();
    await d?.cleanup();
  });

  it('dockerd with --live-restore stopped and started: containers keep their links and traffic, nothing is re-made', async () => {
    const webIp = ipOf('web', 'pnet');
    const before = endpointLinks().sort();
    assert.equal(before.length, 2);
    await engine.stop();
    // no calls at stop: the links stay, and the containers answer (from this namespace, across the bridge)
    assert.deepEqual(endpointLinks().sort(), before);
    sh(['ping', '-c', '1', '-W', '2', webIp]);
    await engine.start(['--live-restore']);
    ping('c2', webIp);
    assert.deepEqual(endpointLinks().sort(), before);
    assert.deepEqual((await d.req('GET', '/v1/system/check')).body, { consistent: true, drifts: [] });
  });

  it('in the end docker rm -f and docker network rm leave no link, allocation or network; patchbay system check is consistent', async () => {
    docker(['rm', '-f', 'web', 'c2']);
    docker(['network', 'rm', 'pnet']);
    assert.deepEqual(endpointLinks(), []);
    const networks = (await d.req('GET', '/v1/networks')).body as { name: string }[];
    assert.deepEqual(networks.map((n) => n.name).sort(), ['bridge', 'host', 'none']);
    assert.deepEqual((await d.req('GET', '/v1/system/check')).body, { consistent: true, drifts: [] });
  });
});
