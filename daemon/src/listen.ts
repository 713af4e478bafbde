import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
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

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) throw new PatchbayError('PB_ERR_INVALID', `--group ${name}: no such group`);
  return Number(line.split(':')[2]);
}

/**
 * Listen on every -H target. The unix socket is made 0660 root (or --group); TCP is refused on a
 * non-loopback address (TLS listeners are not built in).
 */
export async function listenAll(app: FastifyInstance, config: DaemonConfig, log: Logger): Promise<() => Promise<void>> {
  const targets = config.hosts.map(parseHost);
  for (const t of targets) {
    if (t.kind === 'tcp' && !isLoopback(t.host!)) {
      throw new PatchbayError('PB_ERR_INVALID', `refusing to listen on ${t.host}:${t.port} without TLS: use a loopback address or a unix socket`);
    }
  }
  const gid = config.group ? groupId(config.group) : 0;
  await app.ready();
  const servers: { close(): void }[] = [];
  for (const [i, t] of targets.entries()) {
    // Fastify listens once; further targets get their own node server sharing the same handler.
    if (t.kind === 'unix') {
      mkdirSync(dirname(t.path!), { recursive: true, mode: 0o755 });
      if (existsSync(t.path!)) rmSync(t.path!);
    }
    const opts = t.kind === 'unix' ? { path: t.path! } : { host: t.host!, port: t.port! };
    if (i === 0) await app.listen(opts);
    else {
      const { createServer } = await import('node:http');
      const server = createServer((req, res) => app.routing(req, res));
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts, resolve));
      servers.push(server);
    }
    if (t.kind === 'unix') {
      chmodSync(t.path!, 0o660);
      chownSync(t.path!, 0, gid);
    }
    log.info({ listen: t }, 'listening');
  }
  return async () => {
    for (const s of servers) s.close();
  };
}
