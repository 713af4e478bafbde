import {
  ConnectRequest,
  DisconnectRequest,
  Endpoint,
  EndpointCreate,
  EndpointParams,
  Health,
  IdOrNameParam,
  IpamView,
  JoinRequest,
  NetParam,
  Network,
  NetworkCreate,
  NoContent,
  Sandbox,
  SandboxCreate,
} from '@patchbay/api';
import { isPatchbayError, PatchbayError } from '@patchbay/errors';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Controller } from '../controller/index.js';
import { ERROR_RESPONSES, listSerializerCompiler as serializerCompiler, type ZodTypeProvider } from './schema.js';
import { createListViews } from './list-views.js';
import { createViews } from './views.js';

const ok = <T>(schema: T) => ({ 200: schema, ...ERROR_RESPONSES });
const created = <T>(schema: T) => ({ 201: schema, ...ERROR_RESPONSES });
const noContent = { 204: NoContent, ...ERROR_RESPONSES };
const text = { 200: { content: { 'text/plain': { schema: z.string() } } }, ...ERROR_RESPONSES };
/** A JSON answer already serialized (a list of thousands of views kept as JSON) goes out as it is. */
const sendJson = (reply: FastifyReply, json: Buffer) => reply.type('application/json; charset=utf-8').send(json);

/** The native API under /v1: thin handlers, DTO in → controller → DTO out; each route declares its schemas. */
export function registerNativeRoutes(app: FastifyInstance, controller: Controller, version: string) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const views = createViews(controller);
  const lists = createListViews(controller, views);
  app.addHook('onClose', async () => lists.close());
  const started = Date.now();

  api.get('/v1/health', { schema: { response: ok(Health) } }, async () => ({
    status: 'ok' as const,
    version,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    ...controller.core.store.counts(),
  }));

  api.post('/v1/networks', { schema: { body: NetworkCreate, response: created(Network) } }, async ({ body }, reply) => {
    const net = await controller.networks.create({
      name: body.name,
      driver: body.driver,
      ipamDriver: body.ipam?.driver ?? 'default',
      ipamConfig: body.ipam?.config ?? [],
      ipamOptions: body.ipam?.options ?? {},
      enableIPv6: body.enableIPv6,
      internal: body.internal,
      attachable: body.attachable,
      options: body.options,
      labels: body.labels,
    }).catch((err: unknown) => {
      // the registry knows the drivers; for this API an unknown one is a bad field, not a missing resource
      throw isPatchbayError(err) && err.code === 'PB_ERR_DRIVER_NOT_FOUND' ? new PatchbayError('PB_ERR_INVALID', `body.driver: ${err.message}`, { cause: err }) : err;
    });
    return reply.status(201).send(views.network(net));
  });
  api.get('/v1/networks', { schema: { response: ok(z.array(Network)) }, serializerCompiler }, async () => controller.networks.list().map(views.network));
  api.get('/v1/networks/:id', { schema: { params: IdOrNameParam, response: ok(Network) } }, async ({ params }) => views.network(controller.networks.get(params.id)));
  api.delete('/v1/networks/:id', { schema: { params: IdOrNameParam, response: noContent } }, async ({ params }, reply) => {
    await controller.networks.remove(params.id);
    return reply.status(204).send();
  });
  api.get('/v1/networks/:net/ipam', { schema: { params: NetParam, response: ok(IpamView) } }, async ({ params }) => views.ipam(controller.networks.get(params.net)));

  api.post('/v1/networks/:net/endpoints', { schema: { params: NetParam, body: EndpointCreate, response: created(Endpoint) } }, async ({ params, body }, reply) => {
    const ep = await controller.endpoints.create(params.net, body);
    return reply.status(201).send(views.endpoint(ep));
  });
  api.get('/v1/networks/:net/endpoints', { schema: { params: NetParam, response: ok(z.array(Endpoint)) }, serializerCompiler }, async ({ params }, reply) =>
    sendJson(reply, lists.endpointsJson(controller.networks.get(params.net).id)),
  );
  api.get('/v1/networks/:net/endpoints/:ep', { schema: { params: EndpointParams, response: ok(Endpoint) } }, async ({ params }) =>
    views.endpoint(controller.endpoints.get(params.net, params.ep)),
  );
  api.delete('/v1/networks/:net/endpoints/:ep', { schema: { params: EndpointParams, response: noContent } }, async ({ params }, reply) => {
    await controller.endpoints.remove(params.net, params.ep);
    return reply.status(204).send();
  });
  api.post('/v1/networks/:net/endpoints/:ep/join', { schema: { params: EndpointParams, body: JoinRequest, response: ok(Endpoint) } }, async ({ params, body }) =>
    views.endpoint(await controller.endpoints.join(params.net, params.ep, body.sandbox)),
  );
  api.post('/v1/networks/:net/endpoints/:ep/leave', { schema: { params: EndpointParams, response: ok(Endpoint) } }, async ({ params }) =>
    views.endpoint(await controller.endpoints.leave(params.net, params.ep)),
  );
  api.post('/v1/networks/:net/connect', { schema: { params: NetParam, body: ConnectRequest, response: created(Endpoint) } }, async ({ params, body }, reply) => {
    const { sandbox, ...rest } = body;
    return reply.status(201).send(views.endpoint(await controller.endpoints.connect(params.net, sandbox, rest)));
  });
  api.post('/v1/networks/:net/disconnect', { schema: { params: NetParam, body: DisconnectRequest, response: noContent } }, async ({ params, body }, reply) => {
    await controller.endpoints.disconnect(params.net, body.sandbox, body.force);
    return reply.status(204).send();
  });
  api.get('/v1/endpoints', { schema: { response: ok(z.array(Endpoint)) }, serializerCompiler }, async (_req, reply) => sendJson(reply, lists.endpointsJson()));

  api.post('/v1/sandboxes', { schema: { body: SandboxCreate, response: created(Sandbox) } }, async ({ body }, reply) =>
    reply.status(201).send(views.sandbox(await controller.sandboxes.create(body))),
  );
  api.get('/v1/sandboxes', { schema: { response: ok(z.array(Sandbox)) }, serializerCompiler }, async (_req, reply) => sendJson(reply, lists.sandboxesJson()));
  api.get('/v1/sandboxes/:id', { schema: { params: IdOrNameParam, response: ok(Sandbox) } }, async ({ params }) => views.sandbox(controller.sandboxes.get(params.id)));
  api.delete('/v1/sandboxes/:id', { schema: { params: IdOrNameParam, response: noContent } }, async ({ params }, reply) => {
    await controller.sandboxes.remove(params.id);
    return reply.status(204).send();
  });

  api.get('/v1/firewall/plan', { schema: { response: text } }, async (_req, reply) => reply.type('text/plain').send(controller.firewall.plan(controller.fwModel())));
  api.get('/v1/firewall/rules', { schema: { response: text } }, async (_req, reply) => reply.type('text/plain').send((await controller.firewall.show()) ?? ''));
}
