import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/native-app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function send(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) {
  const r = await t!.app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
}

async function sandboxes(n: number, prefix: string): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  for (const name of names) assert.equal((await send('POST', '/v1/sandboxes', { name })).status, 201);
  return names;
}

/** Every endpoint belongs to a network that exists, and store and (fake) kernel agree. */
async function assertConsistent() {
  const networks = new Set(((await send('GET', '/v1/networks')).body as { id: string }[]).map((n) => n.id));
  for (const ep of (await send('GET', '/v1/endpoints')).body as { name: string; networkId: string }[]) {
    assert.ok(networks.has(ep.networkId), `endpoint ${ep.name} is on a deleted network`);
  }
  assert.deepEqual((await t!.controller.check()).drifts, []);
}

describe('concurrency (fake kernel)', () => {
  it('64 concurrent connects to one network: distinct addresses and interface names', async () => {
    t = await buildTestApp();
    assert.equal((await send('POST', '/v1/networks', { name: 'busy', ipam: { config: [{ subnet: '10.150.0.0/24' }] } })).status, 201);
    const names = await sandboxes(64, 'c');
    const results = await Promise.all(names.map((sandbox) => send('POST', '/v1/networks/busy/connect', { sandbox })));
    for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
    const addrs = results.map((r) => r.body.ipv4Address as string);
    const hostIfs = results.map((r) => r.body.hostIfName as string);
    assert.equal(new Set(addrs).size, 64, 'distinct addresses');
    assert.equal(new Set(hostIfs).size, 64, 'distinct host interface names');
    for (const a of addrs) assert.match(a, /^10\.150\.0\.\d+\/24$/);
    const hostLinks = new Set((await t.kernel.links(null)).map((l) => l.name));
    for (const h of hostIfs) assert.ok(hostLinks.has(h), `${h} exists`);
    const ipam = (await send('GET', '/v1/networks/busy/ipam')).body;
    assert.equal(ipam.subnets[0].allocations.filter((a: { kind: string }) => a.kind === 'endpoint').length, 64);
    await assertConsistent();
  });

  it('10 concurrent creates of one network name: one 201, nine 409', async () => {
    t = await buildTestApp();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => send('POST', '/v1/networks', { name: 'same', ipam: { config: [{ subnet: `10.151.${i}.0/24` }] } })),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, ...Array(9).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) assert.match(r.body.message, /same/);
    const nets = ((await send('GET', '/v1/networks')).body as { name: string }[]).filter((n) => n.name === 'same');
    assert.equal(nets.length, 1);
    await assertConsistent();
  });

  it('concurrent create and delete of one name: each delete either wins or is refused clearly', async () => {
    t = await buildTestApp();
    assert.equal((await send('POST', '/v1/networks', { name: 'flip' })).status, 201);
    const results = await Promise.all([
      send('DELETE', '/v1/networks/flip'),
      send('POST', '/v1/networks', { name: 'flip' }),
      send('DELETE', '/v1/networks/flip'),
      send('POST', '/v1/networks', { name: 'flip' }),
    ]);
    for (const r of results) assert.ok([201, 204, 404, 409].includes(r.status), `${r.status} ${JSON.stringify(r.body)}`);
    assert.ok(results.some((r) => r.status === 204), 'one delete won');
    await assertConsistent();
  });

  it('a delete racing connects never leaves an endpoint on a deleted network', async () => {
    t = await buildTestApp();
    const names = await sandboxes(12, 'r');
    // The delete is issued at a different point of the connect burst each round.
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round++) {
      assert.equal((await send('POST', '/v1/networks', { name: 'race', ipam: { config: [{ subnet: '10.152.0.0/24' }] } })).status, 201);
      const connects = names.map((sandbox, i) =>
        new Promise<void>((r) => setImmediate(r)).then(async () => {
          if (i < round * 2) await new Promise<void>((r) => setImmediate(r));
          return send('POST', '/v1/networks/race/connect', { sandbox });
        }),
      );
      const del = (async () => {
        for (let i = 0; i < round; i++) await new Promise<void>((r) => setImmediate(r));
        return send('DELETE', '/v1/networks/race');
      })();
      const [delResult, ...connectResults] = await Promise.all([del, ...connects]);
      assert.ok([204, 403].includes(delResult.status), `delete: ${delResult.status} ${JSON.stringify(delResult.body)}`);
      for (const r of connectResults) assert.ok([201, 404].includes(r.status), `connect: ${r.status} ${JSON.stringify(r.body)}`);
      outcomes.push(`${delResult.status}:${connectResults.filter((r) => r.status === 201).length}`);
      if (delResult.status === 204) assert.equal(connectResults.filter((r) => r.status === 201).length, 0, 'no connect succeeded on the deleted network');
      await assertConsistent();
      // clean up for the next round
      for (const sandbox of names) await send('POST', '/v1/networks/race/disconnect', { sandbox });
      const gone = await send('DELETE', '/v1/networks/race');
      assert.ok([204, 404].includes(gone.status));
      await assertConsistent();
    }
    console.log('delete status:connected per round', outcomes.join(' '));
  });
});
