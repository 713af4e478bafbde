import { formatAddress } from '@patchbay/ip';
import type { FdbInfo, IpOp, NeighInfo } from '../contract.js';
import { parseAddress } from './addresses.js';
import { FakeOpError, type FakeLink, type FakeNs } from './types.js';

/**
 * What an overlay network uses, for the fake model: vxlan devices (one per VNI and port in a
 * namespace), their forwarding entries to remotes, and permanent neighbour entries.
 */

type VxlanOp = Extract<IpOp, { op: 'vxlan.add' }>;
type NeighOp = Extract<IpOp, { op: 'fdb.append' | 'fdb.del' | 'neigh.replace' | 'neigh.del' }>;

const NOT_FOUND = 'RTNETLINK answers: No such file or directory';
/** addresses as the kernel keeps them (one text per address, whatever the input spelling) */
const canonical = (text: string): string => {
  const addr = parseAddress(text);
  return formatAddress(addr.family, addr.value);
};
const isV6 = (addr: string): boolean => parseAddress(addr).family === 6;

/** The kernel's check before it makes a vxlan device: the VNI and port free for its family. */
export function checkVxlan(ns: FakeNs, op: VxlanOp): void {
  const v6 = op.local !== undefined && isV6(op.local);
  for (const l of ns.links.values()) {
    const other = l.vxlan;
    if (other === undefined || other.vni !== op.vni || other.dstport !== op.dstport) continue;
    if ((other.local !== undefined && isV6(other.local)) === v6) throw new FakeOpError('Error: A VXLAN device with the specified VNI already exists.');
  }
}

export function vxlanInfoOf(op: VxlanOp): NonNullable<FakeLink['vxlan']> {
  return {
    vni: op.vni,
    dstport: op.dstport,
    ...(op.local !== undefined ? { local: canonical(op.local) } : {}),
    learning: op.learning,
    proxy: op.proxy === true,
  };
}

/** fdb and neigh ops on `link`: entries are permanent; append adds a remote, replace overwrites. */
export function applyNeighOp(link: FakeLink, op: NeighOp): void {
  switch (op.op) {
    case 'fdb.append': {
      const dst = canonical(op.dst);
      const fdb = (link.fdb ??= []);
      // (the kernel keeps entries of other devices in their own lists: a veth's is not shown)
      if (link.vxlan !== undefined && !fdb.some((e) => e.mac === op.mac.toLowerCase() && e.dst === dst)) fdb.push({ mac: op.mac.toLowerCase(), dst });
      return;
    }
    case 'fdb.del': {
      // the kernel looks up the MAC's entry, then drops the remote from it if it has it
      const [mac, dst] = [op.mac.toLowerCase(), canonical(op.dst)];
      if (!(link.fdb ?? []).some((e) => e.mac === mac)) throw new FakeOpError(NOT_FOUND);
      link.fdb = link.fdb!.filter((e) => e.mac !== mac || e.dst !== dst);
      return;
    }
    case 'neigh.replace': {
      const address = canonical(op.address);
      const neigh = (link.neigh ??= []).filter((n) => n.address !== address);
      link.neigh = [...neigh, { address, mac: op.mac.toLowerCase(), family: isV6(address) ? 6 : 4 }];
      return;
    }
    case 'neigh.del': {
      const address = canonical(op.address);
      if (!(link.neigh ?? []).some((n) => n.address === address)) throw new FakeOpError(NOT_FOUND);
      link.neigh = link.neigh!.filter((n) => n.address !== address);
      return;
    }
  }
}

const byIndex = (ns: FakeNs): FakeLink[] => [...ns.links.values()].sort((a, b) => a.index - b.index);

/** As the kernel dumps them: IPv4 entries before IPv6 ones. */
export function listNeighbors(ns: FakeNs): NeighInfo[] {
  const all = byIndex(ns).flatMap((l) => (l.neigh ?? []).map((n) => ({ dev: l.name, address: n.address, mac: n.mac, family: n.family })));
  return [...all.filter((n) => n.family === 4), ...all.filter((n) => n.family === 6)];
}

export function listFdb(ns: FakeNs): FdbInfo[] {
  return byIndex(ns).flatMap((l) => (l.fdb ?? []).map((e) => ({ dev: l.name, mac: e.mac, dst: e.dst })));
}
