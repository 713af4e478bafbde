import {
  PluginConnectivityRequest,
  PluginCreateEndpointRequest,
  PluginCreateEndpointResponse,
  PluginCreateNetworkRequest,
  PluginDefaultAddressSpaces,
  PluginDiscoveryRequest,
  PluginEndpointRef,
  PluginIpamCapabilities,
  PluginIpamDriverError,
  PluginJoinRequest,
  PluginJoinResponse,
  PluginNetworkCapabilities,
  PluginNetworkDriverError,
  PluginNetworkRef,
  PluginOperInfoResponse,
  PluginActivateResponse,
  PluginReleaseAddressRequest,
  PluginReleasePoolRequest,
  PluginRequestAddressRequest,
  PluginRequestAddressResponse,
  PluginRequestPoolRequest,
  PluginRequestPoolResponse,
} from '@patchbay/api';
import { PatchbayError } from '@patchbay/errors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z, type ZodType } from 'zod';
import type { Controller } from '../controller/index.js';
import { VERSION } from '../http/app.js';
import { zodMessage } from '../http/errors.js';
import { registerOpenApi } from '../http/openapi.js';
import { createZodValidatorCompiler, useZodSchemas, type ZodTypeProvider } from '../http/schema.js';
import { createPluginContext, type PluginContext } from './context.js';
import { createEndpoint, deleteEndpoint, join, leave, operInfo } from './endpoints.js';
import { interfaceOf, toPluginError } from './errors.js';
import { releaseAddress, releasePool, requestAddress, requestPool } from './ipam.js';
import { createNetwork, deleteNetwork } from './networks.js';
import { lazyRequestLogger } from '../lazy-logger.js';

const BODY_LIMIT = 1024 * 1024;
const Empty = z.object({});

const validatorCompiler = createZodValidatorCompiler((err, part) => new PatchbayError('PB_ERR_INVALID', `malformed request from dockerd: ${zodMessage(err, part)}`));

/**
 * Docker's remote network driver and remote IPAM driver (the plugin protocol of dockerd 20.10):
 * its own fastify instance, served on its own root-only unix socket (see socket.ts), never on the
 * daemon's API sockets. Every call is `POST /<Interface>.<Method>`; bodies come without a content
 * type. The routes only translate to controller calls (endpoints.attach/detach, the IPAM service).
 * The routes declare their zod schemas, and their OpenAPI paths join the daemon's document
 * (buildApp's frontDoors) when the plugin is served.
 */
export function buildDockerPluginApp({ controller, log }: { controller: Controller; log: Logger }): FastifyInstance {
  const pluginLog = log.child({ component: 'docker-plugin' });
  const app: FastifyInstance = Fastify({
    loggerInstance: pluginLog as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    return503OnClosing: false,
  });
  useZodSchemas(app, validatorCompiler);
  registerOpenApi(app, VERSION, '/');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new PatchbayError('PB_ERR_INVALID', 'malformed request from dockerd: the body is not valid JSON'), undefined);
    }
  });
  // dockerd sends no Content-Type: read every body as JSON
  app.addHook('onRequest', async (req) => {
    if (req.headers['content-type'] === undefined) req.headers['content-type'] = 'application/json';
  });
  app.setErrorHandler((err: unknown, req, reply) => {
    const { status, body } = toPluginError(err, interfaceOf(req.url));
    if (status >= 500) req.log.error({ err, call: req.url }, 'plugin call failed');
    else req.log.info({ call: req.url, reason: 'Err' in body ? body.Err : body.Error }, 'plugin call refused');
    void reply.status(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { status, body } = toPluginError(new PatchbayError('PB_ERR_NOT_FOUND', `${req.url.split('?')[0]!.slice(1)} is not implemented by the patchbay plugin`), interfaceOf(req.url));
    void reply.status(status === 200 ? 200 : 404).type('application/json').send(body);
  });
  const ctx = createPluginContext(controller, pluginLog);
  // after the OpenAPI plugin, which collects the routes registered after it
  void app.register(async (api) => registerRoutes(api.withTypeProvider<ZodTypeProvider>(), ctx));
  keepDockerUserInLine(app, ctx);
  return app;
}

/**
 * DOCKER-USER follows patchbay's bridges: at start, when any door makes or removes a network, and
 * at each firewall check interval (dockerd may have been restarted, or someone flushed the chain).
 */
