import { PatchbayError } from '@patchbay/errors';
import { familyBits, isMulticastMac, tryParseAddress, tryParseMac, tryParsePrefixLength, type IpFamily } from '@patchbay/ip';
import { IFNAME_RE, IPVLAN_FLAGS, IPVLAN_MODES, MACVLAN_MODES, type IpOp, type NetnsRef } from './contract.js';

/**
 * Input checks for everything that can reach an argv, a batch line or a /proc path. They run
 * before any process starts, so a bad value never half-applies a batch.
 */

const NAMED_NETNS_DIR = '/run/netns/';
/** `ip netns` names: what /run/netns can hold without quoting or path tricks. */
const NETNS_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** Paths that are safe as a batch token and an nsenter argument: no spaces, quotes or globbing. */
const NETNS_PATH_RE = /^\/[A-Za-z0-9_.@:+=,/-]{1,4095}$/;
const NFT_FAMILIES = new Set(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
const NFT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
/** One dotted sysctl component; '/' stands for a '.' inside the name (sysctl(8): `eth0/100`). */
const SYSCTL_PART_RE = /^[A-Za-z0-9_][A-Za-z0-9_/:@+-]{0,63}$/;

export function invalidInput(field: string, value: unknown, why: string): PatchbayError {
  return new PatchbayError('PB_ERR_INVALID', `invalid ${field} ${JSON.stringify(value)}: ${why}`, {
    details: { field, value },
  });
}

export function checkIfname(name: unknown, field = 'interface name'): string {
  if (typeof name !== 'string' || !IFNAME_RE.test(name)) {
    throw invalidInput(field, name, '1..15 characters of [A-Za-z0-9_.-]');
  }
  if (name === '.' || name === '..') throw invalidInput(field, name, 'reserved name');
  return name;
}

export function checkNetnsName(name: unknown): string {
  if (typeof name !== 'string' || !NETNS_NAME_RE.test(name)) {
    throw invalidInput('netns name', name, '1..64 characters of [A-Za-z0-9_.-], not starting with . or -');
  }
  return name;
}

/** True for a syntactically safe absolute path without `.`/`..` segments (existence not checked). */
export function isSafeNetnsPath(path: unknown): path is string {
  if (typeof path !== 'string' || !NETNS_PATH_RE.test(path)) return false;
  return !path.split('/').some((seg) => seg === '.' || seg === '..');
}

export function checkNetnsRef(ref: unknown): NetnsRef {
  if (ref === null) return null;
  if (!isSafeNetnsPath(ref)) throw invalidInput('netns path', ref, 'an absolute path without ".." or special characters');
  const name = namedNetns(ref);
  if (name !== undefined) checkNetnsName(name);
  return ref;
}

/** `/run/netns/NAME` → NAME (a namespace `ip -n` can address); anything else → undefined. */
export function namedNetns(ref: string): string | undefined {
  if (!ref.startsWith(NAMED_NETNS_DIR)) return undefined;
  const name = ref.slice(NAMED_NETNS_DIR.length);
  return name.includes('/') || name === '' ? undefined : name;
}

export const netnsPathOf = (name: string): string => NAMED_NETNS_DIR + name;

/** An address's family; the address is refused unless it is one (no zone id, no whitespace). */
export function checkAddress(addr: unknown, field = 'address'): IpFamily {
  const parsed = typeof addr === 'string' ? tryParseAddress(addr) : undefined;
  if (!parsed) throw invalidInput(field, addr, 'an IPv4 or IPv6 address');
  return parsed.family;
}

/** ADDRESS/PREFIX with the prefix required (`requirePrefix`) or optional (a host route); its family. */
export function checkCidr(cidr: unknown, field = 'CIDR', requirePrefix = true): IpFamily {
  if (typeof cidr !== 'string') throw invalidInput(field, cidr, 'a string ADDRESS/PREFIX');
  const slash = cidr.indexOf('/');
  const addr = tryParseAddress(slash < 0 ? cidr : cidr.slice(0, slash));
  if (!addr) throw invalidInput(field, cidr, 'an IPv4 or IPv6 address with /prefix');
  if (slash < 0) {
    if (requirePrefix) throw invalidInput(field, cidr, 'a /prefix is required');
    return addr.family;
  }
  const max = familyBits(addr.family);
  const prefix = tryParsePrefixLength(cidr.slice(slash + 1));
  if (prefix === undefined || prefix > max) throw invalidInput(field, cidr, `prefix must be 0..${max}`);
  return addr.family;
}

export function checkMac(mac: unknown, field = 'MAC address'): string {
  const bytes = typeof mac === 'string' ? tryParseMac(mac) : undefined;
  if (typeof mac !== 'string' || !bytes) throw invalidInput(field, mac, 'six hex octets like 02:42:ac:11:00:02');
  if (isMulticastMac(bytes)) throw invalidInput(field, mac, 'a multicast address cannot be assigned');
  if (bytes.every((b) => b === 0)) throw invalidInput(field, mac, 'the all-zero address cannot be assigned');
  return mac;
}

export function checkMtu(mtu: unknown): number {
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw invalidInput('MTU', mtu, 'an integer in 68..65535');
  }
  return mtu;
}

