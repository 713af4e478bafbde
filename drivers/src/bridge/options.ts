import { isIP } from 'node:net';
import { PatchbayError } from '@patchbay/errors';
import { IFNAME_RE } from '@patchbay/kernel';
import type { DriverNetwork } from '../contract.js';
import { NETWORK_OPTIONS, badOption as bad, checkNetworkOption } from '../options.js';

export const OPT = {
  name: 'com.docker.network.bridge.name',
  icc: 'com.docker.network.bridge.enable_icc',
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  hostBinding: 'com.docker.network.bridge.host_binding_ipv4',
  defaultBridge: 'com.docker.network.bridge.default_bridge',
  /** IGMP/MLD snooping of a bridge patchbay creates: on unless `false` (as Docker and netavark leave it) */
  mcastSnooping: 'patchbay.bridge.mcast_snooping',
  mtu: NETWORK_OPTIONS.mtu,
  ifacePrefix: NETWORK_OPTIONS.ifacePrefix,
} as const;

function boolOption(key: string, value: string): string {
  const v = value.toLowerCase();
  if (['true', '1', 't'].includes(v)) return 'true';
  if (['false', '0', 'f'].includes(v)) return 'false';
  throw bad(key, value, 'must be true or false');
}

/**
 * Validate the bridge driver's options; known keys are normalised, unknown keys kept as given (as
 * Docker does). A bridge name is refused when another bridge network (`others`) uses it.
 */
export function validateBridgeOptions(options: Record<string, string>, others: readonly DriverNetwork[] = []): Record<string, string> {
  const out: Record<string, string> = { ...options };
  for (const [key, value] of Object.entries(options)) {
    switch (key) {
      case OPT.name: {
        if (!IFNAME_RE.test(value)) throw bad(key, value, 'must be 1-15 characters of [A-Za-z0-9_.-]');
        const clash = others.find((n) => n.state.bridge === value || n.options[OPT.name] === value);
        if (clash) throw new PatchbayError('PB_ERR_BRIDGE_IN_USE', `bridge name ${value} is already used by network ${clash.name}`);
        break;
      }
      case OPT.icc:
      case OPT.masquerade:
      case OPT.defaultBridge:
      case OPT.mcastSnooping:
        out[key] = boolOption(key, value);
        break;
      case OPT.hostBinding:
        if (isIP(value) !== 4) throw bad(key, value, 'must be an IPv4 address');
        break;
      default:
        checkNetworkOption(key, value);
    }
  }
  return out;
}

/** false when the network asks for a bridge without IGMP/MLD snooping; the kernel's default (on) otherwise */
export const bridgeMcastSnooping = (options: Record<string, string>): boolean => options[OPT.mcastSnooping] !== 'false';

export const bridgeMtu = (options: Record<string, string>, dflt: number) =>
  options[OPT.mtu] ? Number(options[OPT.mtu]) : dflt;
