import type { FirewallModel, FirewallNetwork, FirewallPort } from '../src/firewall/index.js';

/** Models shared by the golden tests (daemon/test/golden/firewall-<name>.nft) and the integration test. */

export const defaultBridge: FirewallNetwork = {
  id: 'd'.repeat(64), name: 'bridge', bridge: 'docker0', subnets: ['172.17.0.0/16'], internal: false, icc: true, masquerade: true,
};
export const userNetwork: FirewallNetwork = {
  id: '1a2b3c4d5e6f'.padEnd(64, '0'), name: 'app', bridge: 'br-1a2b3c4d5e6f', subnets: ['172.18.0.0/16', 'fd00:18::/64'],
  internal: false, icc: true, masquerade: true,
};
export const internalNetwork: FirewallNetwork = {
  id: 'i'.repeat(64), name: 'backend', bridge: 'br-internal', subnets: ['10.0.3.0/24'], internal: true, icc: true, masquerade: true,
};
export const iccOffNetwork: FirewallNetwork = {
  id: 'c'.repeat(64), name: 'quiet', bridge: 'br-quiet', subnets: ['10.0.4.0/24', 'fd00:4::/64'], internal: false, icc: false, masquerade: true,
};
export const unmasqueradedNetwork: FirewallNetwork = {
  id: 'u'.repeat(64), name: 'routed', bridge: 'br-routed', subnets: ['10.0.5.0/24'], internal: false, icc: true, masquerade: false,
  hostBindingIpv4: '10.250.0.1',
};

export const web: FirewallPort = {
  endpointId: 'ep-web', bridge: 'docker0', containerIp: '172.17.0.2', containerPort: 80, hostPort: 8080, protocol: 'tcp',
};
export const dns: FirewallPort = {
  endpointId: 'ep-dns', bridge: 'docker0', containerIp: '172.17.0.3', containerPort: 53, hostIp: '10.250.0.1', hostPort: 5353, protocol: 'udp',
};
export const sctp: FirewallPort = {
  endpointId: 'ep-web', bridge: 'docker0', containerIp: '172.17.0.2', containerPort: 9000, hostIp: '', hostPort: 9000, protocol: 'sctp',
};
export const web6: FirewallPort = {
  endpointId: 'ep-app', bridge: 'br-1a2b3c4d5e6f', containerIp: 'fd00:18::2', containerPort: 443, hostIp: 'fd00::1', hostPort: 8443, protocol: 'tcp',
};
export const bound: FirewallPort = {
  endpointId: 'ep-routed', bridge: 'br-routed', containerIp: '10.0.5.2', containerPort: 22, hostPort: 2222, protocol: 'tcp',
};
export const onInternal: FirewallPort = {
  endpointId: 'ep-db', bridge: 'br-internal', containerIp: '10.0.3.2', containerPort: 5432, hostPort: 5432, protocol: 'tcp',
};

export const goldenModels: Record<string, FirewallModel> = {
  'default-bridge': { networks: [defaultBridge], ports: [] },
  'user-network': { networks: [userNetwork], ports: [] },
  'internal': { networks: [internalNetwork], ports: [onInternal] },
  'icc-off': { networks: [iccOffNetwork], ports: [] },
  'ports': { networks: [defaultBridge, userNetwork, unmasqueradedNetwork], ports: [web, dns, sctp, web6, bound] },
  'two-networks': { networks: [defaultBridge, userNetwork], ports: [] },
  'empty': { networks: [], ports: [] },
};
