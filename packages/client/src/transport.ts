import http from 'node:http';
import { connectionError, ConnectionError } from './errors.js';
import type { Target } from './host.js';

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Sent as JSON when present; absent means no body and no content type (fastify rejects an empty JSON body). */
  body?: unknown;
}

export interface TransportOptions {
  target: Target;
  /** The address as the user wrote it, for error messages. */
  host: string;
  timeoutMs: number;
  /** Defaults to a fresh connection per request, so a short-lived CLI never waits on idle sockets. */
  agent?: http.Agent;
}

/** One HTTP exchange with the daemon; network failures become ConnectionError. */
export function send(opts: TransportOptions, req: RequestOptions): Promise<RawResponse> {
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: http.OutgoingHttpHeaders = { accept: 'application/json, text/plain' };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  const where =
    opts.target.kind === 'unix'
      ? { socketPath: opts.target.socketPath, host: 'localhost' }
      : { host: opts.target.hostname, port: opts.target.port };

  return new Promise((resolve, reject) => {
    const request = http.request({ ...where, method: req.method, path: req.path, headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => reject(connectionError(opts.host, err)));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', (err) => reject(err instanceof ConnectionError ? err : connectionError(opts.host, err)));
    if (opts.timeoutMs > 0) {
      request.setTimeout(opts.timeoutMs, () => {
        const seconds = opts.timeoutMs / 1000;
        request.destroy(new ConnectionError(opts.host, 'ETIMEDOUT', `patchbayd at ${opts.host} did not answer within ${seconds}s`));
      });
    }
    request.end(payload);
  });
}
