import { createHash } from 'node:crypto';
import { elementText, modelElements, normalizeNetworks, portElements, type Element } from './elements.js';
import type { FirewallModel, FirewallNetwork } from './model.js';
import {
  BRIDGE_CHAINS, BRIDGE_SETS, BRIDGE_TABLE, INET_CHAINS, INET_SETS, INET_TABLE, PORT_MAPS,
  type ChainSpec, type SetSpec,
} from './schema.js';

/** Bump when the rendered shape changes, so a daemon upgrade re-applies its tables. */
const RULESET_VERSION = 1;

/**
 * Fingerprint of everything except the ports: stored as the tables' comment, so check() can tell
 * whether the applied tables were rendered for these networks (ports are checked by element count).
 */
export function networksFingerprint(model: FirewallModel): string {
  // Callers that keep the same networks array between changes (the daemon does) hash it once.
  const known = fingerprints.get(model.networks);
  if (known !== undefined) return known;
  const canonical = normalizeNetworks(model.networks).map(({ network, subnets }) => [
    network.bridge, subnets.map((s) => s.cidr), network.internal, network.icc, network.masquerade,
    network.hostBindingIpv4 ?? '',
  ]);
  const hash = createHash('sha256').update(JSON.stringify([RULESET_VERSION, canonical])).digest('hex');
  const fingerprint = `patchbay v${RULESET_VERSION} networks ${hash.slice(0, 16)}`;
  fingerprints.set(model.networks, fingerprint);
  return fingerprint;
}
const fingerprints = new WeakMap<readonly FirewallNetwork[], string>();

/** True when some network needs the bridge-family table (ICC off). */
export const needsBridgeTable = (model: FirewallModel): boolean => model.networks.some((n) => !n.icc);

/**
 * The full document. It starts with `table X {}` + `delete table X` for each table, so it applies
 * over an existing table or none, and replaces it in the same transaction (nft 1.0.6 has no
 * `destroy`). The bridge table is only rendered when some network has ICC off.
 */
export function renderRuleset(model: FirewallModel): string {
  const elements = modelElements(model);
  const comment = networksFingerprint(model);
  const out: string[] = [];
  for (const table of [INET_TABLE, BRIDGE_TABLE]) out.push(`table ${table} {}`, `delete table ${table}`);
  out.push(...renderTable(INET_TABLE, comment, INET_SETS, elements.inet, INET_CHAINS));
  if (needsBridgeTable(model)) out.push(...renderTable(BRIDGE_TABLE, comment, BRIDGE_SETS, elements.bridge, BRIDGE_CHAINS));
  return `${out.join('\n')}\n`;
}

function renderTable(
  table: string,
  comment: string,
  sets: readonly SetSpec[],
  elements: Record<string, Element[]>,
  chains: readonly ChainSpec[],
): string[] {
  const out = [`table ${table} {`, `\tcomment "${comment}"`];
  for (const set of sets) {
    out.push(`\t${set.kind} ${set.name} {`, `\t\ttype ${set.type}`);
    if (set.interval) out.push('\t\tflags interval');
    const list = elements[set.name] ?? [];
    if (list.length > 0) out.push(`\t\telements = { ${list.map(elementText).join(',\n\t\t\t     ')} }`);
    out.push('\t}');
  }
  for (const chain of chains) {
    out.push(`\tchain ${chain.name} {`);
    if (chain.hook) out.push(`\t\t${chain.hook}`);
    for (const rule of chain.rules) out.push(`\t\t${rule}`);
    out.push('\t}');
  }
  out.push('}');
  return out;
}

/** True when `prev` was applied and differs from `next` at most in its ports. */
export function onlyPortsChanged(prev: FirewallModel | undefined, next: FirewallModel): prev is FirewallModel {
  return prev !== undefined && networksFingerprint(prev) === networksFingerprint(next);
}

/**
 * The smallest atomic batch taking the kernel from `prev` to `next`: element deletes and adds in
 * the DNAT maps when only ports changed, '' when nothing changed, and the full document when the
 * networks changed or nothing was applied before. Assumes the kernel holds exactly `prev`; if an
 * element batch fails, apply the full document (createFirewall().update does).
 */
export function planUpdate(prev: FirewallModel | undefined, next: FirewallModel): string {
  if (!onlyPortsChanged(prev, next)) return renderRuleset(next);
  const before = portElements(prev);
  const after = portElements(next);
  const deletes: string[] = [];
  const adds: string[] = [];
  for (const map of PORT_MAPS) {
    const old = new Map(before[map].map((e) => [e.key, e.value]));
    const now = new Map(after[map].map((e) => [e.key, e.value]));
    const removed = before[map].filter((e) => now.get(e.key) !== e.value);
    const added = after[map].filter((e) => old.get(e.key) !== e.value);
    if (removed.length > 0) deletes.push(`delete element ${INET_TABLE} ${map} { ${removed.map((e) => e.key).join(', ')} }`);
    if (added.length > 0) adds.push(`add element ${INET_TABLE} ${map} { ${added.map(elementText).join(', ')} }`);
  }
  const lines = [...deletes, ...adds];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