function keepDockerUserInLine(app: FastifyInstance, ctx: PluginContext) {
  const sync = () => void ctx.dockerUser.sync().catch((err: unknown) => ctx.log.error({ err }, 'could not update DOCKER-USER'));
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    await ctx.dockerUser.sync().catch((err: unknown) => ctx.log.error({ err }, 'could not update DOCKER-USER: traffic on patchbay bridges may be dropped by dockerd\'s FORWARD policy'));
    unsubscribe = ctx.controller.changes.subscribe((c) => {
      if (c.type === 'network.created' || c.type === 'network.removed') sync();
    });
    const every = ctx.controller.core.config.firewallCheckInterval;
    if (every > 0) (timer = setInterval(sync, every * 1000)).unref();
  });
  app.addHook('onClose', async () => {
    unsubscribe?.();
    if (timer) clearInterval(timer);
  });
}

type App = ReturnType<typeof withZod>;
const withZod = (app: FastifyInstance) => app.withTypeProvider<ZodTypeProvider>();

function registerRoutes(app: App, ctx: PluginContext) {
  const NE = { '4xx': PluginNetworkDriverError, '5xx': PluginNetworkDriverError };
  const IE = { 200: PluginIpamDriverError };
  /** One call: its body schema, its answer schema and the handler; each call is logged with its time. */
  const call = <B extends ZodType, R extends ZodType>(path: string, body: B, response: R, errors: object, handler: (body: z.infer<B>) => Promise<z.infer<R>> | z.infer<R>) =>
    app.post(path, { schema: { body, response: { 200: errors === IE ? z.union([PluginIpamDriverError, response]) : response, ...(errors === NE ? NE : {}) } } }, async (req) => {
      const started = process.hrtime.bigint();
      const answer = await handler(req.body as z.infer<B>);
      ctx.log.debug({ call: path.slice(1), body: req.body, answer, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'plugin call');
      return answer;
    });

  call('/Plugin.Activate', Empty, PluginActivateResponse, NE, () => ({ Implements: ['NetworkDriver', 'IpamDriver'] }));

  call('/NetworkDriver.GetCapabilities', Empty, PluginNetworkCapabilities, NE, () => ({ Scope: 'local' as const, ConnectivityScope: 'local' as const }));
  call('/NetworkDriver.CreateNetwork', PluginCreateNetworkRequest, Empty, NE, async (b) => (await createNetwork(ctx, b), {}));
  call('/NetworkDriver.DeleteNetwork', PluginNetworkRef, Empty, NE, async (b) => (await deleteNetwork(ctx, b.NetworkID), {}));
  call('/NetworkDriver.CreateEndpoint', PluginCreateEndpointRequest, PluginCreateEndpointResponse, NE, (b) => createEndpoint(ctx, b));
  call('/NetworkDriver.DeleteEndpoint', PluginEndpointRef, Empty, NE, async (b) => (await deleteEndpoint(ctx, b), {}));
  call('/NetworkDriver.EndpointOperInfo', PluginEndpointRef, PluginOperInfoResponse, NE, (b) => operInfo(ctx, b));
  call('/NetworkDriver.Join', PluginJoinRequest, PluginJoinResponse, NE, (b) => join(ctx, b));
  call('/NetworkDriver.Leave', PluginEndpointRef, Empty, NE, async (b) => (await leave(ctx, b), {}));
  // published ports go live with the join, on every network the container is on (not only the gateway's)
  call('/NetworkDriver.ProgramExternalConnectivity', PluginConnectivityRequest, Empty, NE, () => ({}));
  call('/NetworkDriver.RevokeExternalConnectivity', PluginEndpointRef, Empty, NE, () => ({}));
  call('/NetworkDriver.DiscoverNew', PluginDiscoveryRequest, Empty, NE, () => ({}));
  call('/NetworkDriver.DiscoverDelete', PluginDiscoveryRequest, Empty, NE, () => ({}));

  call('/IpamDriver.GetCapabilities', Empty, PluginIpamCapabilities, IE, () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }));
  call('/IpamDriver.GetDefaultAddressSpaces', Empty, PluginDefaultAddressSpaces, IE, () => {
    const spaces = ctx.controller.core.ipam.defaultAddressSpaces();
    return { LocalDefaultAddressSpace: spaces.local, GlobalDefaultAddressSpace: spaces.global };
  });
  call('/IpamDriver.RequestPool', PluginRequestPoolRequest, PluginRequestPoolResponse, IE, (b) => requestPool(ctx, b));
  call('/IpamDriver.ReleasePool', PluginReleasePoolRequest, Empty, IE, async (b) => (await releasePool(ctx, b.PoolID), {}));
  call('/IpamDriver.RequestAddress', PluginRequestAddressRequest, PluginRequestAddressResponse, IE, (b) => requestAddress(ctx, b));
  call('/IpamDriver.ReleaseAddress', PluginReleaseAddressRequest, Empty, IE, async (b) => (await releaseAddress(ctx, b.PoolID, b.Address), {}));
}
