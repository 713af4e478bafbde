import { formatMac, sameAddress, tryParseMac, type Cidr } from '@patchbay/ip';
import type { IpOp, LinkKind, NetnsRef } from '../contract.js';
import { kindCreatedBy } from '../link-kinds.js';
import { parsePrefix } from './addresses.js';
import { joinIpvlanPort, planLowerLink, rxHandlerOwner, targetNs, type LowerOp } from './lower.js';
import { applyNeighOp, checkVxlan, vxlanInfoOf } from './overlay.js';
import { addRoute, deleteRoute, dropRoutesOn, listRoutes } from './routing.js';
import { FakeOpError, type FakeLink, type FakeNs } from './types.js';

export { listRoutes };

/** Linux's BR_MAX_PORTS */
export const BRIDGE_MAX_PORTS = 1024;

/**
 * Namespaces and the links, addresses and routes in them, changed one op at a time with the
 * kernel's rules. An op either applies completely or throws FakeOpError with iproute2's text.
 */
export class NetModel {
  readonly root: FakeNs;
  /** every namespace but the root, by its file path (/run/netns/NAME or a foreign path) */
  private readonly byPath = new Map<string, FakeNs>();
  private nextIndex = 1;
  private nextMac = 1;

  constructor(
    private readonly selfPaths: readonly string[],
    /** link types this kernel lacks ("Unknown device type") */
    private readonly missingKinds: ReadonlySet<LinkKind> = new Set(),
  ) {
    this.root = this.newNs(null);
    this.setUp(this.root.links.get('lo')!, true);
  }

  newNs(path: string | null): FakeNs {
    const ns: FakeNs = { path, links: new Map(), routes: [] };
    this.createLink(ns, { name: 'lo', kind: 'loopback', mtu: 65536, mac: '00:00:00:00:00:00' });
    if (path !== null) this.byPath.set(path, ns);
    return ns;
  }

  resolve(ref: NetnsRef): FakeNs | undefined {
    if (ref === null || this.selfPaths.includes(ref)) return this.root;
    return this.byPath.get(ref);
  }

  /** Destroying a namespace destroys its links, and with them the far ends of its veths. */
  deleteNs(path: string): boolean {
    const ns = this.byPath.get(path);
    if (!ns) return false;
    for (const link of [...ns.links.values()]) this.deleteLink(link);
    this.byPath.delete(path);
    return true;
  }

  paths(): string[] {
    return [...this.byPath.keys()];
  }

  hasKind(kind: LinkKind): boolean {
    return !this.missingKinds.has(kind);
  }

  /** Every link that sits on `lower` (macvlans, ipvlans, vlans), in any namespace. */
  readonly uppers = (lower: FakeLink): FakeLink[] =>
    [this.root, ...this.byPath.values()].flatMap((ns) => [...ns.links.values()].filter((l) => l.parent === lower));

  createLink(ns: FakeNs, spec: { name: string; kind: string; mtu?: number; mac?: string }): FakeLink {
    if (ns.links.has(spec.name)) throw new FakeOpError('RTNETLINK answers: File exists');
    const link: FakeLink = {
      name: spec.name,
      index: this.nextIndex++,
      kind: spec.kind,
      mtu: spec.mtu ?? 1500,
      mac: spec.mac ?? this.generateMac(),
      up: false,
      ns,
      addrs: [],
    };
    ns.links.set(link.name, link);
    return link;
  }

