import { DOCKER_API } from './dockerd.js';
import type { UnixHttpClient } from './http.js';
import type { NetworkSide, SideKey } from './sides.js';

/**
 * One client for both Engine APIs, dockerd's and patchbay's Docker-compatible one: the same
 * requests, paths and bodies the docker CLI sends, over each daemon's unix socket. Only making
 * the container differs (a patchbay "container" is a sandbox; dockerd runs `mini`, `sleep`).
 */
export interface DockerApiPeer {
  readonly key: Extract<SideKey, 'patchbay' | 'dockerd'>;
  readonly client: UnixHttpClient;
  /** untimed: a running container attached to network `base`; returns its id */
  makeContainer(name: string, base: string): Promise<string>;
  removeContainer(id: string): Promise<void>;
}

const api = (path: string) => `${DOCKER_API}${path}`;

export function dockerNetworkCreate(client: UnixHttpClient, name: string, subnet: string): Promise<{ Id: string }> {
  return client.call<{ Id: string }>('POST', api('/networks/create'), { Name: name, Driver: 'bridge', CheckDuplicate: true, IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] } });
}

export const dockerNetworkDelete = (client: UnixHttpClient, id: string) => client.call('DELETE', api(`/networks/${id}`));

export const dockerConnect = (client: UnixHttpClient, network: string, container: string) =>
  client.call('POST', api(`/networks/${network}/connect`), { Container: container, EndpointConfig: {} });

export const dockerDisconnect = (client: UnixHttpClient, network: string, container: string) =>
  client.call('POST', api(`/networks/${network}/disconnect`), { Container: container, Force: false });

/** Network create/delete through the Engine API. */
export function createDockerApiNetworkSide(peer: DockerApiPeer, o: { namePrefix: string; subnetOf: (index: number) => string }): NetworkSide {
  const ids = new Map<number, string>();
  return {
    key: peer.key,
    async createNetwork(index) {
      ids.set(index, (await dockerNetworkCreate(peer.client, `${o.namePrefix}${index}`, o.subnetOf(index))).Id);
    },
    async deleteNetwork(index) {
      await dockerNetworkDelete(peer.client, ids.get(index) ?? `${o.namePrefix}${index}`);
      ids.delete(index);
    },
  };
}

/** Connect and disconnect of one running container to one network, over and over (`docker network connect/disconnect`). */
export interface ReconnectSide {
  readonly key: DockerApiPeer['key'];
  setup(): Promise<void>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * The container sits on network `<prefix>base` (its first interface, as a container started on a
 * network has); the timed calls connect it to `<prefix>net` and disconnect it again.
 */
export function createReconnectSide(peer: DockerApiPeer, o: { prefix: string; baseSubnet: string; subnet: string }): ReconnectSide {
  let base = '';
  let net = '';
  let container = '';
  return {
    key: peer.key,
    async setup() {
      base = (await dockerNetworkCreate(peer.client, `${o.prefix}base`, o.baseSubnet)).Id;
      net = (await dockerNetworkCreate(peer.client, `${o.prefix}net`, o.subnet)).Id;
      container = await peer.makeContainer(`${o.prefix}mini`, base);
    },
    connect: () => dockerConnect(peer.client, net, container).then(() => undefined),
    disconnect: () => dockerDisconnect(peer.client, net, container).then(() => undefined),
    async teardown() {
      if (container) await peer.removeContainer(container);
      for (const id of [net, base]) if (id) await dockerNetworkDelete(peer.client, id);
    },
  };
}

/** dockerd: `mini` (busybox-static, imported) running `sleep`, started on the base network. */
export function dockerdPeer(client: UnixHttpClient): DockerApiPeer {
  return {
    key: 'dockerd',
    client,
    async makeContainer(name, base) {
      const created = await client.call<{ Id: string }>('POST', api(`/containers/create?name=${name}`), {
        Image: 'mini',
        Cmd: ['sleep', '1000000'],
        HostConfig: { NetworkMode: base },
      });
      await client.call('POST', api(`/containers/${created.Id}/start`));
      return created.Id;
    },
    async removeContainer(id) {
      await client.call('DELETE', api(`/containers/${id}?force=true`));
    },
  };
}

/** patchbay: a sandbox (its "container") made through the native API, joined to the base network through the Engine API. */
export function patchbayDockerPeer(client: UnixHttpClient): DockerApiPeer {
  return {
    key: 'patchbay',
    client,
    async makeContainer(name, base) {
      const sb = await client.call<{ id: string }>('POST', '/v1/sandboxes', { name });
      await dockerConnect(client, base, sb.id);
      return sb.id;
    },
    async removeContainer(id) {
      await client.call('DELETE', `/v1/sandboxes/${id}`);
    },
  };
}
