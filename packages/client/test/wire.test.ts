import assert from 'node:assert/strict';
import http from 'node:http';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { createClient, ProtocolError } from '../src/index.js';
import { parseResponse } from '../src/wire.js';
import { startFakeDaemon } from './helpers/fake-daemon.js';
import { network } from './helpers/fixtures.js';

describe('parseResponse', () => {
  test('status, lower-cased headers, body up to content-length', () => {
    const r = parseResponse(Buffer.from('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}trailing'));
    assert.equal(r.status, 201);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.body.toString(), '{}');
  });

  test('without content-length the body runs to the end', () => {
    assert.equal(parseResponse(Buffer.from('HTTP/1.0 200 OK\r\n\r\nhello')).body.toString(), 'hello');
  });

  test('a truncated, headless, status-less or chunked answer is a ProtocolError', () => {
    const bad = ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', 'HTTP/1.1 200 OK\r\nContent-Type: x', 'SSH-2.0-x\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'];
    for (const raw of bad) assert.throws(() => parseResponse(Buffer.from(raw)), ProtocolError, raw);
  });
});

describe('the one-shot wire client against servers', () => {
  test('a server that closes without answering is a ProtocolError, not a hang', async (t) => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const { port } = server.address() as { port: number };
    await assert.rejects(createClient({ host: `tcp://127.0.0.1:${port}` }).networks.list(), (e: unknown) => e instanceof ProtocolError && /before a complete HTTP answer/.test(e.message));
  });

  test('a path with a space or a line break is refused before anything is sent', async (t) => {
    const daemon = await startFakeDaemon({});
    t.after(() => daemon.close());
    const { send } = await import('../src/transport.js');
    const { parseHost } = await import('../src/host.js');
    await assert.rejects(send({ target: parseHost(daemon.host), host: daemon.host, timeoutMs: 1000 }, { method: 'GET', path: '/v1/networks\r\nx: y' }), TypeError);
    assert.deepEqual(daemon.requests, []);
  });

  test('with a keep-alive agent requests go through node:http and reuse one connection', async (t) => {
    const daemon = await startFakeDaemon({ 'GET /v1/networks': { body: [network()] }, 'POST /v1/networks': { status: 201, body: network() } }, 'tcp');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => (agent.destroy(), daemon.close()));
    const client = createClient({ host: daemon.host, agent });
    let sockets = 0;
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof createConnection>) => (sockets++, createConnection(...args))) as typeof agent.createConnection;
    assert.deepEqual(await client.networks.list(), [network()]);
    assert.equal((await client.networks.create({ name: 'front' })).id, network().id);
    assert.deepEqual(daemon.requests.at(-1)?.body, { name: 'front' });
    assert.equal(sockets, 1);
  });
});
