import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Stamped } from '../changes.js';
import type { Controller, ControllerHooks } from '../controller/index.js';
import { createDeferredRecorder } from './deferred.js';

/** Fast things (HTTP, kernel exchanges, nft) live between 0.1 ms and a few seconds. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the scrape-time gauges read; set once the controller and the front doors exist. */
export interface MetricSources {
  controller?: Controller;
  /** open event streams (Docker's /events) */
  eventSubscribers?: () => number;
}

/**
 * The daemon's metrics, in a registry of its own (never prom-client's global one, so apps in one
 * process, e.g. tests, do not share counts). Labels stay bounded: route patterns, operation,
 * method and drift names, and for the IPAM gauges the network names and subnets that exist now.
 */
export function createMetrics(opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sources: MetricSources = {};
  /** operations, kernel calls and changes are recorded after the answer (see deferred.ts) */
  const deferred = createDeferredRecorder();
  const collect = () => deferred.flush();

  const httpRequests = new Counter({
    name: 'patchbay_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'patchbay_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const operations = new Counter({
    name: 'patchbay_operations_total',
    help: 'Controller operations by operation and outcome (ok, refused, rolled_back, error)',
    labelNames: ['operation', 'outcome'] as const,
    registers,
    collect,
  });
  const operationDuration = new Histogram({
    name: 'patchbay_operation_duration_seconds',
    help: 'Time a controller operation took, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
    collect,
  });
  const kernelDuration = new Histogram({
    name: 'patchbay_kernel_call_duration_seconds',
    help: 'Time of one exchange with the kernel, by backend (netlink, ip, fake), Kernel method and outcome',
    labelNames: ['backend', 'method', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
    collect,
  });
  const nftApplyDuration = new Histogram({
    name: 'patchbay_nft_apply_duration_seconds',
    help: 'Time to apply one nft document (nft -f -), by outcome',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
    collect,
  });
  const reconcileDrifts = new Counter({
    name: 'patchbay_reconcile_drifts_total',
    help: 'Drifts between store and kernel found (and repaired) by reconciles that were not dry runs, by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  const changes = new Counter({
    name: 'patchbay_changes_total',
    help: 'Domain changes on the change feed (networks, sandboxes, endpoints created, joined, left, removed; prunes), by type',
    labelNames: ['type'] as const,
    registers,
    collect,
  });
  const firewallRepairs = new Counter({
    name: 'patchbay_firewall_repairs_total',
    help: 'Times the nft tables were missing or changed and were re-applied, by what found it (periodic, reconcile)',
    labelNames: ['trigger'] as const,
    registers,
  });

  new Gauge({
    name: 'patchbay_ipam_pool_addresses',
    help: 'Usable addresses of each IPAM pool (its subnet less network and broadcast), by network and pool subnet',
    labelNames: ['network', 'pool'] as const,
    registers,
    collect() {
      this.reset();
      for (const pool of poolCounts()) this.set({ network: pool.network, pool: pool.pool }, pool.total);
    },
  });
  new Gauge({
    name: 'patchbay_ipam_pool_addresses_used',
    help: 'Addresses allocated in each IPAM pool (gateway, auxiliary and endpoint addresses), by network and pool subnet',
    labelNames: ['network', 'pool'] as const,
    registers,
    collect() {
      this.reset();
      for (const pool of poolCounts()) this.set({ network: pool.network, pool: pool.pool }, pool.used);
    },
  });
  new Gauge({
    name: 'patchbay_event_stream_subscribers',
    help: 'Open event streams (Docker /events)',
    registers,
    collect() {
      this.set(sources.eventSubscribers?.() ?? 0);
    },
  });
  new Gauge({
    name: 'patchbay_reaper_backlog',
    help: 'Owners (sandboxes, networks) whose retired links are not deleted yet',
    registers,
    collect() {
      this.set(sources.controller?.core.reaper.backlog() ?? 0);
    },
  });
  new Gauge({
    name: 'patchbay_parked_links',
    help: 'Veth pairs of recent disconnects kept for a connect of the same container to the same network',
    registers,
    collect() {
      this.set(sources.controller?.core.parking?.size() ?? 0);
    },
  });
  new Gauge({
    name: 'patchbay_link_quieter_backlog',
    help: 'Host links (bridge ports) waiting for IPv6 to be turned off in the background',
    registers,
    collect() {
      this.set(sources.controller?.core.quieter.backlog() ?? 0);
    },
  });
  new Gauge({
    name: 'patchbay_objects',
    help: 'Networks, sandboxes and endpoints in the store',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      const c = sources.controller;
      if (!c) return;
      this.set({ kind: 'network' }, c.networks.list().length);
      this.set({ kind: 'sandbox' }, c.sandboxes.list().length);
      this.set({ kind: 'endpoint' }, c.endpoints.list().length);
    },
  });

  function poolCounts() {
    const c = sources.controller;
    if (!c) return [];
    return c.networks.list().flatMap((net) =>
      c.core.store.poolsOf(net.id).map((p) => {
        const counts = c.core.ipam.allocatorOf(p, net.name).counts();
        return { network: net.name, pool: p.subnet, total: Number(counts.total), used: Number(counts.used) };
      }),
    );
  }

  /** The controller's hook points, feeding the reconcile and firewall counters. */
  const controllerHooks: ControllerHooks = {
    reconciled(result, dryRun) {
      if (dryRun) return;
      for (const drift of result.drifts) reconcileDrifts.inc({ kind: drift.kind });
    },
    firewallRepaired(trigger) {
      firewallRepairs.inc({ trigger });
    },
  };

  /** The change feed's subscriber: every change counted, whichever door or internal step made it. */
  const countChange = (change: Stamped) => deferred.later(() => changes.inc({ type: change.type }));

  return {
    registry,
    sources,
    controllerHooks,
    countChange,
    /** Records after the answer is written (see deferred.ts); metrics read with collect() see it. */
    later: deferred.later,
    httpRequests,
    httpDuration,
    operations,
    operationDuration,
    kernelDuration,
    nftApplyDuration,
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
