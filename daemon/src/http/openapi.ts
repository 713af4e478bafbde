import { OpenApiDocument } from '@patchbay/api';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { createJsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { useZodSchemas } from './schema.js';

/** The path prefix of the routes the native document describes. */
export const NATIVE_PREFIX = '/v1/';

/** The routes an app registered since registerOpenApi, and how to describe them. */
interface Recorded {
  version: string;
  prefix: string;
  routes: RouteOptions[];
  /** its routes are all registered (fastify's onReady ran) */
  ready: boolean;
}
const recorded = new WeakMap<FastifyInstance, Recorded>();

/**
 * The OpenAPI 3.1 document of the routes of `app` under `prefix`, generated from the zod schemas
 * the routes declare (no second description). Register before the routes: it records them as
 * they are added (as @fastify/swagger would: HEAD routes left out). Other routes (Docker's API)
 * are left out; so are routes without schemas (test seams). The native app's document is the one
 * served; another front door (the CNI API, the Docker
 * plugin) registers its own to have its paths merged into it
 * (registerOpenApiRoute).
 *
 * Only the recording happens here: @fastify/swagger and its dependencies (about 1.5 MB of an idle
 * daemon's memory) are loaded when the document is first asked for (openApiDocument).
 */
export function registerOpenApi(app: FastifyInstance, version: string, prefix = NATIVE_PREFIX) {
  const rec: Recorded = { version, prefix, routes: [], ready: false };
  recorded.set(app, rec);
  app.addHook('onRoute', (route) => {
    if (route.method !== 'HEAD') rec.routes.push(route);
  });
  app.addHook('onReady', async () => {
    rec.ready = true;
  });
}

/**
 * The document of the routes `app` recorded: @fastify/swagger on an instance of its own that
 * holds the same routes (same methods, URLs and schemas; handlers that are never called), so the
 * document is the one swagger would have collected on `app` itself.
 */
export async function openApiDocument(app: FastifyInstance): Promise<OpenApiDocument> {
  const rec = recorded.get(app);
  if (!rec) throw new Error('registerOpenApi was not called on this app');
  const { default: fastifySwagger } = await import('@fastify/swagger');
  const zodTransform = createJsonSchemaTransform({});
  const describer = Fastify({ exposeHeadRoutes: false });
  useZodSchemas(describer);
  await describer.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'patchbay native API',
        version: rec.version,
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
      if (!route.url.startsWith(rec.prefix) || route.schema === undefined) return { schema: { hide: true }, url: route.url };
      return zodTransform(route);
    },
  });
  const unused = async () => undefined;
  for (const r of rec.routes) describer.route({ method: r.method, url: r.url, ...(r.schema ? { schema: r.schema } : {}), ...(r.config ? { config: r.config } : {}), handler: unused });
  await describer.ready();
  const document = describer.swagger() as OpenApiDocument;
  await describer.close();
  return document;
}

/**
 * GET /v1/openapi.json: the document (built once, on the first request), with the paths of the
 * front doors served beside this app (each registered registerOpenApi with its own prefix).
 * `root` is the app registerOpenApi recorded; `app` may be a plugin context of it.
 */
export function registerOpenApiRoute(app: FastifyInstance, root: FastifyInstance, frontDoors: readonly FastifyInstance[] = []) {
  let document: Promise<OpenApiDocument> | undefined;
  const build = async (ready: readonly FastifyInstance[]): Promise<OpenApiDocument> => {
    const [own, ...doors] = await Promise.all([root, ...ready].map(openApiDocument));
    const paths = Object.assign({}, own!.paths, ...doors.map((door) => door.paths));
    return { ...own!, paths };
  };
  app.withTypeProvider<ZodTypeProvider>().get('/v1/openapi.json', { schema: { response: { 200: OpenApiDocument } } }, async () => {
    if (document) return document;
    // a front door still starting (the Docker plugin is served after the API) has not all its routes yet
    const ready = frontDoors.filter((door) => recorded.get(door)?.ready === true);
    const built = build(ready);
    // kept only when complete; a failed build is tried again on the next request
    if (ready.length === frontDoors.length) document = built.catch((err: unknown) => {
      document = undefined;
      throw err;
    });
    return built;
  });
}
