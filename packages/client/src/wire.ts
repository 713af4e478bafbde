import { connect, type Socket } from 'node:net';
import { ProtocolError } from './errors.js';
import type { Target } from './host.js';

/** One answer read off the wire: status, lower-cased headers, body. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * One request on a fresh connection in HTTP/1.0, whose answer ends where the server closes the
 * connection (no chunked encoding, no keep-alive: a 1.0 client gets neither).
 * Why not node:http: loading it and its agent machinery is most of what a one-shot `patchbay`
 * command costs above node's own start-up; this is the client for exactly that case.
 * Socket errors are passed to `onError` untouched; `socket()` is for the caller's timeout.
 */
export function exchange(
  target: Target,
  head: { method: string; path: string; headers: Record<string, string | number> },
  payload: Buffer | undefined,
): { socket: Socket; response: Promise<WireResponse> } {
  if (/[\s\x00-\x1f]/.test(head.path)) throw new TypeError(`request path contains unescaped characters: ${JSON.stringify(head.path)}`);
  const socket = target.kind === 'unix' ? connect(target.socketPath) : connect(target.port, target.hostname);
  const host = target.kind === 'unix' ? 'localhost' : target.hostname.includes(':') ? `[${target.hostname}]:${target.port}` : `${target.hostname}:${target.port}`;
  const lines = [`${head.method} ${head.path} HTTP/1.0`, `host: ${host}`, ...Object.entries(head.headers).map(([k, v]) => `${k}: ${v}`)];
  const response = new Promise<WireResponse>((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
    socket.on('connect', () => {
      // no half-close after the request: node's HTTP server drops a request whose client hung up
      socket.write(payload ? Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]) : `${lines.join('\r\n')}\r\n\r\n`);
    });
  });
  return { socket, response };
}

/** Parses a complete HTTP/1.x answer (status line, headers, body up to content-length or the end). */
export function parseResponse(raw: Buffer): WireResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new ProtocolError('patchbayd closed the connection before a complete HTTP answer');
  const [statusLine = '', ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})\b/.exec(statusLine)?.[1];
  if (status === undefined) throw new ProtocolError(`patchbayd sent no HTTP status line (${JSON.stringify(statusLine.slice(0, 40))})`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) throw new ProtocolError('patchbayd answered an HTTP/1.0 request with a chunked body');
  let body = raw.subarray(split + 4);
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    if (!Number.isInteger(n) || n < 0 || body.length < n) throw new ProtocolError(`patchbayd's answer was cut short (${body.length} of ${length} bytes)`);
    body = body.subarray(0, n);
  }
  return { status: Number(status), headers, body };
}
