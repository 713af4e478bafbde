import type { IpOp, NetnsRef } from './contract.js';
import { namedNetns } from './validate.js';

/**
 * Rendering of IpOps to `ip -batch` lines and of a namespace reference to the argv prefix that
 * runs a command inside it. Inputs are validated before they get here (validate.ts).
 */

/** The daemon's own namespace as a path other namespaces can open. */
export const selfNetnsPath = (pid: number = process.pid): string => `/proc/${pid}/ns/net`;

/** The iproute2 program that runs an op: `bridge` for forwarding entries, `ip` for the rest. */
export type IpTool = 'ip' | 'bridge';
export const toolOf = (op: IpOp): IpTool => (op.op === 'fdb.append' || op.op === 'fdb.del' ? 'bridge' : 'ip');

/**
 * argv that runs `TOOL ARGS` inside `netns`: plain `ip` for the daemon's namespace, `ip -n NAME`
 * for /run/netns/NAME, and `nsenter --net=PATH -- ip` for any other namespace file.
 */
export function toolArgv(tool: IpTool, netns: NetnsRef, args: readonly string[]): string[] {
  if (netns === null) return [tool, ...args];
  const name = namedNetns(netns);
  if (name !== undefined) return [tool, '-n', name, ...args];
  return ['nsenter', `--net=${netns}`, '--', tool, ...args];
}

export const ipArgv = (netns: NetnsRef, args: readonly string[]): string[] => toolArgv('ip', netns, args);

export const ipBatchArgv = (netns: NetnsRef, force: boolean, tool: IpTool = 'ip'): string[] =>
  toolArgv(tool, netns, force ? ['-force', '-batch', '-'] : ['-batch', '-']);

/** How the `netns` clause of `link add` names a namespace: a /run/netns name or a file path. */
export function peerNetnsToken(peerNetns: NetnsRef, selfNetns: string): string {
  if (peerNetns === null) return selfNetns;
  return namedNetns(peerNetns) ?? peerNetns;
}

const opt = (key: string, value: string | number | undefined): string[] => (value === undefined ? [] : [key, String(value)]);

/** A veth's queues, as the netlink encoder asks for them (see encode.ts: singleQueue). */
const SINGLE_QUEUE = ['numtxqueues', '1', 'numrxqueues', '1'];

/** One op as the tokens of one batch line. `batchNetns` is where the batch runs. */
export function renderOp(op: IpOp, batchNetns: NetnsRef, selfNetns: string = selfNetnsPath()): string[] {
  switch (op.op) {
    case 'bridge.add':
      return ['link', 'add', op.name, ...opt('mtu', op.mtu), ...opt('address', op.mac), 'type', 'bridge', ...opt('mcast_snooping', op.mcastSnooping === undefined ? undefined : Number(op.mcastSnooping))];
    case 'veth.add': {
      // The peer is created directly in its namespace; no clause needed when it stays here.
      const netns = op.peerNetns === batchNetns ? [] : ['netns', peerNetnsToken(op.peerNetns, selfNetns)];
      return [
        'link', 'add', op.name, ...opt('mtu', op.mtu), ...opt('address', op.mac), ...opt('master', op.master), ...(op.up ? ['up'] : []), ...SINGLE_QUEUE,
        'type', 'veth', 'peer', 'name', op.peer, ...opt('mtu', op.mtu), ...opt('address', op.peerMac), ...SINGLE_QUEUE, ...netns,
      ];
    }
    case 'macvlan.add':
    case 'ipvlan.add': {
      const netns = op.netns === undefined || op.netns === batchNetns ? [] : ['netns', peerNetnsToken(op.netns, selfNetns)];
      const head = ['link', 'add', 'link', op.parent, 'name', op.name, ...opt('mtu', op.mtu)];
      if (op.op === 'macvlan.add') return [...head, ...opt('address', op.mac), ...netns, 'type', 'macvlan', 'mode', op.mode];
      return [...head, ...netns, 'type', 'ipvlan', 'mode', op.mode, ...(op.flag === undefined ? [] : [op.flag])];
    }
    case 'vlan.add':
      return ['link', 'add', 'link', op.parent, 'name', op.name, 'type', 'vlan', 'id', String(op.id)];
    case 'dummy.add':
      return ['link', 'add', op.name, 'type', 'dummy'];
    case 'vxlan.add':
      return [
        'link', 'add', op.name, ...opt('mtu', op.mtu), 'type', 'vxlan', 'id', String(op.vni), 'dstport', String(op.dstport),
        ...opt('local', op.local), op.learning ? 'learning' : 'nolearning', ...(op.proxy === undefined ? [] : [op.proxy ? 'proxy' : 'noproxy']),
      ];
    case 'fdb.append':
      return ['fdb', 'append', op.mac, 'dev', op.dev, 'dst', op.dst, 'self', 'permanent'];
    case 'fdb.del':
      return ['fdb', 'del', op.mac, 'dev', op.dev, 'dst', op.dst, 'self'];
    case 'neigh.replace':
      return ['neigh', 'replace', op.address, 'lladdr', op.mac, 'dev', op.dev, 'nud', 'permanent'];
    case 'neigh.del':
      return ['neigh', 'del', op.address, 'dev', op.dev];
    case 'link.set': {
      const master = op.master !== undefined ? ['master', op.master] : op.nomaster ? ['nomaster'] : [];
      const state = op.up === undefined ? [] : [op.up ? 'up' : 'down'];
      const port = op.hairpin === undefined ? [] : ['type', 'bridge_slave', 'hairpin', op.hairpin ? 'on' : 'off'];
      const addrgen = op.addrgenmode === undefined ? [] : ['addrgenmode', op.addrgenmode];
      const group = opt('group', op.group);
      return ['link', 'set', 'dev', op.name, ...opt('name', op.newName), ...master, ...opt('mtu', op.mtu), ...opt('address', op.mac), ...addrgen, ...group, ...state, ...port];
    }
    case 'link.del':
      return ['link', 'del', 'dev', op.name];
    case 'group.del':
      return ['link', 'del', 'group', String(op.group)];
    case 'addr.add':
    case 'addr.del':
      return ['addr', op.op === 'addr.add' ? 'add' : 'del', op.cidr, 'dev', op.dev];
    case 'route.add':
    case 'route.del':
      return ['route', op.op === 'route.add' ? 'add' : 'del', op.dst, ...opt('via', op.via), ...opt('dev', op.dev)];
  }
}

export const renderLine = (op: IpOp, batchNetns: NetnsRef, selfNetns?: string): string =>
  renderOp(op, batchNetns, selfNetns).join(' ');
