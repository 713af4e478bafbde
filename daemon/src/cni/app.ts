import { CNI_LATEST, CNI_VERSIONS, CniErrorBody, CniExecAnswer, CniExecRequest, NoContent } from '@patchbay/api';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Controller } from '../controller/index.js';
import { VERSION } from '../http/app.js';
import { zodMessage } from '../http/errors.js';
import { registerOpenApi } from '../http/openapi.js';
import { createZodValidatorCompiler, useZodSchemas, type ZodTypeProvider } from '../http/schema.js';
import { cniAdd } from './add.js';
import { cniCheck } from './check.js';
import { cniDel } from './del.js';
import { cniError, toCniError } from './errors.js';
import { cniGc } from './gc.js';
import { parseCall, replyVersion } from './request.js';
import { formatResult } from './result.js';
import { cniStatus } from './status.js';
import { lazyRequestLogger } from '../lazy-logger.js';

/** stdin is at most 1 MiB; escaped as a JSON string it can grow up to six times. */
const BODY_LIMIT = 8 * 1024 * 1024;
export const CNI_EXEC_PATH = '/cni/v1/exec';

/** A request the plugin binary would never send: CNI's "failed to decode". */
const validatorCompiler = createZodValidatorCompiler((err, part) => cniError('PB_ERR_CNI_DECODE', `malformed request from the plugin: ${zodMessage(err, part)}`));
const EXEC_SCHEMA = {
  summary: 'One exec of the patchbay CNI plugin: its CNI_* environment and stdin (unix socket only)',
  body: CniExecRequest,
  response: { 200: CniExecAnswer, 204: NoContent, '4xx': CniErrorBody, '5xx': CniErrorBody },
};

/**
 * The CNI front door: its own fastify instance, served on the daemon's unix sockets only (see
 * listen.ts: TCP listeners never route to it). One route: the plugin binary posts the CNI_*
 * environment and its stdin; 2xx answers carry the result (or nothing), any other status a CNI
 * error object `{cniVersion, code, msg, details}`. The route declares its zod schemas, and its
 * OpenAPI paths join the daemon's document (buildApp's frontDoors).
 */
export function buildCniApp({ controller, log }: { controller: Controller; log: Logger }): FastifyInstance {
  const cniLog = log.child({ component: 'cni' });
  const app: FastifyInstance = Fastify({
    loggerInstance: cniLog as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    // listeners close before the app: a plugin that cannot connect reports "try again later"
    return503OnClosing: false,
  });
  useZodSchemas(app, validatorCompiler);
  registerOpenApi(app, VERSION, '/cni/');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(cniError('PB_ERR_CNI_DECODE', 'the request from the plugin is not valid JSON'), undefined);
    }
  });
  app.setErrorHandler((err: unknown, req, reply) => {
    const { status, body } = toCniError(err, replyVersion((req.body as { stdin?: unknown } | undefined)?.stdin));
    if (status >= 500 && body.code !== 11 && body.code !== 50) req.log.error({ err }, 'CNI request failed');
    else req.log.info({ code: body.code, msg: body.msg }, 'CNI request refused');
    void reply.status(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).type('application/json').send({ cniVersion: CNI_LATEST, code: 101, msg: `no route for ${req.method} ${req.url.split('?')[0]}`, details: 'PB_ERR_NOT_FOUND' });
  });

  // after the OpenAPI plugin, which collects the routes registered after it
  void app.register(async (api) => registerExecRoute(api, controller, cniLog));
  return app;
}

/** POST /cni/v1/exec: one exec of the plugin, dispatched on CNI_COMMAND. */
function registerExecRoute(app: FastifyInstance, controller: Controller, cniLog: Logger) {
  app.withTypeProvider<ZodTypeProvider>().post(CNI_EXEC_PATH, { schema: EXEC_SCHEMA }, async (req, reply) => {
    const call = parseCall(req.body);
    const version = call.config.cniVersion;
    const started = process.hrtime.bigint();
    const done = (extra: Record<string, unknown> = {}) =>
      cniLog.info({ command: call.command, containerId: call.containerId, ifName: call.ifName, network: call.config.network ?? call.config.name, ms: Number(process.hrtime.bigint() - started) / 1e6, ...extra }, 'CNI');
    switch (call.command) {
      case 'VERSION':
        return reply.send({ cniVersion: CNI_LATEST, supportedVersions: CNI_VERSIONS });
      case 'ADD': {
        const result = formatResult(await cniAdd(controller, call), version);
        done();
        return reply.send(result);
      }
      case 'DEL':
        await cniDel(controller, call);
        done();
        return reply.status(204).send();
      case 'CHECK':
        await cniCheck(controller, call);
        return reply.status(204).send();
      case 'GC':
        done(await cniGc(controller, call));
        return reply.status(204).send();
      case 'STATUS':
        await cniStatus(controller, call);
        return reply.status(204).send();
    }
  });
}
