import { PatchbayError } from '@patchbay/errors';
import type { DockerNetwork } from '@patchbay/api';
import { exactMatch, match, matchKVList, onlyValue, validateFilterKeys, type FilterArgs } from './filters.js';

export const NETWORK_LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'] as const;

export interface ListedNetwork {
  view: DockerNetwork;
  predefined: boolean;
  endpointCount: number;
}

/** moby daemon/network/filter.go FilterNetworks, with its messages. */
export function filterNetworks(list: ListedNetwork[], args: FilterArgs): ListedNetwork[] {
  validateFilterKeys(args, NETWORK_LIST_FILTERS);
  let out = list.filter(({ view: n }) =>
    (!args.has('driver') || exactMatch(args, 'driver', n.Driver)) &&
    (!args.has('name') || match(args, 'name', n.Name)) &&
    (!args.has('id') || match(args, 'id', n.Id)) &&
    (!args.has('label') || matchKVList(args, 'label', n.Labels)) &&
    (!args.has('scope') || exactMatch(args, 'scope', n.Scope)),
  );
  const dangling = onlyValue(args, 'dangling');
  if (dangling.length > 1) throw new PatchbayError('PB_ERR_INVALID', 'got more than one value for filter key "dangling"');
  if (dangling.length === 1) {
    let danglingOnly: boolean;
    if (dangling[0] === '1' || dangling[0] === 'true') danglingOnly = true;
    else if (dangling[0] === '0' || dangling[0] === 'false') danglingOnly = false;
    else throw new PatchbayError('PB_ERR_INVALID', `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`);
    out = out.filter((n) => (danglingOnly ? !n.predefined && n.endpointCount === 0 : n.predefined || n.endpointCount > 0));
  }
  if (args.has('type')) {
    const typed: ListedNetwork[] = [];
    for (const t of onlyValue(args, 'type')) {
      if (t !== 'builtin' && t !== 'custom') throw new PatchbayError('PB_ERR_INVALID', `invalid filter: 'type'='${t}'`);
      typed.push(...out.filter((n) => n.predefined === (t === 'builtin')));
    }
    out = typed;
  }
  return out;
}
