import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import { waitForPause, type PauseWait, type PausePolicy } from './kernel-pause.js';

/**
 * Turns IPv6 off on host-side links that need none (a bridge port's host veth: the bridge holds
 * the network's addresses), in the background, one link after the other.
 *
 * Why: every host link with IPv6 on gets a multicast route (ff00::/8, table local) once it has
 * carrier, and the kernel walks every IPv6 route of the namespace on each link event of any
 * link (rt6_sync_down_dev on a NETDEV_CHANGE), so with IPv6 left on, each attach costs more the
 * more endpoints there are. With it off (net.ipv6.conf.<link>.disable_ipv6=1) the routes are
 * gone and the attach costs the same at 10,000 endpoints as at 10.
 *
 * Why in the background: no netlink attribute sets disable_ipv6 (IFLA_AF_SPEC/AF_INET6 takes
 * only the token and the address generation mode), and the sysctl's handler only try-locks
 * rtnl, restarting the write until it gets it: while the reaper deletes links (holding rtnl for
 * an RCU grace period) a write spins. So no join waits for it, and each write first waits for
 * the reaper's deletion in flight (`idle`). A link gone before its turn (a quick leave, an undo)
 * is skipped.
 *
 * With a `deferral`, the writes also wait for a pause in the daemon's foreground kernel work (see
 * kernel-pause.ts), so they do not spin on rtnl while the next join works; `maxBacklog` links
 * waiting, or settled(), write them at once (a burst of joins keeps at most that many unquieted).
 */
export interface LinkQuieter {
  /** Turn IPv6 off on host link `name` soon. */
  quiet(name: string): void;
  /** Host link `name` was retired (the reaper deletes it): nothing to quiet. */
  forget(name: string): void;
  /** Resolves when every link asked for so far is done. */
  settled(): Promise<void>;
  /** How many links wait (a metric, tests). */
  backlog(): number;
}

export interface QuieterDeferral extends PausePolicy {
  maxBacklog: number;
}

export function createLinkQuieter(kernel: Kernel, idle: () => Promise<void>, log: Logger, deferral?: QuieterDeferral): LinkQuieter {
  const queue = new Set<string>();
  let draining: Promise<void> | undefined;
  let pause: PauseWait | undefined;
  let urgent = false;

  async function quietOne(name: string): Promise<void> {
    try {
      // at idle priority: a write that spins on rtnl (held by the reaper, or another process's
      // netlink work) takes no CPU from anything else
      await kernel.sysctlSet(`net.ipv6.conf.${name.replaceAll('.', '/')}.disable_ipv6`, '1', { idle: true });
    } catch (err) {
      // gone already (left, undone): nothing to quiet
      if (/: ENOENT\b/.test((err as Error).message)) return;
      log.warn({ err, link: name }, 'turning IPv6 off on a host link failed; it keeps its IPv6 routes');
    }
  }

  async function drain(): Promise<void> {
    // a turn of the event loop first: the join that asked finishes its own kernel work
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.size > 0) {
      if (deferral && !urgent && queue.size < deferral.maxBacklog) {
        pause = waitForPause(deferral);
        await pause.done;
        pause = undefined;
      }
      for (const name of queue) {
        await idle();
        queue.delete(name);
        await quietOne(name);
      }
    }
    draining = undefined;
    urgent = false;
  }

  return {
    quiet(name) {
      queue.add(name);
      if (deferral && queue.size >= deferral.maxBacklog) pause?.now();
      draining ??= drain();
    },
    forget: (name) => void queue.delete(name),
    settled() {
      if (!draining) return Promise.resolve();
      urgent = true;
      pause?.now();
      return draining;
    },
    backlog: () => queue.size,
  };
}
