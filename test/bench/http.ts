import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

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

/** A response's status line and headers, parsed; for a body of known length, what of it came so far, decoded. */
interface Head {
  status: number;
  keepAlive: boolean;
  framing: Framing;
  decoder: StringDecoder;
  text: string;
  remaining: number;
}

/** The last chunk of a chunked body and the empty line after it (no trailers are expected). */
const LAST_CHUNK_END = Buffer.from('0\r\n\r\n');

/**
 * One keep-alive connection to a unix socket, one exchange at a time: the request written in one
 * write, the response read by its Content-Length, its chunks, or (without either) to the close.
 * A body of known length is decoded as it arrives (as node:http does: a list of megabytes comes
 * in some hundred reads), any other kept as received and joined once, when it is whole.
 */
class Connection {
  private readonly socket: Socket;
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private head?: Head;
  private pending?: Pending;
  private method = 'GET';
  private closed = false;

  constructor(socketPath: string, private readonly onGone: (c: Connection) => void) {
    this.socket = connect(socketPath);
    this.socket.on('data', (data: Buffer) => {
      this.received.push(data);
      this.receivedBytes += data.length;
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
    this.head = undefined;
    pending?.reject(err);
  }

  /** Everything received so far, as one buffer (kept so: later calls join only what came after). */
  private joined(): Buffer {
    if (this.received.length !== 1) this.received = [Buffer.concat(this.received, this.receivedBytes)];
    return this.received[0] ?? Buffer.alloc(0);
  }

  /** Do the received bytes end with `tail`? (It may span the last reads.) */
  private endsWith(tail: Buffer): boolean {
    if (this.receivedBytes < tail.length) return false;
    let need = tail.length;
    for (let i = this.received.length - 1; i >= 0 && need > 0; i--) {
      const part = this.received[i]!;
      const n = Math.min(need, part.length);
      if (!part.subarray(part.length - n).equals(tail.subarray(need - n, need))) return false;
      need -= n;
    }
    return true;
  }

  /** Completes the pending exchange when the received bytes hold its whole response; `ended`: nothing more will come. */
  private parse(ended: boolean): void {
    if (!this.pending) return;
    if (!this.head) {
      const all = this.joined();
      const headEnd = all.indexOf(HEAD_END);
      if (headEnd < 0) return;
      const head = this.parseHead(all.toString('latin1', 0, headEnd));
      if (!head) return;
      this.head = head;
      this.keepFrom(all, headEnd + HEAD_END.length);
    }
    const text = this.head.framing.kind === 'length' ? this.streamed(this.head) : this.body(this.head.framing, ended);
    if (text === undefined) return;
    const { status, keepAlive, framing } = this.head;
    const pending = this.pending;
    this.pending = undefined;
    this.head = undefined;
    pending.resolve({ status, body: text, keepAlive: keepAlive && framing.kind !== 'close' });
  }

  /** Keeps what of `buf` lies from `offset` on as the only bytes received. */
  private keepFrom(buf: Buffer, offset: number): void {
    const rest = buf.subarray(offset);
    this.received = rest.length > 0 ? [rest] : [];
    this.receivedBytes = rest.length;
  }

  /** Decodes what came of a body of known length; its text once all of it came (bytes after it stay received). */
  private streamed(head: Head): string | undefined {
    while (head.remaining > 0 && this.received.length > 0) {
      const part = this.received.shift()!;
      const take = Math.min(part.length, head.remaining);
      head.text += head.decoder.write(take === part.length ? part : part.subarray(0, take));
      head.remaining -= take;
      this.receivedBytes -= take;
      if (take < part.length) this.received.unshift(part.subarray(take));
    }
    return head.remaining > 0 ? undefined : head.text + head.decoder.end();
  }

  private parseHead(text: string): Head | undefined {
    const lines = text.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!statusLine) {
      this.fail(new Error(`not an HTTP/1 response: ${JSON.stringify(lines[0])}`));
      return undefined;
    }
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
    if (framing.kind === 'length' && !(Number.isSafeInteger(framing.length) && framing.length >= 0)) {
      this.fail(new Error('a response with a bad Content-Length'));
      return undefined;
    }
    if (this.method === 'HEAD' || status === 204 || status === 304) framing = { kind: 'length', length: 0 };
    const remaining = framing.kind === 'length' ? framing.length : 0;
    return { status, keepAlive, framing, decoder: new StringDecoder('utf8'), text: '', remaining };
  }

  /** A chunked or close-delimited body's text once all of it came (bytes after it stay received). */
  private body(framing: Exclude<Framing, { kind: 'length' }>, ended: boolean): string | undefined {
    if (framing.kind === 'close') {
      if (!ended) return undefined;
      const all = this.joined();
      this.keepFrom(all, all.length);
      return all.toString('utf8');
    }
    // a chunked body can only be whole when the bytes end as its last chunk does
    if (!this.endsWith(LAST_CHUNK_END)) return undefined;
    const buf = this.joined();
    const chunks: Buffer[] = [];
    let at = 0;
    for (;;) {
      const sizeEnd = buf.indexOf(CRLF, at);
      if (sizeEnd < 0) return undefined;
      const sizeText = buf.toString('latin1', at, sizeEnd);
      if (!/^[0-9a-fA-F]+(;.*)?$/.test(sizeText)) {
        this.fail(new Error(`a chunked body with a bad chunk size: ${JSON.stringify(sizeText.slice(0, 20))}`));
        return undefined;
      }
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        const end = buf.indexOf(CRLF, sizeEnd + CRLF.length);
        if (end < 0) return undefined;
        this.keepFrom(buf, end + CRLF.length);
        return Buffer.concat(chunks).toString('utf8');
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
