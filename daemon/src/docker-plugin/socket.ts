import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config.js';

/** Where dockerd looks for plugin sockets: its presence says Docker is installed here. */
export const DOCKER_RUN_DIR = '/run/docker';

/** `--docker-plugin` given, else on when Docker's run directory exists at start. */
export const dockerPluginEnabled = (config: DaemonConfig, runDirExists = existsSync(DOCKER_RUN_DIR)) => config.dockerPlugin ?? runDirExists;

/**
 * Serve the plugin app on its own unix socket, root-only (0600): whoever can call Join can plug
 * interfaces into any namespace dockerd names. The directory (`plugins/`) is made when missing, a
 * stale socket replaced. Returns a close function that stops accepting and waits for calls in flight.
 */
export async function serveDockerPlugin(app: FastifyInstance, config: DaemonConfig, log: Logger): Promise<() => Promise<void>> {
  const path = config.dockerPluginSocket;
  await app.ready();
  const server = createServer((req, res) => app.routing(req, res));
  // dockerd keeps its connection to a plugin open between calls
  server.keepAliveTimeout = 60_000;
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (existsSync(path)) rmSync(path);
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  log.info({ socket: path }, 'serving the Docker remote network and IPAM driver "patchbay"');
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
}
