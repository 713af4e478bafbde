import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  /** Parsed JSON body, or undefined when none was sent. */
  body: unknown;
}

export interface Reply {
  status?: number;
  /** Objects are sent as JSON; strings as text/plain unless contentType says otherwise. */
  body?: unknown;
  contentType?: string;
}

/** Route key `"METHOD /path?query"` (exact match), value a reply or a function of the request. */
export type Routes = Record<string, Reply | ((req: RecordedRequest) => Reply | Promise<Reply>)>;

export interface FakeDaemon {
  host: string;
  socketPath: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for patchbayd on a unix socket in a fresh temp dir (or on 127.0.0.1 with `tcp`);
 * unknown routes answer 404 like the daemon.
 */
export async function startFakeDaemon(routes: Routes, listen: 'unix' | 'tcp' = 'unix'): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'pb-fake-'));
  const socketPath = join(dir, 'patchbay.sock');
  const requests: RecordedRequest[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: raw === '' ? undefined : JSON.parse(raw),
      };
      requests.push(recorded);
      const route = routes[`${recorded.method} ${recorded.path}`];
      const reply: Reply =
        route === undefined
          ? { status: 404, body: { message: `no route ${recorded.method} ${recorded.path}`, code: 'PB_ERR_NOT_FOUND' } }
          : typeof route === 'function'
            ? await route(recorded)
            : route;
      const status = reply.status ?? 200;
      if (reply.body === undefined) {
        res.writeHead(status).end();
      } else if (typeof reply.body === 'string') {
        res.writeHead(status, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8' }).end(reply.body);
      } else {
        res.writeHead(status, { 'content-type': reply.contentType ?? 'application/json; charset=utf-8' }).end(JSON.stringify(reply.body));
      }
    });
  });
  let host = `unix://${socketPath}`;
  if (listen === 'unix') {
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  } else {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  return {
    host,
    socketPath,
    requests,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
