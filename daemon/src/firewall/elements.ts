import { conflict, invalid } from '@patchbay/errors';
import { familyOf } from '@patchbay/ip';
import { IFNAME_RE } from '@patchbay/kernel';
import { requireCidr, requireIp } from './address.js';
import type { FirewallModel, FirewallNetwork, FirewallPort } from './model.js';
import type { BridgeSetName, InetSetName, PortMapName } from './schema.js';

/** One set or map element as nft text: `key` alone for sets, `key : value` for maps. */
export interface Element {
  key: string;
  value?: string;
}

export const elementText = (e: Element): string => (e.value === undefined ? e.key : `${e.key} : ${e.value}`);

export interface RulesetElements {
  inet: Record<InetSetName, Element[]>;
  bridge: Record<BridgeSetName, Element[]>;
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);
const quote = (ifname: string) => `"${ifname}"`;

function checkedBridge(name: string, what: string): string {
  if (!IFNAME_RE.test(name)) throw invalid(`${what}: invalid bridge name ${JSON.stringify(name)}`, 'PB_ERR_INVALID_NAME');
  return name;
}

function checkedPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${what}: invalid port ${port}`);
  return port;
}

/** The sets networks fill: every inet set but the DNAT maps, and the bridge table's. */
export type NetworkSetName = Exclude<InetSetName, PortMapName> | BridgeSetName;

/** What the networks put into the sets (every inet set but the DNAT maps, and the bridge table's). */
export interface NetworkElements {
  inet: Record<Exclude<InetSetName, PortMapName>, Element[]>;
  bridge: Record<BridgeSetName, Element[]>;
}

/** One element a network puts into one set. */
export interface NetworkElement {
  set: NetworkSetName;
  element: Element;
}

/** Each network's elements, kept while the network object lives (the daemon keeps one per stored network). */
const elementsKept = new WeakMap<FirewallNetwork, readonly NetworkElement[]>();

/** The elements one network gives (validated: bridge name, subnets), its subnets in address order. */
export function elementsOfNetwork(network: FirewallNetwork): readonly NetworkElement[] {
  const kept = elementsKept.get(network);
  if (kept) return kept;
  const what = `network ${network.name}`;
  const br = quote(checkedBridge(network.bridge, what));
  const subnets = network.subnets.map((s) => requireCidr(s, what)).sort((a, b) => compare(a.cidr, b.cidr));
  const out: NetworkElement[] = [];
  const add = (set: NetworkSetName, key: string, value?: string) => out.push({ set, element: value === undefined ? { key } : { key, value } });
  add('bridges', br);
  add('same_bridge', `${br} . ${br}`, network.icc ? 'accept' : 'drop');
  if (network.internal) add('internal_bridges', br);
  for (const { family, cidr } of subnets) {
    const v = family === 4 ? 'v4' : 'v6';
    if (network.internal) add(`internal_${v}`, `${br} . ${cidr}`);
    add(`subnets_${v}`, `${cidr} . ${br}`);
    if (network.masquerade && !network.internal) add(`masq_${v}`, cidr);
    if (!network.icc) add(`icc_off_${v}`, `${cidr} . ${cidr}`);
  }
  elementsKept.set(network, out);
  return out;
}

/** The sets listed in address order; the others are in bridge order. */
export const ADDRESS_ORDERED_SETS = ['subnets_v4', 'subnets_v6', 'masq_v4', 'masq_v6'] as const satisfies readonly NetworkSetName[];

/**
 * Each networks array's elements, kept while the array lives: the daemon keeps one array until a
 * network comes or goes. Callers must not change what they get.
 */
const networkElementsKept = new WeakMap<readonly FirewallNetwork[], NetworkElements>();

/** The networks' set elements, each list sorted: equal networks give equal text. */
export function networkElements(networks: readonly FirewallNetwork[]): NetworkElements {
  const kept = networkElementsKept.get(networks);
  if (kept) return kept;
  const empty = () => [] as Element[];
  const inet: NetworkElements['inet'] = {
    bridges: empty(), same_bridge: empty(), internal_bridges: empty(), internal_v4: empty(), internal_v6: empty(),
    subnets_v4: empty(), subnets_v6: empty(), masq_v4: empty(), masq_v6: empty(),
  };
  const bridge: Record<BridgeSetName, Element[]> = { icc_off_v4: empty(), icc_off_v6: empty() };
  const sets: Record<NetworkSetName, Element[]> = { ...inet, ...bridge };
  const seen = new Set<string>();
  for (const network of [...networks].sort((a, b) => compare(a.bridge, b.bridge))) {
    checkedBridge(network.bridge, `network ${network.name}`);
    if (seen.has(network.bridge)) throw conflict(`network ${network.name}: bridge ${network.bridge} used twice`, 'PB_ERR_BRIDGE_IN_USE');
    seen.add(network.bridge);
    for (const { set, element } of elementsOfNetwork(network)) sets[set].push(element);
  }
  for (const name of ADDRESS_ORDERED_SETS) inet[name].sort(byKey);
  const elements = { inet, bridge };
  networkElementsKept.set(networks, elements);
  return elements;
}

/** Everything the model puts into the sets and maps, each list sorted: equal models give equal text. */
export function modelElements(model: FirewallModel): RulesetElements {
  const { inet, bridge } = networkElements(model.networks);
  return { inet: { ...inet, ...portElements(model) }, bridge };
}

const byBridgeKept = new WeakMap<readonly FirewallNetwork[], ReadonlyMap<string, FirewallNetwork>>();

/** The networks by bridge name, kept per networks array (ports are looked up in it on every port change). */
export function networksByBridge(networks: readonly FirewallNetwork[]): ReadonlyMap<string, FirewallNetwork> {
  let byBridge = byBridgeKept.get(networks);
  if (!byBridge) byBridgeKept.set(networks, (byBridge = new Map(networks.map((n) => [n.bridge, n]))));
  return byBridge;
}

/** The four DNAT maps. Ports on internal networks are not published (libnetwork does the same). */
export function portElements(model: FirewallModel): Record<PortMapName, Element[]> {
  const networks = networksByBridge(model.networks);
  const maps: Record<PortMapName, Element[]> = { dnat_v4: [], dnat_any_v4: [], dnat_v6: [], dnat_any_v6: [] };
  const keys = new Map<string, FirewallPort>();
  for (const port of [...model.ports].sort(comparePorts)) {
    const what = `port ${port.protocol}/${port.hostPort} of endpoint ${port.endpointId}`;
    const network = networks.get(port.bridge);
    if (!network) throw invalid(`${what}: no network on bridge ${JSON.stringify(port.bridge)}`);
    if (network.internal) continue;
    if (!PROTOCOLS.has(port.protocol)) throw invalid(`${what}: invalid protocol ${JSON.stringify(port.protocol)}`);
    const target = requireIp(port.containerIp, what);
    const value = `${target.address} . ${checkedPort(port.containerPort, what)}`;
    const service = `${port.protocol} . ${checkedPort(port.hostPort, what)}`;
    const hostIp = effectiveHostIp(port, network);
    const v = target.family === 4 ? 'v4' : 'v6';
    let map: PortMapName;
    let key: string;
    if (hostIp === undefined) {
      map = `dnat_any_${v}`;
      key = service;
    } else {
      const host = requireIp(hostIp, what);
      if (host.family !== target.family) {
        throw invalid(`${what}: host address ${hostIp} and container address ${port.containerIp} are of different families`, 'PB_ERR_INVALID_ADDRESS');
      }
      map = `dnat_${v}`;
      key = `${host.address} . ${service}`;
    }
    const clash = keys.get(`${map} ${key}`);
    if (clash) throw conflict(`${what}: host port already published by endpoint ${clash.endpointId}`, 'PB_ERR_PORT_IN_USE');
    keys.set(`${map} ${key}`, port);
    maps[map].push({ key, value });
  }
  return maps;
}

/** A specific host address, or undefined for "every local address" of the container's family. */
export function effectiveHostIp(port: FirewallPort, network: FirewallNetwork): string | undefined {
  const unspecified = (ip: string | undefined) => !ip || ip === '0.0.0.0' || ip === '::';
  if (!unspecified(port.hostIp)) return port.hostIp;
  const v4Target = familyOf(port.containerIp) !== 6;
  if (v4Target && !unspecified(network.hostBindingIpv4)) return network.hostBindingIpv4;
  return undefined;
}

function comparePorts(a: FirewallPort, b: FirewallPort): number {
  return (
    compare(a.protocol, b.protocol) ||
    a.hostPort - b.hostPort ||
    compare(a.hostIp ?? '', b.hostIp ?? '') ||
    compare(a.bridge, b.bridge) ||
    compare(a.containerIp, b.containerIp) ||
    a.containerPort - b.containerPort ||
    compare(a.endpointId, b.endpointId)
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byKey = (a: Element, b: Element) => compare(a.key, b.key);
