import type { Slot } from './netns.js';
import { ipBatch } from './proc.js';
import { hostInSlash16, type AttachSide, type NetworkSide, type SandboxSide } from './sides.js';

/**
 * The floor: the same kernel changes an attach needs, made with raw `ip` in the fewest processes
 * and with no bookkeeping at all (addresses are computed from the slot id, nothing is stored).
 * Attach = 2 processes (host side, then inside the namespace); detach = 1 (deleting the host veth
 * deletes its peer too).
 */
export function createFloorAttachSide(o: { bridge: string; prefix16: string }): AttachSide {
  const gateway = hostInSlash16(o.prefix16, 0);
  const veth = (slot: Slot): string => `vfl${slot.id}`;
  return {
    key: 'floor',
    async setup() {
      await ipBatch(null, [`link add ${o.bridge} type bridge`, `addr add ${gateway}/16 dev ${o.bridge}`, `link set ${o.bridge} up`]);
    },
    async prepare() {},
    async attach(slot) {
      // the same kernel changes as patchbay's join on an IPv4-only network (no IPv6 link-local, hairpin)
      await ipBatch(null, [
        `link add ${veth(slot)} type veth peer name eth0 netns ${slot.name}`,
        `link set dev ${veth(slot)} addrgenmode none`,
        `link set ${veth(slot)} master ${o.bridge} up`,
        `link set dev ${veth(slot)} type bridge_slave hairpin on`,
      ]);
      const address = hostInSlash16(o.prefix16, 1 + slot.id);
      await ipBatch(slot.name, ['link set dev eth0 addrgenmode none', `addr add ${address}/16 dev eth0`, 'link set eth0 up', `route add default via ${gateway}`]);
    },
    async detach(slot) {
      await ipBatch(null, [`link del ${veth(slot)}`]);
    },
    async release() {},
    async teardown() {
      await ipBatch(null, [`link del ${o.bridge}`]);
    },
  };
}

/** Floor network create/delete: one process each (bridge + gateway address + up; delete). */
export function createFloorNetworkSide(o: { namePrefix: string; subnetOf: (index: number) => { gateway: string; prefixLength: number } }): NetworkSide {
  return {
    key: 'floor',
    async createNetwork(index) {
      const { gateway, prefixLength } = o.subnetOf(index);
      const name = `${o.namePrefix}${index}`;
      await ipBatch(null, [`link add ${name} type bridge`, `addr add ${gateway}/${prefixLength} dev ${name}`, `link set ${name} up`]);
    },
    async deleteNetwork(index) {
      await ipBatch(null, [`link del ${o.namePrefix}${index}`]);
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
