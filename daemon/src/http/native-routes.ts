import {
  ConnectRequest,
  DisconnectRequest,
  EndpointCreate,
  EndpointParams,
  IdOrNameParam,
  JoinRequest,
  NetParam,
  NetworkCreate,
  SandboxCreate,
} from '@patchbay/api';
import { isPatchbayError, PatchbayError } from '@patchbay/errors';
import type { FastifyInstance } from 'fastify';
import type { Controller } from '../controller/index.js';
import { parse } from './errors.js';
import { createViews } from './views.js';

/** The native API under /v1: thin handlers, DTO in → controller → DTO out. */
export function registerNativeRoutes(app: FastifyInstance, controller: Controller, version: string) {
  const views = createViews(controller);
  const started = Date.now();

  app.get('/v1/health', async () => ({
    status: 'ok' as const,
    version,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
    networks: controller.networks.list().length,
    sandboxes: controller.sandboxes.list().length,
    endpoints: controller.endpoints.list().length,
  }));

  app.post('/v1/networks', async (req, reply) => {
    const body = parse(NetworkCreate, req.body, 'body');
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
  app.get('/v1/networks', async () => controller.networks.list().map(views.network));
  app.get('/v1/networks/:id', async (req) => views.network(controller.networks.get(parse(IdOrNameParam, req.params, 'path').id)));
  app.delete('/v1/networks/:id', async (req, reply) => {
    await controller.networks.remove(parse(IdOrNameParam, req.params, 'path').id);
    return reply.status(204).send();
  });
  app.get('/v1/networks/:net/ipam', async (req) => views.ipam(controller.networks.get(parse(NetParam, req.params, 'path').net)));

  app.post('/v1/networks/:net/endpoints', async (req, reply) => {
    const { net } = parse(NetParam, req.params, 'path');
    const body = parse(EndpointCreate, req.body, 'body');
    const ep = await controller.endpoints.create(net, body);
    return reply.status(201).send(views.endpoint(ep));
  });
  app.get('/v1/networks/:net/endpoints', async (req) => controller.endpoints.list(parse(NetParam, req.params, 'path').net).map((e) => views.endpoint(e)));
  app.get('/v1/networks/:net/endpoints/:ep', async (req) => {
    const { net, ep } = parse(EndpointParams, req.params, 'path');
    return views.endpoint(controller.endpoints.get(net, ep));
  });
  app.delete('/v1/networks/:net/endpoints/:ep', async (req, reply) => {
    const { net, ep } = parse(EndpointParams, req.params, 'path');
    await controller.endpoints.remove(net, ep);
    return reply.status(204).send();
  });
  app.post('/v1/networks/:net/endpoints/:ep/join', async (req) => {
    const { net, ep } = parse(EndpointParams, req.params, 'path');
    const body = parse(JoinRequest, req.body, 'body');
    return views.endpoint(await controller.endpoints.join(net, ep, body.sandbox));
  });
  app.post('/v1/networks/:net/endpoints/:ep/leave', async (req) => {
    const { net, ep } = parse(EndpointParams, req.params, 'path');
    return views.endpoint(await controller.endpoints.leave(net, ep));
  });
  app.post('/v1/networks/:net/connect', async (req, reply) => {
    const { net } = parse(NetParam, req.params, 'path');
    const { sandbox, ...rest } = parse(ConnectRequest, req.body, 'body');
    return reply.status(201).send(views.endpoint(await controller.endpoints.connect(net, sandbox, rest)));
  });
  app.post('/v1/networks/:net/disconnect', async (req, reply) => {
    const { net } = parse(NetParam, req.params, 'path');
    const body = parse(DisconnectRequest, req.body, 'body');
    await controller.endpoints.disconnect(net, body.sandbox, body.force);
    return reply.status(204).send();
  });
  app.get('/v1/endpoints', async () => controller.endpoints.list().map((e) => views.endpoint(e)));

  app.post('/v1/sandboxes', async (req, reply) => {
    const body = parse(SandboxCreate, req.body, 'body');
    return reply.status(201).send(views.sandbox(await controller.sandboxes.create(body)));
  });
  app.get('/v1/sandboxes', async () => controller.sandboxes.list().map(views.sandbox));
  app.get('/v1/sandboxes/:id', async (req) => views.sandbox(controller.sandboxes.get(parse(IdOrNameParam, req.params, 'path').id)));
  app.delete('/v1/sandboxes/:id', async (req, reply) => {
    await controller.sandboxes.remove(parse(IdOrNameParam, req.params, 'path').id);
    return reply.status(204).send();
  });

  app.get('/v1/firewall/plan', async (_req, reply) => reply.type('text/plain').send(controller.firewall.plan(controller.fwModel())));
  app.get('/v1/firewall/rules', async (_req, reply) => reply.type('text/plain').send((await controller.firewall.show()) ?? ''));
}
