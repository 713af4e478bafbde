import { DockerVersion } from '@patchbay/api';
import { z } from 'zod';
import { DOCKER_ERRORS, type DockerRoute } from './request.js';
import { versionBody } from './version.js';

const NO_CACHE = { 'cache-control': 'no-cache, no-store, must-revalidate', pragma: 'no-cache' };

/** /_ping (HEAD and GET) and /version. */
export function registerSystemRoutes(route: DockerRoute, engineVersion: string) {
  const startedAt = new Date();
  // HEAD first: fastify would otherwise derive it from the GET route with a body length.
  const ping = { response: { 200: { content: { 'text/plain': { schema: z.string() } } }, ...DOCKER_ERRORS } };
  route('HEAD', '/_ping', ping, async (_req, reply) =>
    reply.headers({ ...NO_CACHE, 'content-type': 'text/plain; charset=utf-8', 'content-length': '0' }).status(200).send(),
  );
  route('GET', '/_ping', ping, async (_req, reply) => reply.headers({ ...NO_CACHE, 'content-type': 'text/plain; charset=utf-8' }).send('OK'));
  route('GET', '/version', { response: { 200: DockerVersion, ...DOCKER_ERRORS } }, async () => versionBody(engineVersion, startedAt));
}
