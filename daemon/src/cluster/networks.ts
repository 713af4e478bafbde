import { PatchbayError } from '@patchbay/errors';
import { createAllocator, validatePoolConfig, type NormalizedPool } from '@patchbay/ipam';
import { assertSubnetFree } from '../store/pool-overlap.js';
import type { NetworkRecord } from '../store/index.js';
import type { EtcdClient, TxnOp } from './etcd/index.js';
import { keys } from './keys.js';

/** The VNI option of Docker's overlay driver: given, it is claimed; absent, one is chosen. */
export const VXLAN_ID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
const FIRST_VNI = 4096;
const MAX_VNI = 2 ** 24 - 1;
/** Docker's global default pool: /24s out of 10.0.0.0/8 */
const DEFAULT_BASE = [10, 0, 0];
const CLAIM_ATTEMPTS = 8;
/** a claim whose transaction got no answer: looked for again this often, this many times */
const GIVE_BACK_RETRY_MS = 500;
const GIVE_BACK_ATTEMPTS = 120;

/** A pool of a global network as the cluster store keeps it (decided once, the same on every host). */
export interface GlobalPool {
  family: 4 | 6;
  subnet: string;
  ipRange?: string;
  gateway: string;
  aux: Record<string, string>;
  userConfigured: boolean;
  gatewayConfigured: boolean;
}

/** A global network's record in the cluster store: everything a host needs to mirror it. */
export interface GlobalNetwork {
  network: Omit<NetworkRecord, 'state' | 'driverState' | 'predefined'>;
  vni: number;
  pools: GlobalPool[];
  /** the host that created it */
  createdBy: string;
}

export interface PoolRequest {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  auxAddresses?: Record<string, string>;
}

function parseVni(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const vni = Number(text);
  if (!Number.isInteger(vni) || vni < 1 || vni > MAX_VNI || String(vni) !== text.trim()) {
    throw new PatchbayError('PB_ERR_INVALID_OPTION', `invalid ${VXLAN_ID_OPTION} "${text}": one VXLAN id, 1-${MAX_VNI}`);
  }
  return vni;
}

const held = (subnets: { key: string; value: string }[]) =>
  subnets.map((kv) => {
    const v = JSON.parse(kv.value) as { subnet: string; name: string };
    return { subnet: v.subnet, networkName: v.name };
  });

/** The lowest /24 of 10.0.0.0/8 that overlaps nothing claimed. */
function chooseSubnet(claimed: ReturnType<typeof held>): string {
  for (let i = 0; i < 65536; i++) {
    const subnet = `${DEFAULT_BASE[0]}.${i >> 8}.${i & 255}.0/24`;
    try {
      assertSubnetFree(subnet, claimed);
      return subnet;
    } catch {
      /* taken; next */
    }
  }
  throw new PatchbayError('PB_ERR_NO_POOL', 'no free /24 left in the global default pool 10.0.0.0/8');
}

function planPools(name: string, requests: readonly PoolRequest[], claimed: ReturnType<typeof held>): GlobalPool[] {
  const pools: GlobalPool[] = [];
  for (const req of requests.length > 0 ? requests : [{}]) {
    if (!req.subnet && (req.ipRange || req.gateway || req.auxAddresses)) {
      throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'ip-range, gateway and aux addresses need a subnet');
    }
    const subnet = req.subnet ?? chooseSubnet([...claimed, ...pools.map((p) => ({ subnet: p.subnet, networkName: name }))]);
    const family = subnet.includes(':') ? 6 : 4;
    if (family === 6) throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'overlay networks are IPv4 only here');
    const p: NormalizedPool = validatePoolConfig({ ...req, subnet }, { family, networkName: name });
    assertSubnetFree(p.subnet, [...claimed, ...pools.map((x) => ({ subnet: x.subnet, networkName: name }))]);
    const gateway = p.gateway ?? createAllocator(p, { networkLabel: name }).allocate();
    pools.push({
      family,
      subnet: p.subnet,
      ...(p.ipRange ? { ipRange: p.ipRange } : {}),
      gateway,
      aux: p.auxAddresses,
      userConfigured: req.subnet !== undefined,
      gatewayConfigured: p.gateway !== undefined,
    });
  }
  if (pools.length > 1) throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'an overlay network takes one subnet');
  return pools;
}

/**
 * Global networks in the cluster store. A create claims the name, the VNI and the subnets in one
 * transaction (each a key created if absent; the subnets guarded by the revision they were
 * read at, so an overlapping subnet claimed meanwhile fails the transaction): two hosts creating
 * at once cannot both win.
 */
