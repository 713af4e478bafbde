import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { registerDockerRoutes } from '../src/docker/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';

interface Recorded {
  method: string;
  route: string;
  status: number;
  contentType: string;
  payload: string;
}
interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

const routes: { method: string; url: string }[] = [];
const recorded: Recorded[] = [];
let t: TestApp;
let doc: Document;

/** Every route as fastify registers it, and every answer with the route that gave it. */
function recorder(app: FastifyInstance) {
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.routeOptions.url !== undefined) {
      const contentType = String(reply.getHeader('content-type') ?? '').split(';')[0]!;
      // a list answer kept as JSON goes out as a Buffer: its text is what the client gets
      const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
      recorded.push({ method: req.method, route: req.routeOptions.url, status: reply.statusCode, contentType, payload: text });
    }
    return payload;
  });
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
const isNative = (r: { method: string; url: string }) => r.url.startsWith('/v1/') && r.method !== 'HEAD';
const key = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
const documented = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => key(m, path)));

before(async () => {
  t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], plugins: [registerDockerRoutes, recorder] });
  const r = await t.app.inject({ method: 'GET', url: '/v1/openapi.json' });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  doc = r.json();
});
after(() => t.close());

describe('GET /v1/openapi.json', () => {
  test('is an OpenAPI 3 document of exactly the native routes fastify registered', () => {
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    const registered = routes.filter(isNative).map((r) => key(r.method, openApiPath(r.url)));
    assert.ok(registered.length >= 24, `only ${registered.length} native routes registered`);
    assert.deepStrictEqual([...new Set(registered)].sort(), documented().sort());
    // the Docker routes are registered in the same app, but are not the native API
    assert.ok(routes.some((r) => r.url === '/networks/create'));
  });

  test('documents parameters, request bodies and responses from the route schemas', () => {
    const create = doc.paths['/v1/networks']!.post! as Operation & { requestBody: { content: Record<string, { schema: { required: string[] } }> } };
    assert.deepStrictEqual(create.requestBody.content['application/json']!.schema.required, ['name']);
    assert.deepStrictEqual(Object.keys(create.responses).sort(), ['201', '4XX', '5XX']);
    const inspect = doc.paths['/v1/networks/{net}/endpoints/{ep}']!.get! as Operation & { parameters: { in: string; name: string }[] };
    assert.deepStrictEqual(inspect.parameters.map((p) => `${p.in}:${p.name}`), ['path:net', 'path:ep']);
    const reconcile = doc.paths['/v1/system/reconcile']!.post! as Operation & { parameters: { in: string; name: string }[] };
    assert.deepStrictEqual(reconcile.parameters.map((p) => `${p.in}:${p.name}`), ['query:dryRun']);
  });
});

describe('recorded API responses validate against the document', () => {
  before(async () => {
    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, body?: object) => t.app.inject({ method, url, ...(body ? { payload: body } : {}) });
    await call('GET', '/v1/health');
    await call('GET', '/v1/networks');
    await call('POST', '/v1/networks', { name: 'n1', ipam: { config: [{ subnet: '10.5.0.0/24', auxAddresses: { a: '10.5.0.9' } }] }, labels: { a: 'b' } });
    await call('POST', '/v1/networks', { name: 'n6', enableIPv6: true, ipam: { config: [{ subnet: '10.6.0.0/24' }, { subnet: 'fd00:1::/64' }] } });
    await call('POST', '/v1/networks', { name: 'bad name' });
    await call('POST', '/v1/networks', { name: 'n1' });
    await call('GET', '/v1/networks/n1');
    await call('GET', '/v1/networks/nope');
    await call('GET', '/v1/networks/n6/ipam');
    await call('POST', '/v1/sandboxes', { name: 's1', containerId: 'c1' });
    await call('POST', '/v1/sandboxes', { name: 's2' });
    await call('GET', '/v1/sandboxes');
    await call('POST', '/v1/networks/n1/endpoints', { name: 'e1', ports: [{ containerPort: 80 }] });
    await call('GET', '/v1/networks/n1/endpoints');
    await call('GET', '/v1/networks/n1/endpoints/e1');
    await call('POST', '/v1/networks/n1/endpoints/e1/join', { sandbox: 's1' });
    await call('GET', '/v1/sandboxes/s1');
    await call('DELETE', '/v1/networks/n1/endpoints/e1');
    await call('POST', '/v1/networks/n1/endpoints/e1/leave');
    await call('DELETE', '/v1/networks/n1/endpoints/e1');
    await call('POST', '/v1/networks/n6/connect', { sandbox: 's2', ipv4Address: '10.6.0.7' });
    await call('GET', '/v1/endpoints');
    await call('DELETE', '/v1/networks/n6');
    await call('POST', '/v1/networks/n6/disconnect', { sandbox: 's2' });
    await call('GET', '/v1/firewall/plan');
    await call('GET', '/v1/firewall/rules');
    await call('GET', '/v1/system/check');
    await call('POST', '/v1/system/reconcile?dryRun=true');
    await call('POST', '/v1/system/reconcile?dryRun=maybe');
    await call('DELETE', '/v1/sandboxes/s2');
    await call('DELETE', '/v1/networks/n6');
    await call('GET', '/v1/openapi.json');
  });

  test('every answer matches the schema the document gives for its route and status', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    const native = recorded.filter((r) => r.route.startsWith('/v1/'));
    assert.ok(native.length >= 30, `only ${native.length} answers recorded`);
    for (const r of native) {
      const what = `${r.method} ${r.route} → ${r.status}`;
      const op = doc.paths[openApiPath(r.route)]?.[r.method.toLowerCase()];
      assert.ok(op, `${what}: route not in the document`);
      const response = op.responses[String(r.status)] ?? op.responses[`${String(r.status)[0]}XX`];
      assert.ok(response, `${what}: status not in the document`);
      if (response.content === undefined) {
        assert.equal(r.payload, '', `${what}: the document says no body`);
        continue;
      }
      const media = response.content[r.contentType];
      assert.ok(media, `${what}: ${r.contentType} not in the document (${Object.keys(response.content).join(', ')})`);
      const body: unknown = r.contentType === 'application/json' ? JSON.parse(r.payload) : r.payload;
      const validate = ajv.compile(media.schema);
      assert.ok(validate(body), `${what}: ${ajv.errorsText(validate.errors)}\n${r.payload.slice(0, 500)}`);
    }
  });

  test('the answers cover every documented route with a success, and the error statuses', () => {
    const native = recorded.filter((r) => r.route.startsWith('/v1/'));
    const succeeded = new Set(native.filter((r) => r.status < 300).map((r) => key(r.method, openApiPath(r.route))));
    assert.deepStrictEqual(documented().filter((op) => !succeeded.has(op)), []);
    assert.deepStrictEqual([...new Set(native.filter((r) => r.status >= 400).map((r) => r.status))].sort(), [400, 403, 404, 409]);
  });
});
