import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DockerNetwork } from '@patchbay/api';
import { registerDockerRoutes } from '../src/docker/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { assertDockerError, assertFixture, call, normalize } from './helpers/docker-fixtures.js';

let t: TestApp;
/** id → `<net:NAME>` for normalizing bodies */
const ids: Record<string, string> = {};

async function create(body: Record<string, unknown>, url = '/v1.44/networks/create'): Promise<string> {
  const r = await call(t.app, 'POST', url, body);
  assert.equal(r.status, 201, r.text);
  assert.deepStrictEqual(Object.keys(r.body), ['Id', 'Warning']);
  assert.match(r.body.Id, /^[0-9a-f]{64}$/);
  assert.equal(r.body.Warning, '');
  ids[r.body.Id] = `<net:${body.Name as string}>`;
  return r.body.Id as string;
}

const FULL = {
  Name: 'full',
  CheckDuplicate: false,
  Driver: 'bridge',
  Scope: 'local',
  EnableIPv6: true,
  IPAM: {
    Driver: 'default',
    Config: [
      { Subnet: '10.50.0.0/16', IPRange: '10.50.1.0/24', Gateway: '10.50.0.254', AuxiliaryAddresses: { router: '10.50.0.9' } },
      { Subnet: 'fd00:50::/64', Gateway: 'fd00:50::1' },
    ],
    Options: {},
  },
  Internal: true,
  Attachable: true,
  Ingress: false,
  ConfigOnly: false,
  ConfigFrom: { Network: '' },
  Options: { 'com.docker.network.bridge.name': 'br-full', 'com.docker.network.driver.mtu': '1400' },
  Labels: { team: 'net', 'env': 'test' },
};

before(async () => {
  t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], plugins: [registerDockerRoutes] });
  for (const n of t.controller.networks.list()) ids[n.id] = `<net:${n.name}>`;
  await create(FULL);
  // what the Go client sends for a plain `docker network create plain`: nil maps and pointers as null
  await create({ Name: 'plain', Driver: 'bridge', Scope: '', EnableIPv4: null, EnableIPv6: null, IPAM: { Driver: 'default', Config: [], Options: {} }, Internal: false, Attachable: false, Ingress: false, ConfigOnly: false, ConfigFrom: null, Options: {}, Labels: {} });
  await create({ Name: 'labelled', Labels: { env: 'prod', tier: 'web' }, IPAM: { Config: [{ Subnet: '10.60.0.0/24' }] } }, '/networks/create');
});
after(() => t.close());

const names = (body: { Name: string }[]) => body.map((n) => n.Name).sort();

