import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildDockerPluginApp } from '../src/docker-plugin/index.js';
import { buildTestApp } from './helpers/app.js';
import { buildPluginTestApp, dockerId, type PluginTestApp } from './helpers/plugin-app.js';

interface Operation {
  requestBody?: { content: Record<string, { schema: { required?: string[] } }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

let t: PluginTestApp;
let doc: { paths: Record<string, Record<string, Operation>> };
const NET = dockerId('openapi-net');
const EP = dockerId('openapi-ep');
const POOL = 'LocalDefault/10.193.0.0/24';

before(async () => {
  t = await buildPluginTestApp();
  const r = await t.app.inject({ method: 'GET', url: '/v1/openapi.json' });
  assert.equal(r.statusCode, 200);
  doc = r.json();
});
after(() => t.close());

/** Every route of the plugin app as fastify prints it (`/NetworkDriver.Join (POST)`), as `POST /path`. */
function registeredRoutes(): string[] {
  const printed = t.plugin.printRoutes({ commonPrefix: false });
  return [...printed.matchAll(/(\/\S+) \(([A-Z, ]+)\)$/gm)].flatMap(([, path, methods]) => methods!.split(', ').filter((m) => m !== 'HEAD').map((m) => `${m} ${path}`));
}

describe('the Docker plugin API in GET /v1/openapi.json', () => {
  test('documents every route the plugin app registered, from its route schemas, next to the native and CNI routes', () => {
    const registered = registeredRoutes();
    assert.equal(registered.length, 19, registered.join('\n'));
    const documented = Object.entries(doc.paths)
      .filter(([path]) => !path.startsWith('/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepStrictEqual(documented.sort(), registered.sort());
    assert.ok(doc.paths['/v1/networks'], 'the native routes are still there');
    const create = doc.paths['/NetworkDriver.CreateEndpoint']!.post!;
    assert.deepStrictEqual(create.requestBody!.content['application/json']!.schema.required?.sort(), ['EndpointID', 'NetworkID']);
    assert.deepStrictEqual(Object.keys(create.responses).sort(), ['200', '4XX', '5XX']);
  });

  test('its answers (results and the drivers\' errors) validate against the document', async () => {
    const answers: { method: string; status: number; body: unknown }[] = [];
    const call = async (method: string, body?: unknown) => {
      const a = await t.call(method, body);
      answers.push({ method, ...a });
      return a;
    };
    await call('Plugin.Activate');
    await call('NetworkDriver.GetCapabilities');
    await call('IpamDriver.GetCapabilities');
    await call('IpamDriver.GetDefaultAddressSpaces');
    await call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.193.0.0/24', SubPool: '', Options: {}, V6: false });
    await call('IpamDriver.RequestAddress', { PoolID: POOL, Address: '', Options: { RequestAddressType: 'com.docker.network.gateway' } });
    await call('NetworkDriver.CreateNetwork', {
      NetworkID: NET,
      Options: { 'com.docker.network.enable_ipv6': false, 'com.docker.network.generic': {} },
      IPv4Data: [{ AddressSpace: 'LocalDefault', Gateway: '10.193.0.1/24', Pool: '10.193.0.0/24' }],
      IPv6Data: [],
    });
    const got = await call('IpamDriver.RequestAddress', { PoolID: POOL, Address: '', Options: null });
    await call('IpamDriver.RequestAddress', { PoolID: POOL, Address: '10.193.0.2', Options: null }); // taken: an IPAM error
    await call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: EP, Interface: { Address: got.body.Address, AddressIPv6: '', MacAddress: '' }, Options: {} });
    await call('NetworkDriver.EndpointOperInfo', { NetworkID: NET, EndpointID: EP });
    await call('NetworkDriver.Join', { NetworkID: NET, EndpointID: EP, SandboxKey: '/var/run/docker/netns/0123456789ab', Options: {} });
    await call('NetworkDriver.ProgramExternalConnectivity', { NetworkID: NET, EndpointID: EP, Options: {} });
    await call('NetworkDriver.RevokeExternalConnectivity', { NetworkID: NET, EndpointID: EP });
    await call('NetworkDriver.DiscoverNew', { DiscoveryType: 1, DiscoveryData: {} });
    await call('NetworkDriver.DiscoverDelete', { DiscoveryType: 1, DiscoveryData: {} });
    await call('NetworkDriver.Join', { NetworkID: NET, EndpointID: dockerId('nobody'), SandboxKey: '/var/run/docker/netns/x', Options: {} }); // unknown endpoint
    await call('NetworkDriver.CreateEndpoint', '{"NetworkID":'); // malformed
    await call('NetworkDriver.Leave', { NetworkID: NET, EndpointID: EP });
    await call('NetworkDriver.DeleteEndpoint', { NetworkID: NET, EndpointID: EP });
    await call('IpamDriver.ReleaseAddress', { PoolID: POOL, Address: '10.193.0.2' });
    await call('IpamDriver.ReleaseAddress', { PoolID: POOL, Address: '10.193.0.1' });
    await call('NetworkDriver.DeleteNetwork', { NetworkID: NET });
    await call('IpamDriver.ReleasePool', { PoolID: POOL });
    await call('IpamDriver.ReleasePool', {}); // malformed: an IPAM error

    const succeeded = new Set(answers.filter((a) => a.status === 200 && !(a.body as { Err?: string; Error?: string }).Err && !(a.body as { Error?: string }).Error).map((a) => `POST /${a.method}`));
    assert.deepStrictEqual(registeredRoutes().filter((r) => !succeeded.has(r)), [], 'every route answered once with a success');
    assert.ok(answers.some((a) => a.status >= 400), 'a network driver error is among the answers');
    assert.ok(answers.some((a) => a.status === 200 && typeof (a.body as { Error?: unknown }).Error === 'string'), 'an IPAM driver error is among the answers');

    const ajv = new Ajv2020({ strict: true, allErrors: true });
    for (const a of answers) {
      const what = `${a.method} → ${a.status}`;
      const responses = doc.paths[`/${a.method}`]?.post?.responses;
      assert.ok(responses, `${what}: route not in the document`);
      const response = responses[String(a.status)] ?? responses[`${String(a.status)[0]}XX`];
      assert.ok(response?.content, `${what}: status not in the document`);
      const validate = ajv.compile(response.content['application/json']!.schema);
      assert.ok(validate(a.body), `${what}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(a.body)}`);
    }
  });
});

test('while the plugin app is still starting, the document is served without its paths, and has them once it is ready', async (t) => {
  let plugin: FastifyInstance | undefined;
  const app = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], frontDoors: (controller) => [(plugin = buildDockerPluginApp({ controller, log: pino({ level: 'silent' }) }))] });
  t.after(async () => {
    await plugin?.close();
    await app.close();
  });
  const pluginPaths = async () => {
    const r = await app.app.inject({ method: 'GET', url: '/v1/openapi.json' });
    assert.equal(r.statusCode, 200);
    return Object.keys((r.json() as typeof doc).paths).filter((p) => !p.startsWith('/v1/'));
  };
  assert.deepStrictEqual(await pluginPaths(), []);
  await plugin!.ready();
  assert.equal((await pluginPaths()).length, 19);
});
