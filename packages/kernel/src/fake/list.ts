import { contains, formatInterfaceAddress, type Cidr } from '@patchbay/ip';
import type { AddrInfo, LinkInfo } from '../contract.js';
import { parsePrefix } from './addresses.js';
import type { FakeNs } from './types.js';

/** The fake model's links and addresses as the Kernel reads return them. */

export function listLinks(ns: FakeNs): LinkInfo[] {
  return [...ns.links.values()]
    .sort((a, b) => a.index - b.index)
    .map((l) => {
      const info: LinkInfo = { name: l.name, index: l.index, kind: l.kind, mtu: l.mtu, mac: l.mac, up: l.up };
      if (l.master !== undefined) info.master = l.master;
      if (l.master !== undefined && ns.links.get(l.master)?.kind === 'bridge') info.hairpin = l.hairpin === true;
      if (l.group) info.group = l.group;
      if (l.parent !== undefined && l.parent.ns === ns && l.kind !== 'veth') info.parent = l.parent.name;
      if (l.kind === 'macvlan') info.mode = l.mode;
      if (l.kind === 'ipvlan' && l.parent?.ipvlanPort !== undefined) Object.assign(info, l.parent.ipvlanPort);
      if (l.vlanId !== undefined) info.vlanId = l.vlanId;
      if (l.mcastSnooping !== undefined) info.mcastSnooping = l.mcastSnooping;
      if (l.vxlan !== undefined) info.vxlan = { ...l.vxlan };
      return info;
    });
}

const HOST_SCOPE = [parsePrefix('127.0.0.0/8'), parsePrefix('::1/128')];
const LINK_SCOPE = parsePrefix('fe80::/10');

const scopeOf = (a: Cidr): string => {
  if (HOST_SCOPE.some((block) => contains(block, a))) return 'host';
  if (contains(LINK_SCOPE, a)) return 'link';
  return 'global';
};

export function listAddresses(ns: FakeNs): AddrInfo[] {
  return [...ns.links.values()]
    .sort((a, b) => a.index - b.index)
    .flatMap((l) => l.addrs.map((a) => ({ dev: l.name, cidr: formatInterfaceAddress(a), family: a.family, scope: scopeOf(a) })));
}
