import { request, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LossyProxy {
  /** `host:port` to give a client as an etcd member */
  endpoint: string;
  /** requests whose answer the client never got */
  dropped: number;
  /** etcd's answers to the requests carried out late, as they came */
  lateAnswers: string[];
  close(): Promise<void>;
}

/**
 * What becomes of one request: passed through; carried out by etcd with its answer lost (the
 * connection is cut instead); or, a number, the connection cut at once and the request carried
 * out that many milliseconds later (a commit that comes after the client gave up).
 */
export type ProxyFate = 'pass' | 'lose-answer' | number;

/**
 * An HTTP proxy in front of one etcd member that loses answers as `fate` decides. The client
 * sees what it sees when a member dies or the leader changes around a commit: an error, though
 * the write went through (or will).
 */
export async function createLossyProxy(target: string, fate: (path: string, body: string) => ProxyFate): Promise<LossyProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const read = (m: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      m.on('data', (c: Buffer) => chunks.push(c));
      m.on('end', () => resolve(Buffer.concat(chunks)));
      m.on('error', reject);
    });
  const proxy: LossyProxy = { endpoint: '', dropped: 0, lateAnswers: [], close: async () => {} };
  const open = new Set<ReturnType<typeof request>>();
  const timers = new Set<NodeJS.Timeout>();
  const forward = (path: string, method: string | undefined, body: Buffer, onAnswer: (answer: IncomingMessage) => void, onError: () => void) => {
    const upstream = request({ host, port, path, method, headers: { 'content-type': 'application/json', 'content-length': body.length } }, onAnswer);
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', onError);
    upstream.end(body);
  };
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    const path = req.url ?? '/';
    const f = fate(path, body.toString('utf8'));
    if (typeof f === 'number') {
      proxy.dropped++;
      req.socket.destroy();
      const t = setTimeout(() => {
        timers.delete(t);
        forward(path, req.method, body, (answer) => void read(answer).then((text) => proxy.lateAnswers.push(text.toString('utf8')), () => undefined), () => undefined);
      }, f);
      timers.add(t);
      return;
    }
    forward(
      path,
      req.method,
      body,
      async (answer) => {
        if (f === 'pass') {
          // streamed: a watch's answer never ends
          res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
          answer.pipe(res);
          return;
        }
        await read(answer);
        proxy.dropped++;
        req.socket.destroy();
      },
      () => req.socket.destroy(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((r) => {
      for (const t of timers) clearTimeout(t);
      for (const u of open) u.destroy();
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}
