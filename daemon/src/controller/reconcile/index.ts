import type { ReconcileResult } from '@patchbay/api';
import type { Core } from '../core.js';
import { planEndpoints } from './endpoints.js';
import { planFirewall, type FirewallCheck } from './firewall.js';
import { planNetworks } from './networks.js';
import { planOrphans } from './orphans.js';
import { takeSnapshot, type Planned } from './plan.js';
import { planSandboxes } from './sandboxes.js';
import { phaseTimer } from '../phases.js';

/** Reconciles over this many endpoints log where their time went. */
const LARGE_RECONCILE = 1000;

export type { Drift, ReconcileResult } from '@patchbay/api';
export type { FirewallCheck } from './firewall.js';

/** Runs each repair in order; a failed one is logged and recorded on its drift, the rest still run. */
async function repairAll(core: Core, planned: Planned[]): Promise<boolean> {
  let failed = false;
  for (const p of planned) {
    try {
      await p.repair();
      core.log.warn({ drift: p.drift }, 'reconcile: repaired');
    } catch (err) {
      failed = true;
      p.drift.error = err instanceof Error ? err.message : String(err);
      core.log.error({ drift: p.drift, err }, 'reconcile: repair failed');
    }
  }
  return !failed;
}

/**
 * Compare store and kernel and (unless dryRun) repair every drift, object by object: sandboxes
 * whose namespace vanished are re-created (own) or dropped with their endpoints (adopted); what
 * the drivers' checks find lost or changed in networks and endpoints is re-made; kernel objects
 * with patchbay's names that no record owns are deleted; addresses without an owner are freed;
 * a missing or changed firewall is re-applied. The order matters: a re-made bridge comes before
 * the veths re-attached to it, the firewall after everything that changes its model.
 */
export async function reconcile(
  core: Core,
  opts: {
    dryRun: boolean;
    firewall?: FirewallCheck;
    /**
     * 'host' checks only what the daemon's namespace shows (bridges, addresses, host veths,
     * orphans): a live host veth proves its peer lives too. 'full' (default) also looks inside
     * every sandbox (interface, addresses, default route): a few kernel reads per sandbox.
     */
    depth?: 'host' | 'full';
  },
): Promise<ReconcileResult> {
  // compare the settled state: links retired by a recent leave are deleted first
  await core.reaper.settled();
  const phases = phaseTimer();
  const snap = await phases.time('snapshot', () => takeSnapshot(core));
  const sandboxes = await phases.time('sandboxes', () => planSandboxes(core, snap));
  const planned: Planned[] = [
    ...sandboxes.planned,
    ...planNetworks(core, snap),
    ...(await phases.time('endpoints', () => planEndpoints(core, snap, sandboxes.gone, opts.depth !== 'host'))),
    ...planOrphans(core, snap),
    // addresses whose endpoint does not exist (a crash between allocation and endpoint row)
    ...(await phases.time('allocations', () => core.ipam.planOrphanAllocations())),
  ];
  let ok = opts.dryRun || (await phases.time('repair', () => repairAll(core, planned)));
  const drifts = planned.map((p) => p.drift);

  const firewall = opts.firewall ? await phases.time('firewall', () => planFirewall(opts.firewall!)) : undefined;
  if (firewall) {
    drifts.push(firewall.drift);
    if (!opts.dryRun) ok = (await repairAll(core, [firewall])) && ok;
  }
  if (snap.endpoints.length >= LARGE_RECONCILE) core.log.info({ ms: phases.ms, cpuMs: phases.cpuMs, depth: opts.depth ?? 'full', endpoints: snap.endpoints.length, drifts: drifts.length }, 'reconcile: where the time went');
  return { drifts, repaired: !opts.dryRun && drifts.length > 0 && ok };
}
