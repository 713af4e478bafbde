import { createRealKernel } from '@patchbay/kernel';
import type { Slot } from './netns.js';
import { ipBatch, runOk } from './proc.js';
import { nowMs } from './stats.js';
import { hostInSlash16, type AttachSide, type NetworkSide, type SandboxSide } from './sides.js';

/**
 * The floor: the same kernel changes an attach needs, made with raw `ip` in the fewest processes
 * and with no bookkeeping at all (addresses are computed from the slot id, nothing is stored).
 * Attach = 2 processes (host side, then inside the namespace); detach = 1 (deleting the host veth
 * deletes its peer too).
 */
export function createFloorAttachSide(o: { bridge: string; prefix16: string; hostNetns?: string }): AttachSide {
  const gateway = hostInSlash16(o.prefix16, 0);
  const veth = (slot: Slot): string => `vfl${slot.id}`;
  // the bridge and the host ends in the bench's namespace, or in `hostNetns` (a namespace name)
  const host = o.hostNetns ?? null;
  return {
    key: 'floor',
    async setup() {
      await ipBatch(host, [`link add ${o.bridge} type bridge`, `addr add ${gateway}/16 dev ${o.bridge}`, `link set ${o.bridge} up`]);
    },
    async prepare() {},
    async attach(slot) {
      // the same kernel changes as patchbay's join on an IPv4-only network (no IPv6 link-local, hairpin)
      await ipBatch(host, [
        `link add ${veth(slot)} numtxqueues 1 numrxqueues 1 type veth peer name eth0 numtxqueues 1 numrxqueues 1 netns ${slot.name}`,
        `link set dev ${veth(slot)} addrgenmode none`,
        `link set ${veth(slot)} master ${o.bridge} up`,
        `link set dev ${veth(slot)} type bridge_slave hairpin on`,
      ]);
      const address = hostInSlash16(o.prefix16, 1 + slot.id);
      await ipBatch(slot.name, ['link set dev eth0 addrgenmode none', `addr add ${address}/16 dev eth0`, 'link set eth0 up', `route add default via ${gateway}`]);
    },
    async detach(slot) {
      await ipBatch(host, [`link del ${veth(slot)}`]);
    },
    async release() {},
    async teardown() {
      await ipBatch(host, [`link del ${o.bridge}`]);
    },
  };
}

/**
 * The floor without processes, for the growth rows: the same kernel changes as patchbay's join on
 * an IPv4-only network, through the same in-process netlink (packages/kernel) in one call, from
 * the bench's process, with no bookkeeping; detach deletes the host veth. Its growth is the
 * kernel's own, measured without the jitter of two process spawns per attach (the `ip` floor's
 * median of 100 moves by ±2 ms from run to run, more than the growth it is compared with).
 */
export function createKernelFloorAttachSide(o: { bridge: string; prefix16: string; hostNetns: string }): AttachSide {
  const kernel = createRealKernel({ backend: 'netlink' });
  const gateway = hostInSlash16(o.prefix16, 0);
  const veth = (slot: Slot): string => `vkf${slot.id}`;
  const host = `/run/netns/${o.hostNetns}`;
  return {
    key: 'kernelFloor',
    async setup() {
      await kernel.ip(host, [{ op: 'bridge.add', name: o.bridge }, { op: 'addr.add', dev: o.bridge, cidr: `${gateway}/16` }, { op: 'link.set', name: o.bridge, up: true }]);
    },
    async prepare() {},
    async attach(slot) {
      await kernel.ipSequence([
        {
          netns: host,
          ops: [
            { op: 'veth.add', name: veth(slot), peer: 'eth0', peerNetns: slot.path, master: o.bridge, up: true },
            { op: 'link.set', name: veth(slot), addrgenmode: 'none', hairpin: true },
          ],
        },
        {
          netns: slot.path,
          ops: [
            { op: 'link.set', name: 'eth0', addrgenmode: 'none' },
            { op: 'addr.add', dev: 'eth0', cidr: `${hostInSlash16(o.prefix16, 1 + slot.id)}/16` },
            { op: 'link.set', name: 'eth0', up: true },
            { op: 'route.add', dst: 'default', via: gateway, dev: 'eth0' },
          ],
        },
      ]);
    },
    async detach(slot) {
      await kernel.ip(host, [{ op: 'link.del', name: veth(slot) }]);
    },
    async release() {},
    async teardown() {
      await kernel.ip(host, [{ op: 'link.del', name: o.bridge }], { ignoreMissing: true });
    },
  };
}

