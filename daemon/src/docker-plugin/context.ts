import type { Logger } from 'pino';
import type { Controller } from '../controller/index.js';
import { createDockerPluginNetworks, type DockerPluginNetworks, type NetworkRecord } from '../store/index.js';
import { createDockerUserSync, type DockerUserSync } from './docker-user.js';
import { pluginError } from './errors.js';

/** The option (`docker network create -o patchbay.network=NAME`, `--ipam-opt` too) that names an existing patchbay network. */
export const SHARED_NETWORK_OPTION = 'patchbay.network';
/** Endpoints the plugin makes are named `docker-<EndpointID's first 12>` (their id is Docker's). */
export const DOCKER_ENDPOINT_PREFIX = 'docker-';
/** Who asks, in patchbay's IPAM view (owner of Docker's pools and not-yet-used addresses). */
export const DOCKER_OWNER = 'docker';

/** What the plugin's handlers share: the controller, the Docker network map and a logger. */
export interface PluginContext {
  controller: Controller;
  dockerNetworks: DockerPluginNetworks;
  /** DOCKER-USER's accept rules for patchbay's bridges */
  dockerUser: DockerUserSync;
  log: Logger;
}

export function createPluginContext(controller: Controller, log: Logger): PluginContext {
  const bridges = () => controller.fwModel().networks.map((n) => n.bridge);
  return {
    controller,
    dockerNetworks: createDockerPluginNetworks(controller.core.store),
    dockerUser: createDockerUserSync(controller.core.kernel, bridges, log),
    log,
  };
}

/** The patchbay network behind a Docker NetworkID, or PB_ERR_NETWORK_NOT_FOUND. */
export function networkOf(ctx: PluginContext, dockerId: string): NetworkRecord {
  const mapped = ctx.dockerNetworks.get(dockerId);
  const net = mapped ? ctx.controller.core.store.networkById(mapped.networkId) : undefined;
  if (!net) throw pluginError('PB_ERR_NETWORK_NOT_FOUND', `network ${dockerId.slice(0, 12)} is not a patchbay network (unknown to the patchbay driver)`);
  return net;
}
