import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Controller } from '../controller/index.js';
import { installErrorHandler } from './errors.js';
import { registerNativeRoutes } from './native-routes.js';
import { registerOpenApi, registerOpenApiRoute } from './openapi.js';
import { useZodSchemas } from './schema.js';
import { registerSystemRoutes } from './system-routes.js';
import { lazyRequestLogger } from '../lazy-logger.js';

export const VERSION = '0.1.0';
export const BODY_LIMIT = 1024 * 1024;

export interface AppOptions {
  controller: Controller;
  log: Logger;
  /** extra route sets (the Docker-compatible API registers here) */
  plugins?: ((app: FastifyInstance) => void)[];
  /** apps served beside this one (the CNI API on the unix sockets): their routes join the OpenAPI document */
  frontDoors?: FastifyInstance[];
}

/** Builds the HTTP app; tests use it through app.inject(). */
export function buildApp({ controller, log, plugins = [], frontDoors = [] }: AppOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger, bodyLimit: BODY_LIMIT, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: lazyRequestLogger, return503OnClosing: true });
  // An empty body on a JSON POST counts as {} (clients such as docker send none for some calls).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      const err = new Error('request body is not valid JSON') as Error & { statusCode: number; code: string };
      err.statusCode = 400;
      err.code = 'PB_ERR_INVALID';
      done(err, undefined);
    }
  });
  useZodSchemas(app);
  installErrorHandler(app, (_req, body) => ({ message: body.message, code: body.code }));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    // Outside /v1 the caller speaks Docker's API: its 404 body, with the type exactly application/json
    // (a Buffer, because fastify appends a charset to JSON strings).
    if (path !== '/v1' && !path.startsWith('/v1/')) return void reply.status(404).type('application/json').send(Buffer.from('{"message":"page not found"}'));
    void reply.status(404).type('application/json').send({ message: `no route for ${req.method} ${path}`, code: 'PB_ERR_NOT_FOUND' });
  });
  // The document collects routes as they are added: it is registered first, the routes after it.
  registerOpenApi(app, VERSION);
  void app.register(async (api) => {
    registerNativeRoutes(api, controller, VERSION);
    registerSystemRoutes(api, controller);
    registerOpenApiRoute(api, app, frontDoors);
  });
  for (const plugin of plugins) plugin(app);
  return app;
}
