import fastifySwagger from '@fastify/swagger';
import { OpenApiDocument } from '@patchbay/api';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';

/** The path prefix of the routes the native document describes. */
const NATIVE_PREFIX = '/v1/';

/**
 * The OpenAPI 3.1 document of the native API, generated from the zod schemas its routes declare
 * (no second description). Register before the routes: it collects them as they are added.
 * Routes outside /v1 (Docker's API) are left out; so are routes without schemas (test seams).
 */
export function registerOpenApi(app: FastifyInstance, version: string) {
  const zodTransform = createJsonSchemaTransform({});
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'patchbay native API',
        version,
        description: 'The native API of patchbayd under /v1 (the Docker-compatible routes are described by Docker). Errors are {message, code}.',
      },
    },
    transform: (route) => {
      if (!route.url.startsWith(NATIVE_PREFIX) || route.schema === undefined) return { schema: { hide: true }, url: route.url };
      return zodTransform(route);
    },
  });
}

/** GET /v1/openapi.json: the document (built once, on the first request). */
export function registerOpenApiRoute(app: FastifyInstance) {
  app.withTypeProvider<ZodTypeProvider>().get('/v1/openapi.json', { schema: { response: { 200: OpenApiDocument } } }, async () => app.swagger() as OpenApiDocument);
}
