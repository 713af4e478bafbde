import { elementText, modelElements, portElements, type Element } from './elements.js';
import type { FirewallModel } from './model.js';
import { diffNetworkSets, NETWORK_BRIDGE_SETS, NETWORK_INET_SETS } from './network-diff.js';
import {
  BRIDGE_CHAINS, BRIDGE_SETS, BRIDGE_TABLE, INET_CHAINS, INET_SETS, INET_TABLE, PORT_MAPS,
  type ChainSpec, type SetSpec,
} from './schema.js';

/** Bump when the rendered shape changes, so a daemon upgrade re-applies its tables. */
const RULESET_VERSION = 2;

/**
 * The tables' comment: the shape version. What the sets hold is checked by element counts
 * (check()), so a network change can be a batch of element changes like a port change.
 */
export const TABLE_COMMENT = `patchbay ruleset v${RULESET_VERSION}`;

/** True when some network needs the bridge-family table (ICC off). */
export const needsBridgeTable = (model: FirewallModel): boolean => model.networks.some((n) => !n.icc);

/**
 * The full document. It starts with `table X {}` + `delete table X` for each table, so it applies
 * over an existing table or none, and replaces it in the same transaction (nft 1.0.6 has no
 * `destroy`). The bridge table is only rendered when some network has ICC off.
 */
export function renderRuleset(model: FirewallModel): string {
  const elements = modelElements(model);
  const comment = TABLE_COMMENT;
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

/**
 * True when going from `prev` to `next` needs the whole document: nothing applied before, or the
 * bridge-family table appears or goes (a network with ICC off is the first or the last one).
 */
export function needsFullRender(prev: FirewallModel | undefined, next: FirewallModel): prev is undefined {
  return prev === undefined || needsBridgeTable(prev) !== needsBridgeTable(next);
}

/** Element deletes and adds that turn the sets of `before` into those of `after`. */
function diffElements(table: string, names: readonly string[], before: Record<string, Element[]>, after: Record<string, Element[]>) {
  const deletes: string[] = [];
  const adds: string[] = [];
  for (const name of names) {
    const was = before[name] ?? [];
    const now = after[name] ?? [];
    const old = new Map(was.map((e) => [e.key, e.value]));
    const current = new Map(now.map((e) => [e.key, e.value]));
    const removed = was.filter((e) => !current.has(e.key) || current.get(e.key) !== e.value);
    const added = now.filter((e) => !old.has(e.key) || old.get(e.key) !== e.value);
    if (removed.length > 0) deletes.push(`delete element ${table} ${name} { ${removed.map((e) => e.key).join(', ')} }`);
    if (added.length > 0) adds.push(`add element ${table} ${name} { ${added.map(elementText).join(', ')} }`);
  }
  return { deletes, adds };
}

/**
 * The smallest atomic batch taking the kernel from `prev` to `next`: element deletes and adds in
 * the sets and maps ('' when nothing changed), or the full document when needsFullRender. A
 * network change costs no base-chain re-registration this way (that waits for RCU in the
 * kernel). When the networks array is the same object in both models (the daemon keeps it
 * between port changes), only the DNAT maps are compared; when it is not, the network sets'
 * changes come from the networks that came or went (diffNetworkSets). Assumes the kernel holds
 * exactly `prev`; if an element batch fails, apply the full document (createFirewall().update does).
 */
export function planUpdate(prev: FirewallModel | undefined, next: FirewallModel): string {
  if (needsFullRender(prev, next)) return renderRuleset(next);
  const ports = diffElements(INET_TABLE, PORT_MAPS, portElements(prev), portElements(next));
  let inet = ports;
  let bridge = { deletes: [] as string[], adds: [] as string[] };
  if (prev.networks !== next.networks) {
    const networks = networkSetLines(prev, next);
    inet = { deletes: [...networks.inet.deletes, ...ports.deletes], adds: [...networks.inet.adds, ...ports.adds] };
    if (needsBridgeTable(next)) bridge = networks.bridge;
  }
  const lines = [...inet.deletes, ...bridge.deletes, ...inet.adds, ...bridge.adds];
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** The network sets' changes; for a `next` that is not valid, the error comparing every element gives. */
function networkSetLines(prev: FirewallModel, next: FirewallModel) {
  try {
    return diffNetworkSets(prev.networks, next.networks, { inet: INET_TABLE, bridge: BRIDGE_TABLE });
  } catch {
    return diffAllNetworkSets(prev, next);
  }
}

/** The network sets' changes, comparing every element of both models (the reference diffNetworkSets agrees with). */
export function diffAllNetworkSets(prev: FirewallModel, next: FirewallModel) {
  const [before, after] = [modelElements(prev), modelElements(next)];
  return {
    inet: diffElements(INET_TABLE, NETWORK_INET_SETS, before.inet, after.inet),
    bridge: diffElements(BRIDGE_TABLE, NETWORK_BRIDGE_SETS, before.bridge, after.bridge),
  };
}
