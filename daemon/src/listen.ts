import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { dirname } from 'node:path';
import { PatchbayError } from '@patchbay/errors';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DaemonConfig } from './config.js';

export interface ListenTarget {
  kind: 'unix' | 'tcp';
  path?: string;
  host?: string;
  port?: number;
}

export function parseHost(spec: string): ListenTarget {
  if (spec.startsWith('unix://')) {
    const path = spec.slice('unix://'.length);
    if (!path.startsWith('/')) throw new PatchbayError('PB_ERR_INVALID', `invalid -H ${spec}: the socket path must be absolute`);
    return { kind: 'unix', path };
  }
  const m = /^(?:tcp|http):\/\/(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):(\d{1,5})$/.exec(spec);
  if (!m || Number(m[2]) > 65535) throw new PatchbayError('PB_ERR_INVALID', `invalid -H ${spec}: use unix:///path or tcp://IP:PORT`);
  return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) throw new PatchbayError('PB_ERR_INVALID', `--group ${name}: no such group`);
  return Number(line.split(':')[2]);
}

function tlsOptions(config: DaemonConfig) {
  if (!config.tlsCert && !config.tlsKey) return undefined;
  if (!config.tlsCert || !config.tlsKey) throw new PatchbayError('PB_ERR_INVALID', '--tlscert and --tlskey go together');
  return {
    cert: readFileSync(config.tlsCert),
    key: readFileSync(config.tlsKey),
    ...(config.tlsCaCert ? { ca: readFileSync(config.tlsCaCert), requestCert: true, rejectUnauthorized: true } : {}),
  };
}

/** A front door served on the unix sockets only (the CNI API): requests under `prefix` go to `app`. */
export interface UnixOnlyApp {
  prefix: string;
  app: FastifyInstance;
}

/**
 * Listen on every -H target with plain node servers that hand requests to the fastify app. The
 * unix socket is made 0660, owned by root and --group. TCP is plain HTTP on loopback only; any
 * other address needs --tlscert/--tlskey (and --tlscacert to require client certificates).
 * `unixOnly` apps are routed to from the unix sockets only: a TCP listener never reaches them.
 * Returns a close function that stops accepting and waits for in-flight requests.
 */
export async function listenAll(app: FastifyInstance, config: DaemonConfig, log: Logger, unixOnly: UnixOnlyApp[] = []): Promise<() => Promise<void>> {
  const targets = config.hosts.map(parseHost);
  const tls = tlsOptions(config);
  for (const t of targets) {
    if (t.kind === 'tcp' && !isLoopback(t.host!) && !tls) {
      throw new PatchbayError('PB_ERR_INVALID', `refusing to listen on ${t.host}:${t.port} without TLS: give --tlscert and --tlskey, or use a loopback address or a unix socket`);
    }
  }
  const gid = config.group ? groupId(config.group) : 0;
  await app.ready();
  for (const u of unixOnly) await u.app.ready();
  type Req = Parameters<FastifyInstance['routing']>[0];
  type Res = Parameters<FastifyInstance['routing']>[1];
  const handler = (req: Req, res: Res) => app.routing(req, res);
  const unixHandler = (req: Req, res: Res) => (unixOnly.find((u) => req.url?.startsWith(u.prefix))?.app ?? app).routing(req, res);
  const servers: Server[] = [];
  for (const t of targets) {
    const server: Server =
      t.kind === 'tcp' ? (tls ? (createHttpsServer(tls, handler) as unknown as Server) : createHttpServer(handler)) : createHttpServer(unixOnly.length > 0 ? unixHandler : handler);
    if (t.kind === 'unix') {
      mkdirSync(dirname(t.path!), { recursive: true, mode: 0o755 });
      if (existsSync(t.path!)) rmSync(t.path!);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (t.kind === 'unix') server.listen(t.path!, resolve);
      else server.listen(t.port!, t.host!, resolve);
    });
    if (t.kind === 'unix') {
      chmodSync(t.path!, 0o660);
      chownSync(t.path!, 0, gid);
    }
    servers.push(server);
    log.info({ listen: t, tls: t.kind === 'tcp' && tls !== undefined }, 'listening');
  }
  return async () => {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeIdleConnections();
          }),
      ),
    );
  };
}
