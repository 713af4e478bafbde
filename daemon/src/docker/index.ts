import type { FastifyInstance } from 'fastify';
import type { Controller } from '../controller/index.js';
import { VERSION } from '../http/app.js';
import { installErrorHandler } from '../http/errors.js';
import type { ZodTypeProvider } from '../http/schema.js';
import { registerEventsRoute } from './events-route.js';
import { registerInfoRoute } from './info-route.js';
import { registerNetworkRoutes } from './network-routes.js';
import { registerPruneRoute } from './prune.js';
import type { DockerRoute } from './request.js';
import { registerSystemRoutes } from './system-routes.js';
import { checkApiVersion, dockerHeaders } from './version.js';

export { API_VERSION, MIN_API_VERSION } from './version.js';

const PAGE_NOT_FOUND = '{"message":"page not found"}';

/**
 * The Docker-Engine-compatible API (ping, version, networks, events), unversioned and under
 * /v{1.24…API_VERSION}/, in its own fastify context: errors are `{"message"}` and every answer
 * carries Api-Version, Server and Ostype, with Content-Type exactly `application/json`.
 */
export function registerDockerRoutes(app: FastifyInstance, controller: Controller, opts: { engineVersion?: string; streams?: Set<() => void> } = {}) {
  const engineVersion = opts.engineVersion ?? VERSION;
  /** the open /events streams (a caller may pass the set in to count them) */
  const streams = opts.streams ?? new Set<() => void>();
  void app.register(async (docker) => {
    installErrorHandler(docker, (_req, body) => ({ message: body.dockerMessage ?? body.message }));
    docker.addHook('onRequest', async (req, reply) => {
      const version = (req.params as { version?: string }).version;
      if (version === undefined) return;
      if (!/^[0-9.]+$/.test(version)) return reply.status(404).type('application/json').send(PAGE_NOT_FOUND);
      checkApiVersion(version);
    });
    docker.addHook('onSend', async (_req, reply, payload) => {
      void reply.headers(dockerHeaders(engineVersion));
      const type = reply.getHeader('content-type');
      // The Go client parses an error body only when the type is exactly application/json.
      if (typeof type === 'string' && type.startsWith('application/json')) void reply.header('content-type', 'application/json');
      return payload;
    });
    // Open event streams would keep close() waiting for their clients.
    docker.addHook('preClose', async () => {
      for (const stop of [...streams]) stop();
    });
    const api = docker.withTypeProvider<ZodTypeProvider>();
    const route: DockerRoute = (method, path, schema, handler) => {
      api.route({ method, url: path, schema, handler });
      api.route({ method, url: `/v:version${path}`, schema, handler });
    };
    registerSystemRoutes(route, engineVersion);
    registerNetworkRoutes(route, controller);
    registerPruneRoute(route, controller);
    registerEventsRoute(route, controller, engineVersion, streams);
    registerInfoRoute(route, controller, engineVersion, () => streams.size);
  });
}
