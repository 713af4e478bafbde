import type { AddrInfo, LinkInfo } from '../contract.js';
import { formatCidr, type Prefix } from './inet.js';
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
      if (l.vxlan !== undefined) info.vxlan = { ...l.vxlan };
      return info;
    });
}

const scopeOf = (a: Prefix): string => {
  const text = formatCidr(a);
  if (text.startsWith('127.') || text.startsWith('::1/')) return 'host';
  if (/^fe[89ab]/i.test(text)) return 'link';
  return 'global';
};

export function listAddresses(ns: FakeNs): AddrInfo[] {
  return [...ns.links.values()]
    .sort((a, b) => a.index - b.index)
    .flatMap((l) => l.addrs.map((a) => ({ dev: l.name, cidr: formatCidr(a), family: a.family, scope: scopeOf(a) })));
}
