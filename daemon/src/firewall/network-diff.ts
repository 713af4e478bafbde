import { conflict } from '@patchbay/errors';
import { ADDRESS_ORDERED_SETS, elementText, elementsOfNetwork, networkElements, type Element, type NetworkSetName } from './elements.js';
import type { FirewallNetwork } from './model.js';
import { BRIDGE_SETS, INET_SETS, PORT_MAPS } from './schema.js';

/** Each network set's keys, with their value and how many networks give that key. */
type ElementIndex = Map<NetworkSetName, Map<string, { value: string | undefined; count: number }>>;

/**
 * The index of the networks array applied last. It moves to the next array when a change is
 * planned from it (so it is never shared by two arrays); an array without one gets it built.
 */
const indexKept = new WeakMap<readonly FirewallNetwork[], ElementIndex>();

/** The sets networks fill, per table (every inet set but the DNAT maps; every bridge set). */
export const NETWORK_INET_SETS = INET_SETS.map((s) => s.name).filter((n) => !(PORT_MAPS as readonly string[]).includes(n)) as NetworkSetName[];
export const NETWORK_BRIDGE_SETS = BRIDGE_SETS.map((s) => s.name) as NetworkSetName[];

function buildIndex(networks: readonly FirewallNetwork[]): ElementIndex {
  const { inet, bridge } = networkElements(networks); // validates the whole array
  const index: ElementIndex = new Map();
  for (const [set, elements] of Object.entries({ ...inet, ...bridge }) as [NetworkSetName, Element[]][]) {
    const keys = new Map<string, { value: string | undefined; count: number }>();
    for (const e of elements) {
      const held = keys.get(e.key);
      if (held) held.count++;
      else keys.set(e.key, { value: e.value, count: 1 });
    }
    index.set(set, keys);
  }
  return index;
}

export interface NetworkLines {
  inet: { deletes: string[]; adds: string[] };
  bridge: { deletes: string[]; adds: string[] };
}

/**
 * The element deletes and adds of the network sets that take `prev` to `next`, in work that
 * grows with the networks that came or went, not with all of them: networks are compared by
 * object (the daemon keeps one object per stored network), their elements are kept per network,
 * and the index of what `prev` put into the sets (built once, then carried from array to array)
 * says whether another network still gives an element that a removed one gave. The lines are
 * those the element-by-element comparison of the two arrays gives (same sets, order and text).
 * Throws when `next` is not valid; the caller then compares element by element for the error.
 */
export function diffNetworkSets(prev: readonly FirewallNetwork[], next: readonly FirewallNetwork[], table: { inet: string; bridge: string }): NetworkLines {
  const index = indexKept.get(prev) ?? buildIndex(prev);
  indexKept.delete(prev); // changed below: it becomes next's, or nobody's if next is refused
  const remaining = new Set(prev);
  const came = next.filter((n) => !remaining.delete(n));
  const removed = new Map<NetworkSetName, Map<string, Noted>>();
  const added = new Map<NetworkSetName, Map<string, Noted>>();
  const note = (into: typeof removed, set: NetworkSetName, noted: Noted) => (into.get(set) ?? into.set(set, new Map()).get(set)!).set(noted.element.key, noted);

  for (const network of remaining) {
    elementsOfNetwork(network).forEach(({ set, element }, order) => {
      const keys = index.get(set)!;
      const held = keys.get(element.key)!;
      if (--held.count > 0) return;
      keys.delete(element.key);
      note(removed, set, { element, bridge: network.bridge, order });
    });
  }
  for (const network of came) {
    const elements = elementsOfNetwork(network); // validates it
    const bridges = index.get('bridges')!;
    if (bridges.has(elements[0]!.element.key)) throw conflict(`network ${network.name}: bridge ${network.bridge} used twice`, 'PB_ERR_BRIDGE_IN_USE');
    elements.forEach(({ set, element }, order) => {
      const keys = index.get(set)!;
      const held = keys.get(element.key);
      if (held) held.count++;
      else {
        keys.set(element.key, { value: element.value, count: 1 });
        note(added, set, { element, bridge: network.bridge, order });
      }
    });
  }
  indexKept.set(next, index);

  const lines = (tableName: string, sets: readonly NetworkSetName[]) => {
    const deletes: string[] = [];
    const adds: string[] = [];
    for (const set of sets) {
      const gone = removed.get(set) ?? new Map<string, Noted>();
      const now = added.get(set) ?? new Map<string, Noted>();
      // an element removed with one network and given again by another (same key and value) stays
      const same = (a: Noted, b: Noted | undefined) => b !== undefined && a.element.value === b.element.value;
      const order = BY_ADDRESS.has(set) ? byKey : byBridge;
      const del = [...gone.values()].filter((n) => !same(n, now.get(n.element.key))).sort(order).map((n) => n.element);
      const add = [...now.values()].filter((n) => !same(n, gone.get(n.element.key))).sort(order).map((n) => n.element);
      if (del.length > 0) deletes.push(`delete element ${tableName} ${set} { ${del.map((e) => e.key).join(', ')} }`);
      if (add.length > 0) adds.push(`add element ${tableName} ${set} { ${add.map(elementText).join(', ')} }`);
    }
    return { deletes, adds };
  };
  return { inet: lines(table.inet, NETWORK_INET_SETS), bridge: lines(table.bridge, NETWORK_BRIDGE_SETS) };
}

/** An element with where it stands in the full lists (bridge order, or address order for some sets): its network's bridge and its place among that network's elements. */
interface Noted {
  element: Element;
  bridge: string;
  order: number;
}

const BY_ADDRESS = new Set<NetworkSetName>(ADDRESS_ORDERED_SETS);
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byKey = (a: Noted, b: Noted) => compare(a.element.key, b.element.key);
const byBridge = (a: Noted, b: Noted) => compare(a.bridge, b.bridge) || a.order - b.order;
