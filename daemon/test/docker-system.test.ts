import assert from 'node:assert/strict';
import { release } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { DockerVersion } from '@patchbay/api';
import { registerDockerRoutes } from '../src/docker/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { assertDockerError, assertFixture, call } from './helpers/docker-fixtures.js';

let t: TestApp;
before(async () => {
  t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], plugins: [registerDockerRoutes] });
});
after(() => t.close());

function assertDockerHeaders(headers: Record<string, unknown>) {
  assert.equal(headers['api-version'], '1.44');
  assert.equal(headers.ostype, 'linux');
  assert.equal(headers.server, 'Docker/0.1.0 (linux)');
}

describe('docker /_ping', () => {
  test('HEAD answers 200 with no body and the negotiation headers', async () => {
    const r = await call(t.app, 'HEAD', '/_ping');
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assertDockerHeaders(r.headers);
    assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    assert.equal(r.headers.pragma, 'no-cache');
    assert.equal(r.headers['content-length'], '0');
  });

  test('GET answers OK, unversioned and versioned', async () => {
    for (const url of ['/_ping', '/v1.44/_ping', '/v1.24/_ping']) {
      const r = await call(t.app, 'GET', url);
      assert.equal(r.status, 200, url);
      assert.equal(r.text, 'OK');
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
      assert.equal(r.headers['cache-control'], 'no-cache, no-store, must-revalidate');
      assertDockerHeaders(r.headers);
    }
  });
});

describe('docker /version', () => {
  test('has the documented fields', async () => {
    const r = await call(t.app, 'GET', '/version');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assertDockerHeaders(r.headers);
    DockerVersion.strict().parse(r.body);
    assert.equal(r.body.KernelVersion, release());
    assert.ok(!Number.isNaN(Date.parse(r.body.BuildTime)));
    // machine-dependent values aside, the body is fixed
    const machine = { KernelVersion: '<uname -r>', BuildTime: '<start>', GoVersion: '<node>', Arch: '<arch>' };
    const body = { ...r.body, ...machine, Components: r.body.Components.map((c: { Details: object }) => ({ ...c, Details: { ...c.Details, ...machine } })) };
    assertFixture('version', body);
  });

  test('is served under every version prefix from 1.24 to 1.44', async () => {
    for (let minor = 24; minor <= 44; minor++) {
      const r = await call(t.app, 'GET', `/v1.${minor}/version`);
      assert.equal(r.status, 200, `v1.${minor}`);
      assert.equal(r.body.ApiVersion, '1.44');
    }
  });
});

describe('docker version negotiation', () => {
  test('a version newer than 1.44 is refused with Docker message', async () => {
    for (const v of ['1.45', '1.50', '2.0']) {
      const r = await call(t.app, 'GET', `/v${v}/networks`);
      assertDockerError(r, 400, `client version ${v} is too new. Maximum supported API version is 1.44`);
      assertDockerHeaders(r.headers);
    }
  });

  test('a version older than 1.24 is refused', async () => {
    for (const v of ['1.23', '1.12', '1.4']) {
      const r = await call(t.app, 'POST', `/v${v}/networks/create`, { Name: 'x' });
      assertDockerError(r, 400, `client version ${v} is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version`);
    }
    assert.equal(t.controller.networks.list().some((n) => n.name === 'x'), false);
  });

  test('a version prefix that is not a number is an unknown page', async () => {
    assertDockerError(await call(t.app, 'GET', '/vlatest/networks'), 404, 'page not found');
  });
});

describe('docker unknown routes and error shape', () => {
  test('unknown routes answer 404 page not found with Content-Type exactly application/json', async () => {
    for (const [method, url] of [
      ['GET', '/nope'],
      ['GET', '/containers/json'],
      ['POST', '/v1.44/containers/create'],
      ['GET', '/v1.44/volumes'],
      ['PUT', '/networks'],
    ] as const) {
      assertDockerError(await call(t.app, method, url), 404, 'page not found');
    }
  });

  test('the native API keeps its own 404 shape', async () => {
    const r = await call(t.app, 'GET', '/v1/nope');
    assert.equal(r.status, 404);
    assert.deepStrictEqual(r.body, { message: 'no route for GET /v1/nope', code: 'PB_ERR_NOT_FOUND' });
  });

  test('every docker route answers with the negotiation headers, errors included', async () => {
    for (const [method, url] of [
      ['GET', '/networks'],
      ['GET', '/v1.44/networks/bridge'],
      ['GET', '/v1.44/networks/nope'],
      ['POST', '/networks/create'],
      ['POST', '/v1.44/networks/prune'],
      ['DELETE', '/networks/nope'],
      ['POST', '/networks/nope/connect'],
      ['POST', '/networks/nope/disconnect'],
      ['GET', `/events?since=0&until=1`],
    ] as const) {
      const r = await call(t.app, method, url, method === 'POST' ? {} : undefined);
      assertDockerHeaders(r.headers);
      if (r.status >= 400) assert.equal(r.headers['content-type'], 'application/json', `${method} ${url}`);
    }
  });

  test('a body that is not JSON is a 400 with a message', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/v1.44/networks/create', payload: '{nope', headers: { 'content-type': 'application/json' } });
    assert.equal(r.statusCode, 400);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepStrictEqual(JSON.parse(r.body), { message: 'request body is not valid JSON' });
  });
});
