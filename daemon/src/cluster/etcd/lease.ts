import { PatchbayError } from '@patchbay/errors';
import type { Logger } from 'pino';
import type { EtcdClient } from './client.js';

export interface LeaseKeeperOptions {
  ttlSeconds: number;
  /**
   * A new lease was granted (at start, or because the old one expired while etcd could not be
   * reached): whatever lived under the old one must be written again under this one.
   */
  onGranted(leaseId: string): Promise<void>;
  log: Logger;
  /** how often to try again while etcd is unreachable (default 500 ms) */
  retryMs?: number;
}

export interface LeaseKeeper {
  /** the current lease; throws PB_ERR_CLUSTER_UNAVAILABLE while there is none */
  id(): string;
  /** resolves once the first lease is granted and `onGranted` ran */
  ready: Promise<void>;
  /** stops renewing; `revoke` also ends the lease (its keys go at once) */
  stop(opts?: { revoke?: boolean }): Promise<void>;
}

/**
 * One lease kept alive: renewed every third of its TTL; while etcd is unreachable, tried again
 * every `retryMs`; when etcd says it expired, a new one is granted and `onGranted` re-publishes.
 */
export function keepLease(client: EtcdClient, opts: LeaseKeeperOptions): LeaseKeeper {
  const retryMs = opts.retryMs ?? 500;
  const renewMs = Math.max(200, (opts.ttlSeconds * 1000) / 3);
  let lease: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let unreachable = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));

  async function grant() {
    const { id } = await client.leaseGrant(opts.ttlSeconds);
    lease = id;
    await opts.onGranted(id);
    opts.log.info({ lease: id, ttl: opts.ttlSeconds }, 'cluster: lease granted');
    markReady();
  }

  async function tick() {
    try {
      if (!lease) await grant();
      else if ((await client.leaseKeepAlive(lease)) === 0) {
        opts.log.warn({ lease }, 'cluster: the lease expired; granting a new one and publishing again');
        lease = undefined;
        await grant();
      }
      if (unreachable) opts.log.info('cluster: etcd reachable again');
      unreachable = false;
    } catch (err) {
      if (!unreachable) opts.log.warn({ err: (err as Error).message }, 'cluster: cannot renew the lease; retrying');
      unreachable = true;
    }
    if (!stopped) timer = setTimeout(() => void tick(), unreachable || !lease ? retryMs : renewMs);
  }
  void tick();

  return {
    id() {
      if (!lease) throw new PatchbayError('PB_ERR_CLUSTER_UNAVAILABLE', 'the cluster store (etcd) is unavailable: no host lease yet');
      return lease;
    },
    ready,
    async stop({ revoke = false } = {}) {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (revoke && lease) await client.leaseRevoke(lease).catch(() => undefined);
    },
  };
}
