import { request, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LossyProxy {
  /** `host:port` to give a client as an etcd member */
  endpoint: string;
  /** requests forwarded and answered by etcd whose answer was then dropped */
  dropped: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of one etcd member that loses answers: a request `drop` picks is
 * forwarded, etcd carries it out, and the proxy then cuts the connection instead of answering.
 * The client sees what it sees when a member dies or the leader changes after a commit: an
 * error, though the write went through.
 */
export async function createLossyProxy(target: string, drop: (path: string, body: string) => boolean): Promise<LossyProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const read = (m: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      m.on('data', (c: Buffer) => chunks.push(c));
      m.on('end', () => resolve(Buffer.concat(chunks)));
      m.on('error', reject);
    });
  const proxy: LossyProxy = { endpoint: '', dropped: 0, close: async () => {} };
  const open = new Set<ReturnType<typeof request>>();
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    const path = req.url ?? '/';
    const lose = drop(path, body.toString('utf8'));
    const upstream = request({ host, port, path, method: req.method, headers: { 'content-type': 'application/json', 'content-length': body.length } }, async (answer) => {
      if (!lose) {
        // streamed: a watch's answer never ends
        res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
        answer.pipe(res);
        return;
      }
      await read(answer);
      proxy.dropped++;
      req.socket.destroy();
    });
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.on('error', () => req.socket.destroy());
    upstream.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((r) => {
      for (const u of open) u.destroy();
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}