/** The sets patchbay's firewall changes on a network create and delete, in a table of the floor's own. */
const FLOOR_TABLE = 'inet pbfloor';
const FLOOR_SETS = [
  'set bridges { type ifname; }',
  'map same_bridge { type ifname . ifname : verdict; }',
  'set subnets_v4 { type ipv4_addr . ifname; flags interval; }',
  'set masq_v4 { type ipv4_addr; flags interval; }',
];

/** The element changes patchbay's firewall makes for one IPv4 network (see its `add element` batch). */
function floorElements(verb: 'add' | 'delete', bridge: string, subnet: string): string {
  const t = `${verb} element ${FLOOR_TABLE}`;
  return [
    `${t} bridges { "${bridge}" }`,
    `${t} same_bridge { "${bridge}" . "${bridge}"${verb === 'add' ? ' : accept' : ''} }`,
    `${t} subnets_v4 { ${subnet} . "${bridge}" }`,
    `${t} masq_v4 { ${subnet} }`,
  ].join('\n') + '\n';
}

/**
 * Floor network create/delete: what patchbay's does, with no bookkeeping: one `ip -batch -`
 * (bridge + gateway address + up; delete: link del) and one `nft -f -` with the same set-element
 * changes patchbay's firewall makes, in a table of the floor's own (made untimed in setup).
 * `nftMs` collects how long the nft process alone took on each create.
 */
export function createFloorNetworkSide(o: { namePrefix: string; subnetOf: (index: number) => { subnet: string; gateway: string; prefixLength: number } }): NetworkSide & { nftMs: number[] } {
  const nftMs: number[] = [];
  return {
    key: 'floor',
    nftMs,
    async setup() {
      await runOk('nft', ['-f', '-'], { stdin: `table ${FLOOR_TABLE} {\n${FLOOR_SETS.join('\n')}\n}\n` });
    },
    async createNetwork(index) {
      const { subnet, gateway, prefixLength } = o.subnetOf(index);
      const name = `${o.namePrefix}${index}`;
      await ipBatch(null, [`link add ${name} type bridge`, `addr add ${gateway}/${prefixLength} dev ${name}`, `link set ${name} up`]);
      const started = nowMs();
      await runOk('nft', ['-f', '-'], { stdin: floorElements('add', name, subnet) });
      nftMs.push(nowMs() - started);
    },
    async deleteNetwork(index) {
      const name = `${o.namePrefix}${index}`;
      await ipBatch(null, [`link del ${name}`]);
      await runOk('nft', ['-f', '-'], { stdin: floorElements('delete', name, o.subnetOf(index).subnet) });
    },
    async teardown() {
      await runOk('nft', ['delete', 'table', ...FLOOR_TABLE.split(' ')]);
    },
  };
}

/** Floor sandbox: `ip netns add` then `ip -n NAME link set lo up` (two processes); `ip netns delete`. */
export function createFloorSandboxSide(namePrefix: string): SandboxSide {
  return {
    key: 'floor',
    async createSandbox(index) {
      await ipBatch(null, [`netns add ${namePrefix}${index}`]);
      await ipBatch(`${namePrefix}${index}`, ['link set lo up']);
    },
    async deleteSandbox(index) {
      await ipBatch(null, [`netns delete ${namePrefix}${index}`]);
    },
  };
}
