import { PatchbayError } from '@patchbay/errors';
import { IFNAME_RE } from '@patchbay/kernel';
import type { DriverNetwork } from '../contract.js';
import { badOption, checkNetworkOption, NETWORK_OPTIONS } from '../options.js';
import type { LowerSpec } from './spec.js';

/** `err` with dockerd's words for it, which the Docker API answers with (details.dockerMessage). */
export const inDockerWords = (err: PatchbayError, dockerMessage: string) => new PatchbayError(err.code, err.message, { details: { ...err.details, dockerMessage } });

/** Docker's option for the lower device: an interface, or IFACE.VLAN for an 802.1Q sub-interface. */
export const PARENT_OPTION = 'parent';

/** `eth0.10` → { base: 'eth0', vlan: 10 }; a name without a numeric suffix has no VLAN. */
export function splitVlanParent(parent: string): { base: string; vlan: number } | undefined {
  const m = /^(.+)\.(\d+)$/.exec(parent);
  return m ? { base: m[1]!, vlan: Number(m[2]) } : undefined;
}

/** The parent a network was created on (the made dummy for a network without `parent`). */
export const parentOf = (net: DriverNetwork): string | undefined => (net.state.parent as string | undefined) ?? net.options[PARENT_OPTION];

/**
 * Validate a macvlan/ipvlan network's options (unknown keys kept, as Docker does). Docker's rule
 * for sharing a parent: one network per parent interface; distinct VLAN sub-interfaces of one
 * interface are distinct parents.
 */
export function validateLowerOptions(spec: LowerSpec, options: Record<string, string>, others: readonly DriverNetwork[]): Record<string, string> {
  const out: Record<string, string> = { ...options };
  for (const [key, value] of Object.entries(options)) {
    if (key === PARENT_OPTION) {
      if (!IFNAME_RE.test(value)) throw badOption(key, value, 'must be an interface name of 1-15 characters of [A-Za-z0-9_.-]');
      const vlan = splitVlanParent(value);
      if (vlan && (vlan.vlan < 1 || vlan.vlan > 4094)) {
        throw inDockerWords(badOption(key, value, 'the VLAN id must be from 1 to 4094'), `vlan id must be between 1-4094, received: ${vlan.vlan}`);
      }
      const clash = others.find((n) => parentOf(n) === value);
      if (clash) {
        // dockerd names the other network by its link name (dm-/di- and the id's first 12)
        const docker = `network ${spec.dummyPrefix}${clash.id.slice(0, 12)} is already using parent interface ${value}`;
        throw inDockerWords(new PatchbayError('PB_ERR_PARENT_IN_USE', `network ${clash.name} is already using parent interface ${value}`), docker);
      }
    } else if (key === spec.modeOption) {
      if (!spec.modes.includes(value)) {
        const err = badOption(key, value, `must be one of ${spec.modes.join(', ')} (${spec.modes[0]} is the ${spec.kind} driver's default)`);
        throw inDockerWords(err, `requested ${spec.kind} mode '${value}' is not valid, '${spec.modes[0]}' mode is the ${spec.kind} driver default`);
      }
    } else if (spec.flagOption !== undefined && key === spec.flagOption) {
      if (!spec.flags.includes(value)) throw badOption(key, value, `must be one of ${spec.flags.join(', ')}`);
    } else {
      checkNetworkOption(key, value);
    }
  }
  return out;
}

export const lowerMode = (spec: LowerSpec, net: DriverNetwork) => net.options[spec.modeOption] ?? spec.modes[0]!;
export const lowerFlag = (spec: LowerSpec, net: DriverNetwork) => (spec.flagOption ? net.options[spec.flagOption] : undefined);
export const lowerMtu = (net: DriverNetwork) => (net.options[NETWORK_OPTIONS.mtu] ? Number(net.options[NETWORK_OPTIONS.mtu]) : undefined);
