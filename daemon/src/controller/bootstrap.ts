import { PatchbayError } from '@patchbay/errors';
import { normalizeSubnet } from '@patchbay/ipam';
import type { NetworkRecord } from '../store/index.js';
import { DEFAULT_NETWORK, type Core } from './core.js';
import type { createNetworks } from './networks.js';

type Networks = ReturnType<typeof createNetworks>;

interface DefaultBridgePlan {
  bridge: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  options: Record<string, string>;
}

/** dockerd's rules for the default network: --bridge, --bip, --fixed-cidr, an existing pb0's address. */
async function planDefaultBridge(core: Core): Promise<DefaultBridgePlan> {
  const { config, kernel } = core;
  const bridge = config.bridge ?? 'pb0';
  const options: Record<string, string> = {
    'com.docker.network.bridge.default_bridge': 'true',
    'com.docker.network.bridge.enable_icc': String(config.icc),
    'com.docker.network.bridge.enable_ip_masquerade': String(config.ipMasq),
    'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
    'com.docker.network.bridge.name': bridge,
    'com.docker.network.driver.mtu': String(config.mtu),
  };
  const ipRange = config.fixedCidr ? normalizeSubnet(config.fixedCidr) : undefined;
  const base = { bridge, options, ...(ipRange ? { ipRange } : {}) };
  if (config.bip) return { ...base, subnet: normalizeSubnet(config.bip), gateway: config.bip.split('/')[0]! };
  const link = await kernel.link(null, bridge);
  if (config.bridge && !link) {
    throw new PatchbayError('PB_ERR_INVALID', `bridge device with non default name ${bridge} must be created manually`);
  }
  const addrs = link ? (await kernel.addresses(null)).filter((a) => a.dev === bridge && a.family === 4) : [];
  const chosen = (ipRange && addrs.find((a) => normalizeSubnet(a.cidr) === normalizeSubnet(`${ipRange.split('/')[0]}/${a.cidr.split('/')[1]}`))) ?? addrs[0];
  if (chosen) return { ...base, subnet: normalizeSubnet(chosen.cidr), gateway: chosen.cidr.split('/')[0]! };
  if (config.bridge) throw new PatchbayError('PB_ERR_INVALID', `bridge ${bridge} has no IPv4 address to take the subnet from`);
  return ipRange ? { ...base, subnet: ipRange } : base;
}

function sameDefault(net: NetworkRecord, core: Core, plan: DefaultBridgePlan): boolean {
  const pool = core.store.poolsOf(net.id).find((p) => p.family === 4);
  const optionsSame = JSON.stringify(net.options) === JSON.stringify(plan.options);
  if (!optionsSame || !pool) return false;
  if (plan.subnet && (pool.subnet !== plan.subnet || pool.gateway !== plan.gateway)) return false;
  return (pool.ipRange ?? undefined) === plan.ipRange;
}

/** Ensure the predefined networks: none, host, and the default bridge per the daemon's flags. */
export async function bootstrapNetworks(core: Core, networks: Networks): Promise<void> {
  const { store, log } = core;
  const base = { ipamDriver: 'default', ipamConfig: [], ipamOptions: {}, enableIPv6: false, internal: false, attachable: false, options: {}, labels: {}, predefined: true };
  if (!store.networkByName('none')) await networks.create({ ...base, name: 'none', driver: 'null' });
  if (!store.networkByName('host')) await networks.create({ ...base, name: 'host', driver: 'host' });

  const existing = store.networkByName(DEFAULT_NETWORK);
  if (core.config.bridge === 'none') {
    if (existing) await removeStale(core, networks, existing, 'the daemon runs with --bridge none');
    return;
  }
  const plan = await planDefaultBridge(core);
  if (existing) {
    if (sameDefault(existing, core, plan)) return;
    if (store.endpointCount(existing.id) > 0) {
      log.warn({ network: DEFAULT_NETWORK }, 'default bridge flags changed but it has endpoints; keeping its old configuration until they are gone');
      return;
    }
    await removeStale(core, networks, existing, 'the default bridge flags changed');
  }
  await networks.create({
    ...base,
    name: DEFAULT_NETWORK,
    driver: 'bridge',
    options: plan.options,
    ipamConfig: [{ ...(plan.subnet ? { subnet: plan.subnet } : {}), ...(plan.gateway ? { gateway: plan.gateway } : {}), ...(plan.ipRange ? { ipRange: plan.ipRange } : {}) }].filter((c) => c.subnet),
  });
}

async function removeStale(core: Core, networks: Networks, net: NetworkRecord, why: string) {
  if (core.store.endpointCount(net.id) > 0) {
    core.log.warn({ network: net.name }, `${why}, but the network has endpoints; keeping it`);
    return;
  }
  core.log.info({ network: net.name }, `removing the stored default network: ${why}`);
  await networks.remove(net.id, { allowPredefined: true });
}
