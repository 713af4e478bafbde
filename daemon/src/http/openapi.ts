import fastifySwagger from '@fastify/swagger';
import { OpenApiDocument } from '@patchbay/api';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';

/** The path prefix of the routes the native document describes. */
export const NATIVE_PREFIX = '/v1/';

/**
 * The OpenAPI 3.1 document of the routes of `app` under `prefix`, generated from the zod schemas
 * the routes declare (no second description). Register before the routes: it collects them as
 * they are added. Other routes (Docker's API) are left out; so are routes without schemas (test
 * seams). The native app's document is the one served; another front door (the CNI API, the Docker
 * plugin) registers its own to have its paths merged into it (registerOpenApiRoute).
 */
export function registerOpenApi(app: FastifyInstance, version: string, prefix = NATIVE_PREFIX) {
  const zodTransform = createJsonSchemaTransform({});
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'patchbay native API',
        version,
        description:
          'The native API of patchbayd under /v1, and the CNI front door POST /cni/v1/exec (served on the unix sockets only, ' +
          'where the patchbay CNI plugin sends its one request; its errors are CNI error objects). When the Docker plugin is ' +
          'served (/run/docker exists), its remote network and IPAM driver calls POST /Plugin.Activate, /NetworkDriver.* and ' +
          '/IpamDriver.* too: those are served on the plugin socket /run/docker/plugins/patchbay.sock only, with no content ' +
          'type expected, and answer errors as {Err} (network driver) or {Error} (IPAM driver). The Docker-compatible ' +
          'routes are described by Docker. Native errors are {message, code}.',
      },
    },
    transform: (route) => {
      if (!route.url.startsWith(prefix) || route.schema === undefined) return { schema: { hide: true }, url: route.url };
      return zodTransform(route);
    },
  });
}

/**
 * GET /v1/openapi.json: the document (built once, on the first request), with the paths of the
 * front doors served beside this app (each registered registerOpenApi with its own prefix).
 */
export function registerOpenApiRoute(app: FastifyInstance, frontDoors: readonly FastifyInstance[] = []) {
  let document: OpenApiDocument | undefined;
  const build = (): OpenApiDocument => {
    const own = app.swagger() as OpenApiDocument;
    // a front door still starting (the Docker plugin is served after the API) has no document yet
    const ready = frontDoors.filter((door) => typeof door.swagger === 'function');
    const paths = Object.assign({}, own.paths, ...ready.map((door) => (door.swagger() as OpenApiDocument).paths));
    const built = { ...own, paths };
    if (ready.length === frontDoors.length) document = built;
    return built;
  };
  app.withTypeProvider<ZodTypeProvider>().get('/v1/openapi.json', { schema: { response: { 200: OpenApiDocument } } }, async () => document ?? build());
}
