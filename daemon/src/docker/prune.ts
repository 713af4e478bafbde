import { PatchbayError } from '@patchbay/errors';
import type { DockerPruneReport } from '@patchbay/api';
import type { Controller } from '../controller/index.js';
import type { NetworkRecord } from '../store/index.js';
import { matchKVList, onlyValue, parseFilters, validateFilterKeys, type FilterArgs } from './filters.js';
import { queryParam, type DockerRoute } from './request.js';
import { parseTimeOrDuration, type Nanos } from './timestamps.js';

export const PRUNE_FILTERS = ['label', 'label!', 'until'] as const;

function untilOf(args: FilterArgs): Nanos | undefined {
  const values = onlyValue(args, 'until');
  if (values.length > 1) throw new PatchbayError('PB_ERR_INVALID', 'more than one until filter specified');
  return values.length === 1 ? parseTimeOrDuration(values[0]!) : undefined;
}

/** moby daemon/prune.go: unused custom networks created before `until` whose labels match. */
export function prunable(net: NetworkRecord, endpointCount: number, args: FilterArgs, until: Nanos | undefined): boolean {
  if (net.predefined || endpointCount > 0) return false;
  if (until !== undefined && parseTimeOrDuration(net.created) > until) return false;
  if (!matchKVList(args, 'label', net.labels)) return false;
  if (args.has('label!') && matchKVList(args, 'label!', net.labels)) return false;
  return true;
}

export function registerPruneRoute(route: DockerRoute, controller: Controller) {
  route('POST', '/networks/prune', async (req): Promise<DockerPruneReport> => {
    const args = parseFilters(queryParam(req, 'filters'));
    validateFilterKeys(args, PRUNE_FILTERS);
    const until = untilOf(args);
    const deleted: string[] = [];
    for (const net of controller.networks.list()) {
      if (!prunable(net, controller.core.store.endpointCount(net.id), args, until)) continue;
      try {
        await controller.networks.remove(net.id);
        deleted.push(net.name);
      } catch (err) {
        // Like dockerd: a network that gained an endpoint meanwhile is skipped, not an error.
        req.log.warn({ err, network: net.name }, 'prune: could not remove network');
      }
    }
    controller.events.emit('network', 'prune', '', { reclaimed: '0' }); // as dockerd: once per prune, no actor
    return { NetworksDeleted: deleted };
  });
}
