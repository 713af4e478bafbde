import { isIP } from 'node:net';
import { PatchbayError } from '@patchbay/errors';
import { IFNAME_RE } from '@patchbay/kernel';

export const OPT = {
  name: 'com.docker.network.bridge.name',
  icc: 'com.docker.network.bridge.enable_icc',
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  hostBinding: 'com.docker.network.bridge.host_binding_ipv4',
  defaultBridge: 'com.docker.network.bridge.default_bridge',
  mtu: 'com.docker.network.driver.mtu',
  ifacePrefix: 'com.docker.network.container_iface_prefix',
} as const;

const bad = (key: string, value: string, why: string) =>
  new PatchbayError('PB_ERR_INVALID_OPTION', `invalid value for option ${key}: "${value}": ${why}`);

function boolOption(key: string, value: string): string {
  const v = value.toLowerCase();
  if (['true', '1', 't'].includes(v)) return 'true';
  if (['false', '0', 'f'].includes(v)) return 'false';
  throw bad(key, value, 'must be true or false');
}

/** Validate the bridge driver's options; known keys are normalised, unknown keys kept as given (as Docker does). */
export function validateBridgeOptions(options: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...options };
  for (const [key, value] of Object.entries(options)) {
    switch (key) {
      case OPT.name:
        if (!IFNAME_RE.test(value)) throw bad(key, value, 'must be 1-15 characters of [A-Za-z0-9_.-]');
        break;
      case OPT.icc:
      case OPT.masquerade:
      case OPT.defaultBridge:
        out[key] = boolOption(key, value);
        break;
      case OPT.hostBinding:
        if (isIP(value) !== 4) throw bad(key, value, 'must be an IPv4 address');
        break;
      case OPT.mtu: {
        const n = Number(value);
        if (!/^\d+$/.test(value) || n < 68 || n > 65535) throw bad(key, value, 'must be an integer from 68 to 65535');
        break;
      }
      case OPT.ifacePrefix:
        if (!/^[a-z][a-z0-9]{0,9}$/.test(value)) throw bad(key, value, 'must be 1-10 lowercase letters and digits');
        break;
    }
  }
  return out;
}

export const optionBool = (options: Record<string, string>, key: string, dflt: boolean) =>
  options[key] === undefined ? dflt : options[key] === 'true';

export const bridgeMtu = (options: Record<string, string>, dflt: number) =>
  options[OPT.mtu] ? Number(options[OPT.mtu]) : dflt;