  private generateMac(): string {
    const n = this.nextMac++;
    return formatMac([0x02, 0xfb, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  }

  private link(ns: FakeNs, name: string): FakeLink {
    const link = ns.links.get(name);
    if (!link) throw new FakeOpError(`Cannot find device "${name}"`);
    return link;
  }

  deleteLink(link: FakeLink): void {
    const ns = link.ns;
    if (ns.links.get(link.name) !== link) return;
    ns.links.delete(link.name);
    dropRoutesOn(ns, link.name);
    for (const port of ns.links.values()) if (port.master === link.name) leaveBridge(port);
    const peer = link.peer;
    if (peer) {
      delete link.peer;
      delete peer.peer;
      this.deleteLink(peer);
    }
    // links on a lower device go with it; the last ipvlan takes the port's mode with it
    for (const upper of this.uppers(link)) this.deleteLink(upper);
    const lower = link.parent;
    if (lower !== undefined && link.kind === 'ipvlan' && !this.uppers(lower).some((u) => u.kind === 'ipvlan')) delete lower.ipvlanPort;
  }

  setUp(link: FakeLink, up: boolean): void {
    if (link.up === up) return;
    link.up = up;
    if (up) {
      addAutomaticAddresses(link);
      // a veth has carrier once both ends are up: IPv6 configures the end that waited for it
      if (link.peer?.up) addAutomaticAddresses(link.peer);
    }
    if (!up) {
      // the kernel flushes IPv6 addresses (not IPv4 ones), every route and neighbour entry of a downed link
      link.addrs = link.addrs.filter((a) => a.family === 4);
      dropRoutesOn(link.ns, link.name);
      delete link.neigh;
    }
  }

  /** disable_ipv6 written: on, the link loses its IPv6 addresses and routes; off, it configures IPv6 again. */
  setIpv6Disabled(link: FakeLink, disabled: boolean): void {
    if (disabled) {
      link.ipv6Disabled = true;
      link.addrs = link.addrs.filter((a) => a.family === 4);
      link.ns.routes = link.ns.routes.filter((r) => r.dev !== link.name || r.dst.family === 4);
    } else {
      delete link.ipv6Disabled;
      addAutomaticAddresses(link);
    }
  }

  /** The kernel looks the name up before the type: a taken name is "File exists" either way. */
  private refuseTakenOrUnknown(op: IpOp, ns: FakeNs, name: string): void {
    if (ns.links.has(name)) throw new FakeOpError('RTNETLINK answers: File exists');
    const kind = kindCreatedBy(op);
    if (kind !== undefined && !this.hasKind(kind)) throw new FakeOpError('Error: Unknown device type.');
  }

  /** `netnsToken` names op's target namespace (a veth's peer's, a macvlan's) as iproute2 prints it. */
  apply(ns: FakeNs, op: IpOp, peerNs: (ref: NetnsRef) => FakeNs | undefined, netnsToken: string): void {
    switch (op.op) {
      case 'bridge.add':
      case 'dummy.add':
        this.refuseTakenOrUnknown(op, ns, op.name);
        if (op.op === 'dummy.add') this.createLink(ns, { name: op.name, kind: 'dummy' });
        else this.createLink(ns, { name: op.name, kind: 'bridge', mtu: op.mtu, mac: op.mac }).mcastSnooping = op.mcastSnooping ?? true;
        return;
      case 'macvlan.add':
      case 'ipvlan.add':
      case 'vlan.add':
        return this.addLowerLink(ns, op, peerNs, netnsToken);
      case 'vxlan.add': {
        this.refuseTakenOrUnknown(op, ns, op.name);
        checkVxlan(ns, op);
        this.createLink(ns, { name: op.name, kind: 'vxlan', mtu: op.mtu }).vxlan = vxlanInfoOf(op);
        return;
      }
      case 'fdb.append':
      case 'fdb.del':
      case 'neigh.replace':
      case 'neigh.del':
        return applyNeighOp(this.link(ns, op.dev), op);
      case 'veth.add': {
        const other = peerNs(op.peerNetns);
        if (!other) throw new FakeOpError(`Error: argument "${netnsToken}" is wrong: Invalid "netns" value`);
        if (ns.links.has(op.name) || other.links.has(op.peer) || (other === ns && op.name === op.peer)) {
          throw new FakeOpError('RTNETLINK answers: File exists');
        }
        this.refuseTakenOrUnknown(op, ns, op.name);
        const a = this.createLink(ns, { name: op.name, kind: 'veth', mtu: op.mtu, mac: op.mac });
        const b = this.createLink(other, { name: op.peer, kind: 'veth', mtu: op.mtu, mac: op.peerMac });
        a.peer = b;
        b.peer = a;
        try {
          // in the same request: a master the kernel refuses removes the new pair again
          if (op.master !== undefined) this.checkMaster(ns, a, op.master);
        } catch (err) {
          this.deleteLink(a);
          throw err;
        }
        if (op.master !== undefined) a.master = op.master;
        if (op.up) this.setUp(a, true);
        return;
      }
      case 'link.set':
        return this.setLink(ns, op);
      case 'link.del': {
        const link = this.link(ns, op.name);
        if (link.kind === 'loopback') throw new FakeOpError('RTNETLINK answers: Operation not supported');
        this.deleteLink(link);
        return;
      }
      case 'group.del': {
        const members = [...ns.links.values()].filter((l) => (l.group ?? 0) === op.group);
        if (members.length === 0) throw new FakeOpError('RTNETLINK answers: No such device');
        for (const link of members) this.deleteLink(link);
        return;
      }
      case 'addr.add':
        return this.addAddress(this.link(ns, op.dev), parsePrefix(op.cidr));
      case 'addr.del':
        return this.deleteAddress(this.link(ns, op.dev), parsePrefix(op.cidr));
      case 'route.add':
        return addRoute(ns, op);
      case 'route.del':
        return deleteRoute(ns, op);
      default:
        return unknownOp(op);
    }
  }

  private addLowerLink(ns: FakeNs, op: LowerOp, resolve: (ref: NetnsRef) => FakeNs | undefined, netnsToken: string): void {
    const target = targetNs(op, ns, resolve);
    if (!target) throw new FakeOpError(`Error: argument "${netnsToken}" is wrong: Invalid "netns" value`);
    const parent = this.link(ns, op.parent);
    this.refuseTakenOrUnknown(op, target, op.name);
    const plan = planLowerLink(op, parent, this.uppers);
    const kind = op.op === 'macvlan.add' ? 'macvlan' : op.op === 'ipvlan.add' ? 'ipvlan' : 'vlan';
    const link = this.createLink(target, { name: op.name, kind, mtu: plan.mtu, mac: plan.mac });
    link.parent = plan.lower;
    if (plan.mode !== undefined) link.mode = plan.mode;
    if (plan.vlanId !== undefined) link.vlanId = plan.vlanId;
    if (op.op === 'ipvlan.add') joinIpvlanPort(plan.lower, op);
  }

  private setLink(ns: FakeNs, op: Extract<IpOp, { op: 'link.set' }>): void {
    const link = this.link(ns, op.name);
    if (op.newName !== undefined) this.renameLink(link, op.newName);
    if (op.master !== undefined) this.checkMaster(ns, link, op.master);
    // bridge-port attributes go to the port's current bridge, before anything else is applied
    if (op.hairpin !== undefined && link.master === undefined) throw new FakeOpError('RTNETLINK answers: Operation not supported');
    if (op.hairpin !== undefined) link.hairpin = op.hairpin;
    if (op.master !== undefined && link.master !== op.master) {
      leaveBridge(link);
      link.master = op.master;
    }
    if (op.nomaster) leaveBridge(link);
    if (op.mtu !== undefined) link.mtu = op.mtu;
    if (op.mac !== undefined) link.mac = op.mac;
    if (op.group !== undefined) link.group = op.group;
    if (op.up !== undefined) this.setUp(link, op.up);
    // the kernel changes the flags before it applies IFLA_AF_SPEC: a link that comes up with
    // carrier in the same request gets its link-local address before the mode changes
    if (op.addrgenmode !== undefined) link.addrgenmode = op.addrgenmode;
  }

  /** The kernel renames first; routes and bridge ports follow the link (they hold its index). */
  private renameLink(link: FakeLink, newName: string): void {
    if (newName === link.name) return;
    const ns = link.ns;
    if (ns.links.has(newName)) throw new FakeOpError('RTNETLINK answers: File exists');
    ns.links.delete(link.name);
    for (const route of ns.routes) if (route.dev === link.name) route.dev = newName;
    for (const port of ns.links.values()) if (port.master === link.name) port.master = newName;
    link.name = newName;
    ns.links.set(newName, link);
  }

  private checkMaster(ns: FakeNs, link: FakeLink, masterName: string): void {
    const master = ns.links.get(masterName);
    if (!master) throw new FakeOpError(`Error: argument "${masterName}" is wrong: Device does not exist`);
    if (master.kind !== 'bridge') throw new FakeOpError('RTNETLINK answers: Operation not supported');
    if (link.kind === 'bridge') throw new FakeOpError('Error: Can not enslave a bridge to a bridge.');
    if (link.kind === 'loopback') throw new FakeOpError('RTNETLINK answers: Invalid argument');
    if (link.master === masterName) return;
    // a lower device of macvlans or ipvlans gives its frames to them, not to a bridge
    if (rxHandlerOwner(link, this.uppers) !== undefined) throw new FakeOpError('RTNETLINK answers: Device or resource busy');
    const ports = [...ns.links.values()].filter((l) => l.master === masterName).length;
    if (ports >= BRIDGE_MAX_PORTS) throw new FakeOpError('RTNETLINK answers: Exchange full');
  }

  private addAddress(link: FakeLink, addr: Cidr): void {
    const v4 = addr.family === 4;
    // IPv4 tells addresses apart by address and prefix, IPv6 by address alone
    const dup = link.addrs.some((a) => sameAddress(a, addr) && (!v4 || a.prefix === addr.prefix));
    if (dup) throw new FakeOpError(v4 ? 'Error: ipv4: Address already assigned.' : 'Error: ipv6: address already assigned.');
    link.addrs.push(addr);
  }

  private deleteAddress(link: FakeLink, addr: Cidr): void {
    const at = link.addrs.findIndex((a) => sameAddress(a, addr) && a.prefix === addr.prefix);
    if (at < 0) throw new FakeOpError(addr.family === 4 ? 'Error: ipv4: Address not found.' : 'Error: ipv6: address not found.');
    link.addrs.splice(at, 1);
  }
}

/** Compile-time: every IpOp has a case above. At run time, an op from an untyped caller. */
function unknownOp(op: never): never {
  throw new FakeOpError(`unknown ip op ${JSON.stringify((op as { op?: unknown }).op)}`);
}

/** A port leaving its bridge loses its port attributes. */
function leaveBridge(link: FakeLink): void {
  delete link.master;
  delete link.hairpin;
}

/** The EUI-64 link-local address the kernel gives an Ethernet link when it comes up. */
/**
 * What the kernel gives a link that is up and has carrier (a veth only while its peer is up too):
 * loopback its addresses, others an IPv6 link-local address unless addrgenmode is none (no IPv6
 * at all with disable_ipv6).
 */
function addAutomaticAddresses(link: FakeLink): void {
  if (!link.up || (link.peer !== undefined && !link.peer.up)) return;
  const automatic = link.kind === 'loopback' ? ['127.0.0.1/8', '::1/128'] : link.addrgenmode === 'none' ? [] : [linkLocalOf(link.mac)];
  for (const a of automatic) {
    const p = parsePrefix(a);
    if (p.family === 6 && link.ipv6Disabled) continue;
    if (!link.addrs.some((x) => sameAddress(x, p))) link.addrs.push(p);
  }
}

function linkLocalOf(mac: string): string {
  const b = tryParseMac(mac)!;
  const eui = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups = [0, 2, 4, 6].map((i) => ((eui[i]! << 8) | eui[i + 1]!).toString(16));
  return `fe80::${groups.join(':')}/64`;
}
