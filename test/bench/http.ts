import { Agent, request } from 'node:http';

export interface HttpResponse {
  status: number;
  body: string;
}

/**
 * A minimal client for the daemon's API on its unix socket, the way an engine talks to it:
 * node:http with a keep-alive agent, JSON in and out.
 */
export class UnixHttpClient {
  private agent = new Agent({ keepAlive: true });

  constructor(readonly socketPath: string) {}

  send(method: string, path: string, body?: unknown): Promise<HttpResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
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
    this.agent.destroy();
    this.agent = new Agent({ keepAlive: true });
  }
}
