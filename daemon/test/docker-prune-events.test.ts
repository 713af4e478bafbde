import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DockerEvent } from '@patchbay/api';
import { registerDockerRoutes } from '../src/docker/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { assertDockerError, assertFixture, call, normalize } from './helpers/docker-fixtures.js';

let t: TestApp;
const ids: Record<string, string> = {};

const mk = async (Name: string, Labels: Record<string, string> = {}) => {
  const r = await call(t.app, 'POST', '/v1.44/networks/create', { Name, Labels });
  assert.equal(r.status, 201, r.text);
  ids[r.body.Id] = `<net:${Name}>`;
  return r.body.Id as string;
};
const prune = (filters?: object) => call(t.app, 'POST', `/v1.44/networks/prune${filters ? `?filters=${encodeURIComponent(JSON.stringify(filters))}` : ''}`);
const customNames = () => t.controller.networks.list().filter((n) => !n.predefined).map((n) => n.name).sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unixNow = () => (Date.now() / 1000).toFixed(9);

before(async () => {
  t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], plugins: [registerDockerRoutes] });
});
after(() => t.close());

describe('POST /networks/prune', () => {
  before(async () => {
    await mk('old', { env: 'dev' });
    await sleep(20);
    await mk('prod', { env: 'prod', keep: 'yes' });
    await mk('dev', { env: 'dev' });
    await mk('bare');
    await mk('used');
    const sb = await t.controller.sandboxes.create({ name: 'user' });
    ids[sb.id] = '<sb:user>';
    assert.equal((await call(t.app, 'POST', '/networks/used/connect', { Container: 'user' })).status, 200);
  });

  test('invalid filters are a 400 and prune nothing', async () => {
    assertDockerError(await prune({ name: ['x'] }), 400, "invalid filter 'name'");
    assertDockerError(await prune({ until: ['soon'] }), 400, 'failed to parse value as time or duration: "soon"');
    assertDockerError(await prune({ until: ['1h', '2h'] }), 400, 'more than one until filter specified');
    assert.deepStrictEqual(customNames(), ['bare', 'dev', 'old', 'prod', 'used']);
  });

  test('label= and label!= select by labels', async () => {
    let r = await prune({ label: ['env=dev'], 'label!': ['keep'] });
    assert.equal(r.status, 200);
    assert.deepStrictEqual(r.body, { NetworksDeleted: ['old', 'dev'] });
    r = await prune({ 'label!': ['env'] });
    assert.deepStrictEqual(r.body, { NetworksDeleted: ['bare'] });
    assert.deepStrictEqual(customNames(), ['prod', 'used']);
  });

  test('until keeps what was created later (Unix time and Go durations)', async () => {
    const cut = unixNow();
    await sleep(20);
    await mk('late');
    assert.deepStrictEqual((await prune({ until: ['1h'] })).body, { NetworksDeleted: [] });
    const r = await prune({ until: { [cut]: true } });
    assert.deepStrictEqual(r.body, { NetworksDeleted: ['prod'] });
    assert.deepStrictEqual(customNames(), ['late', 'used']);
  });

  test('without filters every unused custom network goes; predefined and used ones stay', async () => {
    const r = await call(t.app, 'POST', '/networks/prune');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assertFixture('prune-report', r.body);
    assert.deepStrictEqual(customNames(), ['used']);
    assert.deepStrictEqual(t.controller.networks.list().filter((n) => n.predefined).map((n) => n.name).sort(), ['bridge', 'host', 'none']);
    assert.deepStrictEqual((await prune()).body, { NetworksDeleted: [] });
  });
});

