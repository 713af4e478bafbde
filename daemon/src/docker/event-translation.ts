import type { DockerEvent } from '@patchbay/api';
import type { Stamped } from '../changes.js';

/**
 * A change as Docker's `/events` shows it, or undefined when Docker has no such event. Docker's
 * network events: create, destroy, and connect/disconnect with the container's id.
 */
export function toDockerEvent(change: Stamped): DockerEvent | undefined {
  let action: string;
  let attributes: Record<string, string>;
  switch (change.type) {
    case 'network.created':
      action = 'create';
      attributes = { name: change.network.name, type: change.network.driver };
      break;
    case 'network.removed':
      action = 'destroy';
      attributes = { name: change.network.name, type: change.network.driver };
      break;
    case 'endpoint.joined':
    case 'endpoint.left':
      action = change.type === 'endpoint.joined' ? 'connect' : 'disconnect';
      attributes = { container: change.sandbox.containerId, name: change.network.name, type: change.network.driver };
      break;
    default:
      return undefined;
  }
  const nanos = BigInt(change.at) * 1_000_000n;
  return {
    Type: 'network',
    Action: action,
    Actor: { ID: change.network.id, Attributes: attributes },
    scope: 'local',
    time: Number(nanos / 1_000_000_000n),
    timeNano: Number(nanos),
  };
}