function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalidInput(field, value, `an integer ${min}..${max}`);
  return value;
}

function checkOneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) throw invalidInput(field, value, allowed.join('|'));
  return value as T;
}

function checkRouteDst(dst: unknown): IpFamily | undefined {
  if (dst === 'default') return undefined;
  return checkCidr(dst, 'route destination', false);
}

function checkGroup(group: unknown): number {
  if (typeof group !== 'number' || !Number.isInteger(group) || group < 0 || group > 0xffffffff) {
    throw invalidInput('link group', group, 'an integer 0..4294967295');
  }
  return group;
}

/** Validates every op of a batch (all of them, before anything runs). */
export function checkOps(ops: readonly IpOp[]): void {
  if (!Array.isArray(ops)) throw invalidInput('ip ops', ops, 'an array');
  ops.forEach(checkOp);
}

export function checkOp(op: IpOp): void {
  switch (op?.op) {
    case 'bridge.add':
      checkIfname(op.name);
      if (op.mtu !== undefined) checkMtu(op.mtu);
      if (op.mac !== undefined) checkMac(op.mac);
      if (op.mcastSnooping !== undefined && typeof op.mcastSnooping !== 'boolean') throw invalidInput('mcastSnooping', op.mcastSnooping, 'true or false');
      return;
    case 'veth.add':
      checkIfname(op.name);
      checkIfname(op.peer, 'veth peer name');
      checkNetnsRef(op.peerNetns);
      if (op.mtu !== undefined) checkMtu(op.mtu);
      if (op.mac !== undefined) checkMac(op.mac);
      if (op.peerMac !== undefined) checkMac(op.peerMac, 'peer MAC address');
      if (op.master !== undefined) checkIfname(op.master, 'master');
      if (op.up !== undefined && typeof op.up !== 'boolean') throw invalidInput('veth.add up', op.up, 'a boolean');
      return;
    case 'macvlan.add':
    case 'ipvlan.add':
      checkIfname(op.name);
      checkIfname(op.parent, 'parent');
      if (op.netns !== undefined) checkNetnsRef(op.netns);
      if (op.mtu !== undefined) checkMtu(op.mtu);
      if (op.op === 'macvlan.add') {
        checkOneOf('macvlan mode', op.mode, MACVLAN_MODES);
        if (op.mac !== undefined) checkMac(op.mac);
      } else {
        checkOneOf('ipvlan mode', op.mode, IPVLAN_MODES);
        if (op.flag !== undefined) checkOneOf('ipvlan flag', op.flag, IPVLAN_FLAGS);
      }
      return;
    case 'vlan.add':
      checkIfname(op.name);
      checkIfname(op.parent, 'parent');
      checkInteger('VLAN id', op.id, 1, 4094);
      return;
    case 'dummy.add':
      checkIfname(op.name);
      return;
    case 'vxlan.add':
      checkIfname(op.name);
      checkInteger('VNI', op.vni, 0, 0xffffff);
      checkInteger('vxlan dstport', op.dstport, 1, 65535);
      if (op.local !== undefined) checkAddress(op.local, 'vxlan local address');
      if (typeof op.learning !== 'boolean') throw invalidInput('vxlan learning', op.learning, 'a boolean');
      if (op.proxy !== undefined && typeof op.proxy !== 'boolean') throw invalidInput('vxlan proxy', op.proxy, 'a boolean');
      if (op.mtu !== undefined) checkMtu(op.mtu);
      return;
    case 'fdb.append':
    case 'fdb.del':
      checkIfname(op.dev);
      // (the all-zero MAC is the entry for broadcast and unknown destinations)
      if (typeof op.mac !== 'string' || !tryParseMac(op.mac)) throw invalidInput('fdb MAC address', op.mac, 'six hex octets');
      checkAddress(op.dst, 'fdb remote');
      return;
    case 'neigh.replace':
    case 'neigh.del':
      checkIfname(op.dev);
      checkAddress(op.address, 'neighbour address');
      if (op.op === 'neigh.replace') checkMac(op.mac, 'neighbour MAC address');
      return;
    case 'link.set':
      checkIfname(op.name);
      if (op.master !== undefined) checkIfname(op.master, 'master');
      if (op.master !== undefined && op.nomaster) throw invalidInput('link.set', op.name, 'master and nomaster together');
      if (op.mtu !== undefined) checkMtu(op.mtu);
      if (op.mac !== undefined) checkMac(op.mac);
      if (op.up !== undefined && typeof op.up !== 'boolean') throw invalidInput('link.set up', op.up, 'a boolean');
      if (op.hairpin !== undefined && typeof op.hairpin !== 'boolean') throw invalidInput('link.set hairpin', op.hairpin, 'a boolean');
      if (op.addrgenmode !== undefined && op.addrgenmode !== 'none' && op.addrgenmode !== 'eui64') {
        throw invalidInput('link.set addrgenmode', op.addrgenmode, "'none' or 'eui64'");
      }
      if (op.group !== undefined) checkGroup(op.group);
      if (op.newName !== undefined) checkIfname(op.newName, 'newName');
      if (op.hairpin !== undefined && (op.master !== undefined || op.nomaster)) {
        throw invalidInput('link.set', op.name, 'hairpin together with master/nomaster (set it in a later op)');
      }
      return;
    case 'link.del':
      checkIfname(op.name);
      return;
    case 'group.del':
      checkGroup(op.group);
      // group 0 holds every link nobody grouped, loopback and the host's NICs among them
      if (op.group === 0) throw invalidInput('link group', op.group, 'the default group cannot be deleted');
      return;
    case 'addr.add':
    case 'addr.del':
      checkIfname(op.dev);
      checkCidr(op.cidr, 'interface address');
      return;
    case 'route.add':
    case 'route.del': {
      const family = checkRouteDst(op.dst);
      if (op.dev !== undefined) checkIfname(op.dev);
      if (op.via !== undefined) {
        const viaFamily = checkAddress(op.via, 'gateway');
        if (family !== undefined && viaFamily !== family) throw invalidInput('gateway', op.via, `not in the family of ${op.dst}`);
      }
      if (op.op === 'route.add' && op.via === undefined && op.dev === undefined) {
        throw invalidInput('route', op.dst, 'needs a gateway (via) or a device (dev)');
      }
      return;
    }
    default:
      throw invalidInput('ip op', (op as { op?: unknown })?.op, 'unknown operation');
  }
}

export function checkNftTable(family: unknown, name: unknown): void {
  if (typeof family !== 'string' || !NFT_FAMILIES.has(family)) {
    throw invalidInput('nft family', family, [...NFT_FAMILIES].join('|'));
  }
  if (typeof name !== 'string' || !NFT_NAME_RE.test(name)) throw invalidInput('nft table name', name, 'an nft identifier');
}

/** 'net.ipv4.conf.eth0/100.forwarding' → '/proc/sys/net/ipv4/conf/eth0.100/forwarding' */
export function sysctlPath(key: unknown): string {
  if (typeof key !== 'string' || key.length > 255) throw invalidInput('sysctl key', key, 'a dotted sysctl name');
  const parts = key.split('.');
  if (parts.length < 2 || !parts.every((p) => SYSCTL_PART_RE.test(p))) {
    throw invalidInput('sysctl key', key, 'a dotted sysctl name like net.ipv4.ip_forward');
  }
  return '/proc/sys/' + parts.map((p) => p.replaceAll('/', '.')).join('/');
}

export function checkSysctlValue(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.length > 4096 || /[\x00-\x08\x0a-\x1f]/.test(value)) {
    throw invalidInput('sysctl value', value, 'a single-line string');
  }
  return value;
}
