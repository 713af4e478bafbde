import { DockerNetwork, DockerNetworkConnect, DockerNetworkCreate, DockerNetworkCreateResponse, DockerNetworkDisconnect, NoContent } from '@patchbay/api';
import { isPatchbayError, PatchbayError } from '@patchbay/errors';
import type { Controller } from '../controller/index.js';
import type { ConnectInput } from '../controller/endpoints.js';
import { toCreateNetworkInput } from './create-input.js';
import { parseFilters } from './filters.js';
import { filterNetworks } from './network-filters.js';
import { createDockerViews } from './network-view.js';
import { z } from 'zod';
import { apiVersionOf, DOCKER_ERRORS, findContainer, idParam, noSuchContainer, parseGoBool, queryParam, type DockerHandler, type DockerRoute } from './request.js';
import { versionLessThan } from './version.js';

/** GET/POST/DELETE /networks…: Docker's network routes over the controller. */
export function registerNetworkRoutes(route: DockerRoute, controller: Controller) {
  const views = createDockerViews(controller);
  const { store } = controller.core;

  const listSchema = { response: { 200: z.array(DockerNetwork), ...DOCKER_ERRORS } };
  const list: DockerHandler<typeof listSchema> = async (req) => {
    const args = parseFilters(queryParam(req, 'filters'));
    // Since API 1.28 the list leaves Containers empty; older clients get the detailed form.
    const withContainers = versionLessThan(apiVersionOf(req), '1.28');
    const all = controller.networks.list().map((n) => ({
      view: views.network(n, { withContainers }),
      predefined: n.predefined,
      endpointCount: store.endpointCount(n.id),
    }));
    return filterNetworks(all, args).map((n) => n.view);
  };
  route('GET', '/networks', listSchema, list);
  route('GET', '/networks/', listSchema, list);

  route('GET', '/networks/:id', { response: { 200: DockerNetwork, ...DOCKER_ERRORS } }, async (req) => {
    const id = idParam(req);
    const verbose = queryParam(req, 'verbose');
    if (verbose !== '' && parseGoBool(verbose) === undefined) {
      throw new PatchbayError('PB_ERR_INVALID', `invalid value for verbose: ${verbose}: strconv.ParseBool: parsing ${JSON.stringify(verbose)}: invalid syntax`);
    }
    const scope = queryParam(req, 'scope');
    const view = views.network(controller.networks.get(id), { withContainers: true });
    if (scope !== '' && scope !== view.Scope) throw new PatchbayError('PB_ERR_NETWORK_NOT_FOUND', `network ${id} not found`);
    return view;
  });

  route('POST', '/networks/create', { body: DockerNetworkCreate, response: { 201: DockerNetworkCreateResponse, ...DOCKER_ERRORS } }, async ({ body }, reply) => {
    const net = await controller.networks.create(toCreateNetworkInput(body));
    return reply.status(201).send({ Id: net.id, Warning: '' });
  });

  route('DELETE', '/networks/:id', { response: { 204: NoContent, ...DOCKER_ERRORS } }, async (req, reply) => {
    await controller.networks.remove(idParam(req));
    return reply.status(204).send();
  });

  route('POST', '/networks/:id/connect', { body: DockerNetworkConnect, response: { 200: NoContent, ...DOCKER_ERRORS } }, async (req, reply) => {
    const { body } = req;
    const ref = body.Container ?? '';
    const sb = findContainer(controller, ref);
    if (!sb) throw noSuchContainer(ref);
    const net = controller.networks.get(idParam(req));
    const cfg = body.EndpointConfig;
    const input: ConnectInput = {};
    if (cfg?.IPAMConfig?.IPv4Address) input.ipv4Address = cfg.IPAMConfig.IPv4Address;
    if (cfg?.IPAMConfig?.IPv6Address) input.ipv6Address = cfg.IPAMConfig.IPv6Address;
    if (cfg?.MacAddress) input.macAddress = cfg.MacAddress;
    if (cfg?.Aliases?.length) input.aliases = cfg.Aliases;
    try {
      await controller.endpoints.connect(net.id, sb.id, input, { staticIpNeedsUserSubnet: true });
    } catch (err) {
      if (isPatchbayError(err) && err.code === 'PB_ERR_ALREADY_CONNECTED') {
        throw new PatchbayError('PB_ERR_FORBIDDEN', `endpoint with name ${sb.name} already exists in network ${net.name}`, { cause: err });
      }
      throw err;
    }
    return reply.status(200).send();
  });

  route('POST', '/networks/:id/disconnect', { body: DockerNetworkDisconnect, response: { 200: NoContent, ...DOCKER_ERRORS } }, async (req, reply) => {
    const { body } = req;
    const ref = body.Container ?? '';
    const sb = findContainer(controller, ref);
    if (sb) {
      await controller.endpoints.disconnect(idParam(req), sb.id, body.Force ?? false);
    } else if (body.Force) {
      // dockerd's ForceEndpointDelete: the container is gone, so the endpoint goes by its name.
      try {
        await controller.endpoints.disconnect(idParam(req), ref, true);
      } catch (err) {
        if (isPatchbayError(err) && err.code === 'PB_ERR_SANDBOX_NOT_FOUND') throw noSuchContainer(ref);
        throw err;
      }
    } else {
      throw noSuchContainer(ref);
    }
    return reply.status(200).send();
  });
}
