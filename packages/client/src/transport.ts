import type http from 'node:http';
import { connectionError, ConnectionError, ProtocolError } from './errors.js';
import type { Target } from './host.js';
import { exchange } from './wire.js';

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
  /**
   * For callers that want keep-alive: requests then go through node:http with this agent. Without
   * it every request uses a connection of its own (./wire.ts), so a short-lived CLI never waits on
   * idle sockets nor pays for loading node:http.
   */
  agent?: http.Agent;
}

/** One HTTP exchange with the daemon; network failures become ConnectionError. */
export function send(opts: TransportOptions, req: RequestOptions): Promise<RawResponse> {
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
  const headers: Record<string, string | number> = { accept: 'application/json, text/plain' };
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  return opts.agent ? sendWithAgent(opts, opts.agent, req, headers, payload) : sendOnce(opts, req, headers, payload);
}

const timedOut = (opts: TransportOptions) =>
  new ConnectionError(opts.host, 'ETIMEDOUT', `patchbayd at ${opts.host} did not answer within ${opts.timeoutMs / 1000}s`);

async function sendOnce(opts: TransportOptions, req: RequestOptions, headers: Record<string, string | number>, payload: Buffer | undefined): Promise<RawResponse> {
  const { socket, response } = exchange(opts.target, { method: req.method, path: req.path, headers }, payload);
  if (opts.timeoutMs > 0) socket.setTimeout(opts.timeoutMs, () => socket.destroy(timedOut(opts)));
  return response.then(
    (res) => ({ status: res.status, contentType: res.headers['content-type'] ?? '', text: res.body.toString('utf8') }),
    (err: unknown) => {
      throw err instanceof ConnectionError || err instanceof ProtocolError ? err : connectionError(opts.host, err);
    },
  );
}

async function sendWithAgent(
  opts: TransportOptions,
  agent: http.Agent,
  req: RequestOptions,
  headers: Record<string, string | number>,
  payload: Buffer | undefined,
): Promise<RawResponse> {
  const { request: httpRequest } = await import('node:http');
  const where =
    opts.target.kind === 'unix'
      ? { socketPath: opts.target.socketPath, host: 'localhost' }
      : { host: opts.target.hostname, port: opts.target.port };

  return new Promise((resolve, reject) => {
    const request = httpRequest({ ...where, method: req.method, path: req.path, headers, agent }, (res) => {
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
    if (opts.timeoutMs > 0) request.setTimeout(opts.timeoutMs, () => request.destroy(timedOut(opts)));
    request.end(payload);
  });
}
