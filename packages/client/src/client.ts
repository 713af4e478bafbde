import type http from 'node:http';
import type { Endpoint, Health, IpamView, Network, Sandbox } from '@patchbay/api';
import { ApiError, ProtocolError } from './errors.js';
import { DEFAULT_HOST, parseHost } from './host.js';
import { send, type RawResponse, type RequestOptions } from './transport.js';
import type {
  CheckResult,
  ConnectInput,
  DisconnectInput,
  EndpointCreateInput,
  NetworkCreateInput,
  ReconcileResult,
  SandboxCreateInput,
} from './types.js';

export interface ClientOptions {
  /** `unix:///path.sock` (default unix:///run/patchbay/patchbay.sock), `tcp://HOST:PORT` or `http://HOST:PORT`. */
  host?: string;
  /** Per request; 0 disables. Default 60 s. */
  timeoutMs?: number;
  /** For callers that want keep-alive; by default every request uses its own connection. */
  agent?: http.Agent;
}

export interface PatchbayClient {
  readonly host: string;
  health(): Promise<Health>;
  networks: {
    create(body: NetworkCreateInput): Promise<Network>;
    list(): Promise<Network[]>;
    inspect(idOrName: string): Promise<Network>;
    remove(idOrName: string): Promise<void>;
    /** Creates an endpoint on the network and joins it to the sandbox in one call. */
    connect(network: string, body: ConnectInput): Promise<Endpoint>;
    disconnect(network: string, body: DisconnectInput): Promise<void>;
  };
  sandboxes: {
    create(body?: SandboxCreateInput): Promise<Sandbox>;
    list(): Promise<Sandbox[]>;
    inspect(idOrName: string): Promise<Sandbox>;
    remove(idOrName: string): Promise<void>;
  };
  endpoints: {
    create(network: string, body: EndpointCreateInput): Promise<Endpoint>;
    /** Endpoints of one network, or of all networks when `network` is omitted. */
    list(network?: string): Promise<Endpoint[]>;
    inspect(network: string, endpoint: string): Promise<Endpoint>;
    remove(network: string, endpoint: string): Promise<void>;
    join(network: string, endpoint: string, sandbox: string): Promise<Endpoint>;
    leave(network: string, endpoint: string): Promise<Endpoint>;
  };
  ipam: {
    inspect(network: string): Promise<IpamView>;
  };
  firewall: {
    /** The nft document the daemon would apply now. */
    plan(): Promise<string>;
    /** The rules currently applied in patchbay's tables. */
    rules(): Promise<string>;
  };
  system: {
    check(): Promise<CheckResult>;
    reconcile(options?: { dryRun?: boolean }): Promise<ReconcileResult>;
  };
}

const seg = encodeURIComponent;

export function createClient(options: ClientOptions = {}): PatchbayClient {
  const host = options.host ?? DEFAULT_HOST;
  const transport = { target: parseHost(host), host, timeoutMs: options.timeoutMs ?? 60_000, agent: options.agent };

  async function call(req: RequestOptions): Promise<RawResponse> {
    const res = await send(transport, req);
    if (res.status < 200 || res.status > 299) throw toApiError(res);
    return res;
  }
  const json = async <T>(req: RequestOptions): Promise<T> => parseJson<T>(await call(req));
  const text = async (path: string): Promise<string> => (await call({ method: 'GET', path })).text;
  const none = async (req: RequestOptions): Promise<void> => void (await call(req));

  const net = (n: string) => `/v1/networks/${seg(n)}`;
  const ep = (n: string, e: string) => `${net(n)}/endpoints/${seg(e)}`;

  return {
    host,
    health: () => json({ method: 'GET', path: '/v1/health' }),
    networks: {
      create: (body) => json({ method: 'POST', path: '/v1/networks', body }),
      list: () => json({ method: 'GET', path: '/v1/networks' }),
      inspect: (n) => json({ method: 'GET', path: net(n) }),
      remove: (n) => none({ method: 'DELETE', path: net(n) }),
      connect: (n, body) => json({ method: 'POST', path: `${net(n)}/connect`, body }),
      disconnect: (n, body) => none({ method: 'POST', path: `${net(n)}/disconnect`, body }),
    },
    sandboxes: {
      create: (body = {}) => json({ method: 'POST', path: '/v1/sandboxes', body }),
      list: () => json({ method: 'GET', path: '/v1/sandboxes' }),
      inspect: (s) => json({ method: 'GET', path: `/v1/sandboxes/${seg(s)}` }),
      remove: (s) => none({ method: 'DELETE', path: `/v1/sandboxes/${seg(s)}` }),
    },
    endpoints: {
      create: (n, body) => json({ method: 'POST', path: `${net(n)}/endpoints`, body }),
      list: (n) => json({ method: 'GET', path: n === undefined ? '/v1/endpoints' : `${net(n)}/endpoints` }),
      inspect: (n, e) => json({ method: 'GET', path: ep(n, e) }),
      remove: (n, e) => none({ method: 'DELETE', path: ep(n, e) }),
      join: (n, e, sandbox) => json({ method: 'POST', path: `${ep(n, e)}/join`, body: { sandbox } }),
      leave: (n, e) => json({ method: 'POST', path: `${ep(n, e)}/leave`, body: {} }),
    },
    ipam: {
      inspect: (n) => json({ method: 'GET', path: `${net(n)}/ipam` }),
    },
    firewall: {
      plan: () => text('/v1/firewall/plan'),
      rules: () => text('/v1/firewall/rules'),
    },
    system: {
      check: () => json({ method: 'GET', path: '/v1/system/check' }),
      // No `dryRun=false`: a query-string boolean coerced with z.coerce.boolean() would read it as true.
      reconcile: (o = {}) => json({ method: 'POST', path: o.dryRun === true ? '/v1/system/reconcile?dryRun=true' : '/v1/system/reconcile' }),
    },
  };
}

function parseJson<T>(res: RawResponse): T {
  if (!/^application\/json\b/i.test(res.contentType)) {
    throw new ProtocolError(`expected JSON from patchbayd, got ${res.contentType || 'no content type'} (status ${res.status})`);
  }
  try {
    return JSON.parse(res.text) as T;
  } catch (cause) {
    throw new ProtocolError(`patchbayd sent invalid JSON (status ${res.status})`, { cause });
  }
}

/** `{message, code}` from the daemon's error handler; anything else (a proxy, a crash page) is kept readable. */
function toApiError(res: RawResponse): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    body = undefined;
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const message =
    typeof fields.message === 'string' && fields.message !== ''
      ? fields.message
      : res.text.trim().split('\n')[0] || `patchbayd answered HTTP ${res.status}`;
  const code = typeof fields.code === 'string' ? fields.code : `HTTP_${res.status}`;
  return new ApiError(res.status, code, message);
}