export function createClusterNetworks(etcd: EtcdClient, hostId: string) {
  /**
   * Networks whose claim got no answer (etcd between leaders, unreachable): the transaction may
   * have committed, now or later, though the create failed. Such a claim is given back as soon as
   * etcd answers, and whenever it shows up again (a late commit seen by the watch) it is given
   * back instead of mirrored. Kept for the daemon's life; after a restart such a claim stands.
   */
  const abandoned = new Set<string>();

  async function giveBack(id: string): Promise<void> {
    const g = await get(id);
    if (g) await release(g, { force: true });
  }

  function abandon(id: string) {
    abandoned.add(id);
    const attempt = (left: number) =>
      void giveBack(id).catch(() => {
        if (left > 1 && !etcd.closed) setTimeout(() => attempt(left - 1), GIVE_BACK_RETRY_MS).unref();
      });
    attempt(GIVE_BACK_ATTEMPTS);
  }

  async function claim(network: GlobalNetwork['network'], requests: readonly PoolRequest[]): Promise<GlobalNetwork> {
    const wantedVni = parseVni(network.options[VXLAN_ID_OPTION]);
    for (let attempt = 1; ; attempt++) {
      const [subnets, vnis] = await Promise.all([etcd.range(keys.subnets, { prefix: true }), etcd.range(keys.vnis, { prefix: true })]);
      const pools = planPools(network.name, requests, held(subnets.kvs));
      const taken = new Set(vnis.kvs.map((kv) => Number(kv.key.slice(keys.vnis.length))));
      let vni = wantedVni ?? FIRST_VNI;
      if (wantedVni === undefined) while (taken.has(vni)) vni++;
      const record: GlobalNetwork = { network: { ...network, options: { ...network.options, [VXLAN_ID_OPTION]: String(vni) } }, vni, pools, createdBy: hostId };
      const ops: TxnOp[] = [
        { put: keys.network(network.id), value: JSON.stringify(record) },
        { put: keys.name(network.name), value: network.id },
        { put: keys.vni(vni), value: network.id },
        ...pools.map((p) => ({ put: keys.subnet(p.subnet), value: JSON.stringify({ subnet: p.subnet, name: network.name, id: network.id }) })),
      ];
      const compares = [
        { key: keys.name(network.name), target: 'create', equals: 0 },
        { key: keys.vni(vni), target: 'create', equals: 0 },
        { key: keys.subnets, prefix: true, target: 'mod', op: 'less', revision: subnets.revision + 1 },
      ] as const;
      const r = await etcd.txn(compares, ops, [{ range: keys.name(network.name) }, { range: keys.vni(vni) }]).catch((err: unknown) => {
        if (err instanceof PatchbayError && err.code === 'PB_ERR_CLUSTER_UNAVAILABLE') abandon(network.id);
        throw err;
      });
      if (r.succeeded) return record;
      // The name is this network's own: this very transaction committed on a member whose answer
      // was lost (the leader changed, the member died), and the client sent it again to another.
      // Only this attempt's transaction writes the name with this id (an attempt that failed
      // committed nothing; one that threw ended the loop), so what is stored is `record`.
      if (r.ranges[0]![0]?.value === network.id) return record;
      if (r.ranges[0]!.length > 0) throw new PatchbayError('PB_ERR_NETWORK_EXISTS', `network with name ${network.name} already exists`);
      if (wantedVni !== undefined && r.ranges[1]!.length > 0) {
        throw new PatchbayError('PB_ERR_FORBIDDEN', `VXLAN id ${wantedVni} is already used by another network`);
      }
      // another host claimed a VNI or a subnet since the read: decide again
      if (attempt >= CLAIM_ATTEMPTS) throw new PatchbayError('PB_ERR_IPAM_CONFLICT', 'other hosts kept claiming the same VNI or subnet; try again');
    }
  }

  /**
   * Removes the network from the cluster: its record, name, VNI, subnets and address keys, in
   * one transaction that fails while any host holds an address in it (an endpoint exists).
   */
  async function release(g: GlobalNetwork, opts: { force?: boolean } = {}): Promise<void> {
    const addressPrefixes = g.pools.map((p) => keys.addresses(p.subnet));
    const reads = await Promise.all(addressPrefixes.map((k) => etcd.range(k, { prefix: true })));
    const inUse = reads.flatMap((r) => r.kvs);
    if (!opts.force && inUse.length > 0) {
      throw new PatchbayError('PB_ERR_ACTIVE_ENDPOINTS', `error while removing network: network ${g.network.name} id ${g.network.id} has active endpoints (on some host of the cluster)`);
    }
    const revision = Math.max(0, ...reads.map((r) => r.revision));
    const r = await etcd.txn(
      opts.force ? [] : addressPrefixes.map((key) => ({ key, prefix: true, target: 'mod' as const, op: 'less' as const, revision: revision + 1 })),
      [
        { delete: keys.network(g.network.id) },
        { delete: keys.name(g.network.name) },
        { delete: keys.vni(g.vni) },
        ...g.pools.flatMap((p) => [{ delete: keys.subnet(p.subnet) }, { delete: keys.addresses(p.subnet), prefix: true }]),
        { delete: keys.endpointsOf(g.network.id), prefix: true },
      ],
    );
    if (!r.succeeded) throw new PatchbayError('PB_ERR_ACTIVE_ENDPOINTS', `error while removing network: network ${g.network.name} got an endpoint meanwhile`);
  }

  async function get(id: string): Promise<GlobalNetwork | undefined> {
    const kv = await etcd.get(keys.network(id));
    return kv ? (JSON.parse(kv.value) as GlobalNetwork) : undefined;
  }

  return {
    claim,
    release,
    get,
    /** whether this network's claim got no answer here: it is to be given back, never mirrored */
    isAbandoned: (id: string) => abandoned.has(id),
    giveBack,
  };
}
export type ClusterNetworks = ReturnType<typeof createClusterNetworks>;