/** Reads /events; each line is one JSON event. */
async function events(query: string) {
  const r = await t.app.inject({ method: 'GET', url: `/v1.44/events?${query}` });
  const lines = r.body.split('\n').filter((l) => l !== '');
  return { status: r.statusCode, headers: r.headers, body: r.body, events: lines.map((l) => DockerEvent.strict().parse(JSON.parse(l))) };
}
const q = (o: Record<string, string | object>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join('&');
/** Events without their times, ids named. */
const shown = (evs: DockerEvent[]) => normalize(evs.map(({ time: _t, timeNano: _n, ...rest }) => rest), ids);

describe('GET /events', () => {
  let start: string;
  let end: string;
  before(async () => {
    // the last prune above may be stamped within the same millisecond as a start taken at once
    // (unixNow has millisecond precision, event times nanosecond): leave a gap before it
    await sleep(5);
    start = unixNow();
    await sleep(5);
    await mk('ev1');
    const sb = await t.controller.sandboxes.create({ name: 'evbox', containerId: 'evctr' });
    ids[sb.id] = '<sb:evbox>';
    assert.equal((await call(t.app, 'POST', '/networks/ev1/connect', { Container: 'evbox' })).status, 200);
    assert.equal((await call(t.app, 'POST', '/networks/ev1/disconnect', { Container: 'evbox' })).status, 200);
    assert.equal((await call(t.app, 'DELETE', '/networks/ev1')).status, 204);
    await sleep(5);
    end = unixNow();
  });

  test('since and until in the past replay the network events between them, then the stream ends', async () => {
    const r = await events(q({ since: start, until: end }));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['api-version'], '1.44');
    for (const ev of r.events) {
      assert.equal(ev.time, Math.floor(ev.timeNano / 1e9));
      assert.ok(ev.timeNano >= Number(start) * 1e9 - 1e6 && ev.timeNano <= Number(end) * 1e9 + 1e6);
    }
    assertFixture('events-network-lifecycle', shown(r.events));
  });

  test('filters: type, event, network and container', async () => {
    const pick = async (filters: object) => (await events(q({ since: start, until: end, filters }))).events.map((e) => e.Action);
    assert.deepStrictEqual(await pick({ type: { network: true } }), ['create', 'connect', 'disconnect', 'destroy']);
    assert.deepStrictEqual(await pick({ type: ['network'], event: ['create', 'destroy'] }), ['create', 'destroy']);
    assert.deepStrictEqual(await pick({ network: ['ev1'] }), ['create', 'connect', 'disconnect', 'destroy']);
    assert.deepStrictEqual(await pick({ network: ['other'] }), []);
    assert.deepStrictEqual(await pick({ type: ['container'] }), []);
    assert.deepStrictEqual(await pick({ container: ['evctr'] }), []);
    assert.deepStrictEqual(await pick({ label: ['container=evctr'] }), ['connect', 'disconnect']);
  });

  test('since 0 replays from the start: the predefined networks were created too', async () => {
    const r = await events(q({ since: '0', until: end, filters: { event: ['create'] } }));
    assert.deepStrictEqual(r.events.map((e) => e.Actor.Attributes.name), ['none', 'host', 'bridge', 'old', 'prod', 'dev', 'bare', 'used', 'late', 'ev1']);
  });

  test('live: events arrive until `until` passes, then the stream ends by itself', async () => {
    const until = ((Date.now() + 400) / 1000).toFixed(3);
    const pending = events(q({ since: unixNow(), until, filters: { type: ['network'] } }));
    await sleep(100);
    await mk('live1');
    await t.controller.sandboxes.create({ name: 'not-a-network-event' });
    const r = await pending;
    assert.equal(r.status, 200);
    assert.deepStrictEqual(shown(r.events), [{ Type: 'network', Action: 'create', Actor: { ID: '<net:live1>', Attributes: { name: 'live1', type: 'bridge' } }, scope: 'local' }]);
    assert.ok(Date.now() >= Number(until) * 1000);
  });

  test('errors: unparsable times and since after until', async () => {
    const bad = await call(t.app, 'GET', '/events?since=abc');
    assertDockerError(bad, 400, 'strconv.ParseInt: parsing "abc": invalid syntax');
    assertDockerError(await call(t.app, 'GET', '/events?since=10&until=5'), 400, '`since` time (10) cannot be after `until` time (5)');
    assertDockerError(await call(t.app, 'GET', '/events?filters=nope'), 400, 'invalid filter');
  });

  test('closing the app ends open streams', async () => {
    const other = await buildTestApp({ plugins: [registerDockerRoutes], flags: ['--bridge', 'none'] });
    const pending = other.app.inject({ method: 'GET', url: '/events' });
    await sleep(50);
    await other.close();
    const r = await pending;
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, '');
  });
});
