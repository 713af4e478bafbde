import { connect, type Socket } from 'node:net';

export interface HttpResponse {
  status: number;
  body: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** Methods whose request carries a Content-Length even without a body (as Go's client sends it). */
const SENDS_LENGTH = new Set(['POST', 'PUT', 'PATCH']);

interface Pending {
  resolve(res: HttpResponse & { keepAlive: boolean }): void;
  reject(err: Error): void;
}

/** How the body of the response being read ends. */
type Framing = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

/**
 * One keep-alive connection to a unix socket, one exchange at a time: the request written in one
 * write, the response read by its Content-Length, its chunks, or (without either) to the close.
 */
class Connection {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private pending?: Pending;
  private method = 'GET';
  private closed = false;

  constructor(socketPath: string, private readonly onGone: (c: Connection) => void) {
    this.socket = connect(socketPath);
    this.socket.on('data', (data: Buffer) => {
      this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
      this.parse(false);
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => {
      this.closed = true;
      this.onGone(this);
      if (this.pending) this.parse(true);
      this.fail(new Error('the server closed the connection before its response'));
    });
  }

  get usable(): boolean {
    return !this.closed && this.pending === undefined;
  }

  exchange(request: string, method: string): Promise<HttpResponse & { keepAlive: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.method = method;
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  /** Completes the pending exchange when the buffer holds its whole response; `ended`: nothing more will come. */
  private parse(ended: boolean): void {
    if (!this.pending) return;
    const headEnd = this.buffered.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const lines = this.buffered.toString('latin1', 0, headEnd).split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!statusLine) return this.fail(new Error(`not an HTTP/1 response: ${JSON.stringify(lines[0])}`));
    const status = Number(statusLine[2]);
    let keepAlive = statusLine[1] === '1';
    let framing: Framing = { kind: 'close' };
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') framing = { kind: 'length', length: Number(value) };
      else if (name === 'transfer-encoding' && value.split(',').pop()!.trim() === 'chunked') framing = { kind: 'chunked' };
      else if (name === 'connection') keepAlive = value === 'keep-alive' || (keepAlive && value !== 'close');
    }
    if (this.method === 'HEAD' || status === 204 || status === 304) framing = { kind: 'length', length: 0 };
    const body = this.body(headEnd + HEAD_END.length, framing, ended);
    if (!body) return;
    this.buffered = this.buffered.subarray(body.end);
    const pending = this.pending;
    this.pending = undefined;
    pending.resolve({ status, body: body.text, keepAlive: keepAlive && framing.kind !== 'close' });
  }

  private body(start: number, framing: Framing, ended: boolean): { text: string; end: number } | undefined {
    const buf = this.buffered;
    if (framing.kind === 'length') {
      const end = start + framing.length;
      return buf.length >= end ? { text: buf.toString('utf8', start, end), end } : undefined;
    }
    if (framing.kind === 'close') return ended ? { text: buf.toString('utf8', start), end: buf.length } : undefined;
    const chunks: Buffer[] = [];
    let at = start;
    for (;;) {
      const sizeEnd = buf.indexOf(CRLF, at);
      if (sizeEnd < 0) return undefined;
      const size = parseInt(buf.toString('latin1', at, sizeEnd), 16);
      if (size === 0) {
        // no trailers are expected: the last chunk's line, then the empty line
        const end = buf.indexOf(CRLF, sizeEnd + CRLF.length);
        return end < 0 ? undefined : { text: Buffer.concat(chunks).toString('utf8'), end: end + CRLF.length };
      }
      const dataEnd = sizeEnd + CRLF.length + size;
      if (buf.length < dataEnd + CRLF.length) return undefined;
      chunks.push(buf.subarray(sizeEnd + CRLF.length, dataEnd));
      at = dataEnd + CRLF.length;
    }
  }
}

/**
 * A client for a daemon's API on its unix socket, JSON in and out over keep-alive HTTP/1.1, with
 * as little of its own cost per call as an engine's Go client has: each request is one write,
 * each response is read straight from the socket's buffers. node:http's client (and undici's)
 * cost some 0.45 ms more per call on the bench machine, the same for every daemon it drives,
 * which is measurement, not daemon, and pulls every ratio between two daemons toward 1.
 */
export class UnixHttpClient {
  private idle: Connection[] = [];

  constructor(readonly socketPath: string) {}

  send(method: string, path: string, body?: unknown): Promise<HttpResponse> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    const headers = body !== undefined
      ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`
      : SENDS_LENGTH.has(method) ? 'Content-Length: 0\r\n' : '';
    const request = `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n${payload}`;
    const conn = this.take();
    return conn.exchange(request, method).then(
      ({ keepAlive, ...res }) => {
        if (keepAlive && conn.usable) this.idle.push(conn);
        else conn.close();
        return res;
      },
      (err: Error) => {
        conn.close();
        throw err;
      },
    );
  }

  private take(): Connection {
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) if (conn.usable) return conn;
    return new Connection(this.socketPath, (gone) => {
      this.idle = this.idle.filter((c) => c !== gone);
    });
  }

  /** Sends and returns the parsed JSON body (or the text when not JSON); throws unless 2xx. */
  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    if (res.status < 200 || res.status > 299) {
      let message = res.body.slice(0, 300);
      try {
        message = (JSON.parse(res.body) as { message?: string }).message ?? message;
      } catch {
        // plain-text error body
      }
      throw new Error(`${method} ${path} → ${res.status}: ${message}`);
    }
    if (res.body === '') return undefined as T;
    try {
      return JSON.parse(res.body) as T;
    } catch {
      return res.body as T;
    }
  }

  /** Closes the idle keep-alive connections (before a daemon stops); later calls open new ones. */
  dropConnections(): void {
    for (const conn of this.idle.splice(0)) conn.close();
  }
}
