import type { DockerEvent } from '@patchbay/api';
import type { Stamped } from '../changes.js';

/**
 * A change as Docker's `/events` shows it, or undefined when Docker has no such event. Docker's
 * network events: create, destroy, connect/disconnect with the container's id, and prune (once
 * per prune request, with no actor and `reclaimed=0`, as dockerd sends it).
 */
export function toDockerEvent(change: Stamped): DockerEvent | undefined {
  let action: string;
  let attributes: Record<string, string>;
  let actorId: string;
  switch (change.type) {
    case 'network.pruned':
      action = 'prune';
      attributes = { reclaimed: '0' };
      actorId = '';
      break;
    case 'network.created':
      action = 'create';
      attributes = { name: change.network.name, type: change.network.driver };
      actorId = change.network.id;
      break;
    case 'network.removed':
      action = 'destroy';
      attributes = { name: change.network.name, type: change.network.driver };
      actorId = change.network.id;
      break;
    case 'endpoint.joined':
    case 'endpoint.left':
      action = change.type === 'endpoint.joined' ? 'connect' : 'disconnect';
      attributes = { container: change.sandbox.containerId, name: change.network.name, type: change.network.driver };
      actorId = change.network.id;
      break;
    default:
      return undefined;
  }
  const nanos = BigInt(change.at) * 1_000_000n;
  return {
    Type: 'network',
    Action: action,
    Actor: { ID: actorId, Attributes: attributes },
    scope: 'local',
    time: Number(nanos / 1_000_000_000n),
    timeNano: Number(nanos),
  };
}
