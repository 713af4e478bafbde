import type { Endpoint, IpamView, Network, Sandbox } from '@patchbay/api';

/** Objects shaped like the daemon's answers, for fake-daemon routes. */
export const hex = (c: string) => c.repeat(64).slice(0, 64);

export function network(over: Partial<Network> = {}): Network {
  return {
    id: hex('a1'),
    name: 'front',
    driver: 'bridge',
    scope: 'local',
    created: '2024-05-01T10:00:00.000Z',
    internal: false,
    attachable: false,
    enableIPv6: false,
    predefined: false,
    bridge: 'pb-a1a1a1a1a1',
    ipam: { driver: 'default', options: {}, config: [{ subnet: '10.1.0.0/24', gateway: '10.1.0.1' }] },
    options: {},
    labels: {},
    endpointCount: 0,
    ...over,
  };
}

export function sandbox(over: Partial<Sandbox> = {}): Sandbox {
  return {
    id: hex('b2'),
    name: 'web',
    containerId: 'web',
    key: '/run/netns/pb-b2b2b2b2b2b2',
    external: false,
    created: '2024-05-01T10:00:01.000Z',
    endpoints: [],
    ...over,
  };
}

export function endpoint(over: Partial<Endpoint> = {}): Endpoint {
  return {
    id: hex('c3'),
    name: 'web-front',
    networkId: hex('a1'),
    networkName: 'front',
    sandboxId: hex('b2'),
    ifName: 'eth0',
    hostIfName: 'vethc3c3c3',
    ipv4Address: '10.1.0.2/24',
    ipv6Address: null,
    macAddress: '02:42:0a:01:00:02',
    gateway: '10.1.0.1',
    ports: [],
    aliases: [],
    created: '2024-05-01T10:00:02.000Z',
    ...over,
  };
}

export function ipamView(over: Partial<IpamView> = {}): IpamView {
  return {
    network: 'front',
    networkId: hex('a1'),
    driver: 'default',
    subnets: [
      {
        subnet: '10.1.0.0/24',
        gateway: '10.1.0.1',
        total: 256,
        used: 4,
        free: 252,
        allocations: [
          { address: '10.1.0.1', kind: 'gateway', owner: 'front' },
          { address: '10.1.0.2', kind: 'endpoint', owner: 'web-front', ownerId: hex('c3') },
        ],
      },
    ],
    ...over,
  };
}
