import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UnixHttpClient } from './http.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A node:http server on a unix socket; `sockets` counts the connections it accepted. */
async function serve(handler: Handler): Promise<{ path: string; server: Server; sockets: () => number }> {
  const path = join(mkdtempSync(join(tmpdir(), 'pb-http-')), 'api.sock');
  let sockets = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => handler(req, body, res));
  });
  server.on('connection', () => sockets++);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { path, server, sockets: () => sockets };
}

test('a JSON call goes out with its length and comes back parsed, over one kept-alive connection', async () => {
  const seen: string[] = [];
  const { path, sockets } = await serve((req, body, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? '-'} ${req.headers['content-length'] ?? '-'} ${body}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ echoed: body === '' ? null : JSON.parse(body), é: 'ü' }));
  });
  const client = new UnixHttpClient(path);
  assert.deepEqual(await client.call('POST', '/a?x=1', { n: 1 }), { echoed: { n: 1 }, é: 'ü' });
  assert.deepEqual(await client.call('GET', '/b'), { echoed: null, é: 'ü' });
  assert.deepEqual(await client.call('POST', '/c'), { echoed: null, é: 'ü' });
  assert.deepEqual(seen, ['POST /a?x=1 application/json 7 {"n":1}', 'GET /b - - ', 'POST /c - 0 ']);
  assert.equal(sockets(), 1);
  client.dropConnections();
});

test('a chunked response is joined; an empty one and a 204 end at once', async () => {
  const { path } = await serve((req, _body, res) => {
    if (req.url === '/chunked') {
      res.write('{"parts":');
      setTimeout(() => res.end('[1,2,3]}'), 5);
    } else if (req.url === '/empty') {
      res.end();
    } else {
      res.statusCode = 204;
      res.end();
    }
  });
  const client = new UnixHttpClient(path);
  assert.deepEqual(await client.call('GET', '/chunked'), { parts: [1, 2, 3] });
  assert.equal(await client.call('POST', '/empty'), undefined);
  assert.deepEqual(await client.send('DELETE', '/gone'), { status: 204, body: '' });
  assert.deepEqual(await client.call('GET', '/chunked'), { parts: [1, 2, 3] });
  client.dropConnections();
});

test('calls at the same time each get a connection and their own answer', async () => {
  const { path, sockets } = await serve((req, _body, res) => {
    // the first answers last
    setTimeout(() => res.end(JSON.stringify(req.url)), req.url === '/0' ? 30 : 1);
  });
  const client = new UnixHttpClient(path);
  const answers = await Promise.all([0, 1, 2].map((i) => client.call('GET', `/${i}`)));
  assert.deepEqual(answers, ['/0', '/1', '/2']);
  assert.equal(sockets(), 3);
  // all three are idle now: the next calls reuse them
  await Promise.all([0, 1, 2].map((i) => client.call('GET', `/${i}`)));
  assert.equal(sockets(), 3);
  client.dropConnections();
});

test("a connection the server closes (idle, or by its answer's Connection: close) is not used again", async () => {
  const { path, server, sockets } = await serve((req, _body, res) => {
    if (req.url === '/last') res.setHeader('connection', 'close');
    res.end('"ok"');
  });
  const client = new UnixHttpClient(path);
  assert.equal(await client.call('GET', '/'), 'ok');
  server.closeIdleConnections();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await client.call('GET', '/'), 'ok');
  assert.equal(sockets(), 2);
  assert.equal(await client.call('GET', '/last'), 'ok');
  assert.equal(await client.call('GET', '/'), 'ok');
  assert.equal(sockets(), 3);
  client.dropConnections();
});

test('a refusal throws with the message of its body; no server is an error, not a hang', async () => {
  const { path } = await serve((_req, _body, res) => {
    res.statusCode = 409;
    res.end(JSON.stringify({ message: 'network with name x already exists' }));
  });
  const client = new UnixHttpClient(path);
  await assert.rejects(client.call('POST', '/networks/create', {}), /POST \/networks\/create → 409: network with name x already exists/);
  client.dropConnections();
  await assert.rejects(new UnixHttpClient(join(tmpdir(), 'pb-no-such-dir', 'api.sock')).send('GET', '/'), /ENOENT/);
});

test('a connection closed half-way through an answer fails the call', async () => {
  const { path } = await serve((_req, _body, res) => {
    res.setHeader('content-length', '100');
    res.write('{"cut":');
    setTimeout(() => res.socket?.destroy(), 5);
  });
  const client = new UnixHttpClient(path);
  await assert.rejects(client.send('GET', '/'), /closed the connection before its response/);
});

test('megabytes come back whole, by length and in chunks, and a chunk may hold the last-chunk bytes', async () => {
  const big = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ i, name: `endpoint-${i}`, pad: 'x'.repeat(250) })));
  const tricky = 'x0\r\nrest';
  const { path } = await serve((req, _body, res) => {
    if (req.url === '/length') return void res.setHeader('content-length', Buffer.byteLength(big)).end(big);
    if (req.url === '/tricky') {
      // a chunk whose data ends as the last chunk does, then more: not the end yet
      res.write(tricky.slice(0, 4));
      return void setTimeout(() => res.end(tricky.slice(4)), 10);
    }
    // chunked, in pieces of 64 kB
    for (let at = 0; at < big.length; at += 65536) res.write(big.slice(at, at + 65536));
    res.end();
  });
  const client = new UnixHttpClient(path);
  assert.ok(big.length > 5_000_000);
  assert.equal((await client.send('GET', '/length')).body, big);
  assert.equal((await client.send('GET', '/chunked')).body, big);
  assert.equal((await client.send('GET', '/tricky')).body, tricky);
  assert.equal((await client.send('GET', '/length')).body.length, big.length);
  client.dropConnections();
});

test('a chunked body with a bad chunk size, or a bad Content-Length, fails the call', async () => {
  const { createServer: createNetServer } = await import('node:net');
  const path = join(mkdtempSync(join(tmpdir(), 'pb-http-')), 'raw.sock');
  const answers: Record<string, string> = {
    '/chunked': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n',
    '/length': 'HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n{}',
  };
  const server = createNetServer((socket) => socket.once('data', (d) => socket.write(answers[d.toString('latin1').split(' ')[1]!]!)));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  after(() => server.close());
  const client = new UnixHttpClient(path);
  await assert.rejects(client.send('GET', '/chunked'), /bad chunk size: "zz"/);
  await assert.rejects(client.send('GET', '/length'), /bad Content-Length/);
  client.dropConnections();
});