describe('GET /networks', () => {
  test('lists every network with Containers left empty (API >= 1.28)', async () => {
    const r = await call(t.app, 'GET', '/v1.44/networks');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    for (const n of r.body) DockerNetwork.strict().parse(n);
    assertFixture('network-list', normalize(r.body, ids));
  });

  test('/networks/ with a trailing slash lists too', async () => {
    const r = await call(t.app, 'GET', '/networks/');
    assert.equal(r.status, 200);
    assert.deepStrictEqual(names(r.body), ['bridge', 'full', 'host', 'labelled', 'none', 'plain']);
  });

  test('an empty result is [] (never null)', async () => {
    const r = await call(t.app, 'GET', `/networks?filters=${encodeURIComponent('{"name":{"nothing-like-this":true}}')}`);
    assert.equal(r.status, 200);
    assert.equal(r.text, '[]');
  });

  const cases: [string, Record<string, string[]>, string[]][] = [
    ['driver', { driver: ['bridge'] }, ['bridge', 'full', 'labelled', 'plain']],
    ['driver null', { driver: ['null'] }, ['none']],
    ['name is an unanchored regexp', { name: ['ll'] }, ['full', 'labelled']],
    ['name anchored by the caller', { name: ['^pl'] }, ['plain']],
    ['two names are alternatives', { name: ['host', 'none'] }, ['host', 'none']],
    ['label key', { label: ['env'] }, ['full', 'labelled']],
    ['label key=value', { label: ['env=prod'] }, ['labelled']],
    ['two labels must both match', { label: ['env', 'team=net'] }, ['full']],
    ['scope local', { scope: ['local'] }, ['bridge', 'full', 'host', 'labelled', 'none', 'plain']],
    ['scope swarm', { scope: ['swarm'] }, []],
    ['type builtin', { type: ['builtin'] }, ['bridge', 'host', 'none']],
    ['type custom', { type: ['custom'] }, ['full', 'labelled', 'plain']],
    ['dangling true', { dangling: ['true'] }, ['full', 'labelled', 'plain']],
    ['dangling 1', { dangling: ['1'] }, ['full', 'labelled', 'plain']],
    ['dangling false', { dangling: ['false'] }, ['bridge', 'host', 'none']],
    ['dangling 0 with driver', { dangling: ['0'], driver: ['bridge'] }, ['bridge']],
  ];
  for (const [what, filter, expected] of cases) {
    test(`filter ${what}, in both encodings`, async () => {
      const setForm = Object.fromEntries(Object.entries(filter).map(([k, vs]) => [k, Object.fromEntries(vs.map((v) => [v, true]))]));
      for (const encoded of [JSON.stringify(setForm), JSON.stringify(filter)]) {
        const r = await call(t.app, 'GET', `/v1.44/networks?filters=${encodeURIComponent(encoded)}`);
        assert.equal(r.status, 200, r.text);
        assert.deepStrictEqual(names(r.body), expected, encoded);
      }
    });
  }

  test('filter id matches a prefix or any part of the id', async () => {
    const full = t.controller.networks.get('full').id;
    for (const part of [full.slice(0, 12), full.slice(20, 40), full]) {
      const r = await call(t.app, 'GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ id: { [part]: true } }))}`);
      assert.ok(names(r.body).includes('full'), part);
      for (const n of r.body) assert.ok(n.Id.includes(part));
    }
  });

  const invalid: [string, unknown, string][] = [
    ['dangling with another value', { dangling: ['maybe'] }, `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`],
    ['dangling twice', { dangling: { true: true, false: true } }, 'got more than one value for filter key "dangling"'],
    ['unknown type', { type: ['special'] }, "invalid filter: 'type'='special'"],
    ['unknown key', { colour: ['red'] }, "invalid filter 'colour'"],
    ['values of the wrong type', { name: 'x' }, 'invalid filter'],
    ['not an object', ['name'], 'invalid filter'],
  ];
  for (const [what, filter, message] of invalid) {
    test(`filter error: ${what}`, async () => {
      assertDockerError(await call(t.app, 'GET', `/networks?filters=${encodeURIComponent(JSON.stringify(filter))}`), 400, message);
    });
  }

  test('filters that are not JSON are an invalid filter', async () => {
    assertDockerError(await call(t.app, 'GET', '/networks?filters=name%3Dx'), 400, 'invalid filter');
  });
});

describe('GET /networks/{id}', () => {
  test('a user network with every create field, exactly as Docker shapes it', async () => {
    const r = await call(t.app, 'GET', '/v1.44/networks/full');
    assert.equal(r.status, 200);
    DockerNetwork.strict().parse(r.body);
    assert.match(r.body.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assertFixture('network-inspect-full', normalize(r.body, ids));
  });

  test('the predefined networks; the default bridge reports its stored options', async () => {
    for (const name of ['bridge', 'host', 'none']) {
      const r = await call(t.app, 'GET', `/networks/${name}`);
      assert.equal(r.status, 200);
      assertFixture(`network-inspect-${name}`, normalize(r.body, ids));
    }
  });

  test('a network created with no IPAM config reports the subnet and gateway it was given', async () => {
    const r = await call(t.app, 'GET', '/networks/plain');
    assert.equal(r.body.IPAM.Config.length, 1);
    assert.match(r.body.IPAM.Config[0].Subnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.match(r.body.IPAM.Config[0].Gateway, /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepStrictEqual(Object.keys(r.body.IPAM.Config[0]).sort(), ['Gateway', 'Subnet']);
  });

  test('found by exact id, by name and by id prefix', async () => {
    const id = t.controller.networks.get('labelled').id;
    for (const ref of [id, 'labelled', id.slice(0, 12), id.slice(0, 5)]) {
      const r = await call(t.app, 'GET', `/v1.44/networks/${ref}`);
      assert.equal(r.status, 200, ref);
      assert.equal(r.body.Id, id);
    }
  });

  /** Creates networks until `done(ids)` finds what it wants; returns the ids made (delete them after). */
  async function createUntil(tag: string, done: (ids: string[]) => string | undefined): Promise<{ made: string[]; prefix: string }> {
    const made: string[] = [];
    for (let i = 0; i < 64; i++) {
      made.push(await create({ Name: `${tag}${i}` }));
      const prefix = done(t.controller.networks.list().map((n) => n.id));
      if (prefix) return { made, prefix };
    }
    throw new Error('no such prefix after 64 networks');
  }
  const matching = (all: string[], prefix: string) => all.filter((id) => id.startsWith(prefix)).length;

  test('an ambiguous id prefix is a 400', async () => {
    // a prefix shared by exactly two ids: the longest common prefix of some pair
    const { made, prefix } = await createUntil('amb', (all) => {
      for (const a of all) {
        for (const b of all) {
          if (a === b) continue;
          let n = 0;
          while (a[n] === b[n]) n++;
          if (n > 0 && matching(all, a.slice(0, n)) === 2) return a.slice(0, n);
        }
      }
      return undefined;
    });
    assertDockerError(await call(t.app, 'GET', `/networks/${prefix}`), 400, `network ${prefix} is ambiguous (2 matches found based on ID prefix)`);
    assertDockerError(await call(t.app, 'DELETE', `/networks/${prefix}`), 400, `network ${prefix} is ambiguous (2 matches found based on ID prefix)`);
    for (const id of made) assert.equal((await call(t.app, 'DELETE', `/networks/${id}`)).status, 204);
  });

  test('the ambiguity message counts every match', async () => {
    const { made, prefix } = await createUntil('many', (all) => [...'0123456789abcdef'].find((c) => matching(all, c) >= 3));
    const count = matching(t.controller.networks.list().map((n) => n.id), prefix);
    try {
      assertDockerError(await call(t.app, 'GET', `/networks/${prefix}`), 400, `network ${prefix} is ambiguous (${count} matches found based on ID prefix)`);
    } finally {
      for (const id of made) await call(t.app, 'DELETE', `/networks/${id}`);
    }
  });

  test('an unknown network is a 404', async () => {
    assertDockerError(await call(t.app, 'GET', '/v1.44/networks/nope'), 404, 'network nope not found');
  });

  test('verbose is accepted as a Go bool; anything else is a 400', async () => {
    for (const v of ['true', 'false', '1', '0', 'T', 'False']) assert.equal((await call(t.app, 'GET', `/networks/full?verbose=${v}`)).status, 200, v);
    assertDockerError(await call(t.app, 'GET', '/networks/full?verbose=maybe'), 400, 'invalid value for verbose: maybe: strconv.ParseBool: parsing "maybe": invalid syntax');
  });

  test('scope local finds the network; another scope does not', async () => {
    assert.equal((await call(t.app, 'GET', '/networks/full?scope=local')).status, 200);
    assertDockerError(await call(t.app, 'GET', '/networks/full?scope=swarm'), 404, 'network full not found');
  });
});
