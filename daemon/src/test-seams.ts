import { withFaults, MUTATING_METHODS, type Kernel } from '@patchbay/kernel';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { EtcdClient } from './cluster/etcd/index.js';

/**
 * Test-only seams, off in production: with PATCHBAY_TEST_SEAMS=1 the kernel is wrapped so a test
 * can make the Nth mutating kernel call fail (rollback tests) or kill the daemon with SIGKILL just
 * before it or before the Nth write to the cluster store (crash tests), or hold the reaper's
 * deletions, through routes under /v1/debug.
 */
export const testSeamsEnabled = () => process.env.PATCHBAY_TEST_SEAMS === '1';

export function wrapKernelForTests(inner: Kernel) {
  const faulty = withFaults(inner);
  let crashAt = 0;
  let count = 0;
  let etcdCrashAt = 0;
  let etcdWrites = 0;
  const crashing = Object.fromEntries(
    MUTATING_METHODS.map((m) => [
      m,
      async (...args: unknown[]) => {
        count += 1;
        if (crashAt > 0 && count >= crashAt) process.kill(process.pid, 'SIGKILL');
        return (faulty.kernel[m] as (...a: unknown[]) => Promise<unknown>)(...args);
      },
    ]),
  );
  // while held, the reaper's deletions of retired links wait (tests of what must not wait for them)
  let reaperHold: { gate: Promise<void>; release: () => void } | undefined;
  const ip: Kernel['ip'] = async (netns, ops, options) => {
    if (reaperHold && ops.some((op) => op.op === 'group.del')) await reaperHold.gate;
    return (crashing.ip as Kernel['ip'])(netns, ops, options);
  };
  const kernel: Kernel = { ...faulty.kernel, ...crashing, ip } as Kernel;
  const Hold = z.object({ hold: z.boolean() }).strict();
  const Arm = z.object({ after: z.number().int().min(1).max(10_000), on: z.enum(['kernel', 'etcd']).optional() }).strict();

  /** the cluster store's client with its writes (put, delete, txn) counted, for the etcd crash seam */
  function wrapEtcd(client: EtcdClient): EtcdClient {
    const counted =
      <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
      (...args: A): Promise<R> => {
        etcdWrites += 1;
        if (etcdCrashAt > 0 && etcdWrites >= etcdCrashAt) process.kill(process.pid, 'SIGKILL');
        return write(...args);
      };
    // the prototype keeps the rest, getters included (`closed` reads the client's own state)
    return Object.assign(Object.create(client) as EtcdClient, { put: counted(client.put), delete: counted(client.delete), txn: counted(client.txn) });
  }

  /** `settled` resolves when background kernel work (deleting retired links) is done. */
  function registerRoutes(app: FastifyInstance, settled: () => Promise<void>) {
    /** mutations so far, counted once the background work has settled */
    app.get('/v1/debug/mutations', async () => {
      await settled();
      return { count, etcdWrites };
    });
    /** fail the mutation `after` calls from now */
    app.post('/v1/debug/fail', async (req) => {
      const { after } = Arm.parse(req.body);
      faulty.failAt(faulty.mutations() + after);
      return { at: count + after };
    });
    /** hold (or release) the reaper's deletions of retired links */
    app.post('/v1/debug/reaper', async (req) => {
      const { hold } = Hold.parse(req.body);
      if (hold && !reaperHold) {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        reaperHold = { gate, release };
      } else if (!hold && reaperHold) {
        reaperHold.release();
        reaperHold = undefined;
      }
      return { hold };
    });
    /** SIGKILL the daemon just before the kernel mutation (or, `on: etcd`, the cluster store write) `after` calls from now */
    app.post('/v1/debug/crash', async (req) => {
      const { after, on } = Arm.parse(req.body);
      if (on === 'etcd') return { at: (etcdCrashAt = etcdWrites + after) };
      crashAt = count + after;
      return { at: crashAt };
    });
  }
  return { kernel, wrapEtcd, registerRoutes };
}
