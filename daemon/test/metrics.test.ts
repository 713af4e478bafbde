import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PatchbayError, StepError } from '@patchbay/errors';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { Controller } from '../src/controller/index.js';
import { registerDockerRoutes } from '../src/docker/index.js';
import { createMetrics, outcomeOf, UNMATCHED_ROUTE } from '../src/metrics/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
const streams = new Set<() => void>();

type Labels = Record<string, string | number>;
const sameLabels = (a: Labels, b: Labels) => Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, x]) => String(a[k]) === String(x));
/** prom-client's own value of one series (exact numbers, no text parsing); `series` e.g. NAME_count. */
async function seriesValue(name: string, series: string, labels: Labels): Promise<number | undefined> {
  const metric = t.metrics.registry.getSingleMetric(name);
  assert.ok(metric, `metric ${name} is registered`);
  const { values } = await metric.get();
  return values.find((v) => ((v as { metricName?: string }).metricName ?? name) === series && sameLabels(v.labels as Labels, labels))?.value;
}
const sample = (name: string, labels: Labels = {}) => seriesValue(name, name, labels);
/** A histogram's observation count for exactly these labels. */
const observations = (name: string, labels: Labels) => seriesValue(name, `${name}_count`, labels);
const send = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => t.app.inject({ method, url, ...(payload ? { payload } : {}) });

before(async () => {
  t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], processMetrics: true, plugins: [(app, c) => registerDockerRoutes(app, c, { streams })] });
  t.metrics.sources.eventSubscribers = () => streams.size;
});
after(() => t.close());

describe('GET /metrics after a known set of operations', () => {
  const expectStatus = async (method: 'GET' | 'POST' | 'DELETE', url: string, status: number, payload?: object) => {
    const r = await send(method, url, payload);
    assert.equal(r.statusCode, status, `${method} ${url}: ${r.body}`);
    return r;
  };

  before(async () => {
    await expectStatus('POST', '/v1/networks', 201, { name: 'm1', ipam: { config: [{ subnet: '10.90.0.0/24' }] } });
    await expectStatus('POST', '/v1/networks', 409, { name: 'm1' });
    await expectStatus('POST', '/v1/sandboxes', 201, { name: 's1' });
    await expectStatus('POST', '/v1/sandboxes', 201, { name: 's2' });
    await expectStatus('POST', '/v1/networks/m1/connect', 201, { sandbox: 's1' });
    await expectStatus('POST', '/v1/networks/m1/connect', 409, { sandbox: 's1' });
    // a kernel step fails: the connect is rolled back, nothing of it stays
    t.kernel.failNext((call) => call.method === 'ip');
    await expectStatus('POST', '/v1/networks/m1/connect', 500, { sandbox: 's2' });
    t.kernel.assertNoPending();
    await expectStatus('POST', '/v1/networks/m1/disconnect', 204, { sandbox: 's1' });
    await expectStatus('POST', '/v1/networks/m1/endpoints', 201, { name: 'e1' });
    await expectStatus('POST', '/v1/networks/m1/endpoints/e1/join', 200, { sandbox: 's2' });
    await expectStatus('POST', '/v1/networks/m1/endpoints/e1/leave', 200, {});
    await expectStatus('DELETE', '/v1/sandboxes/s1', 204);
    await expectStatus('DELETE', '/v1/sandboxes/nope', 404);
    await expectStatus('DELETE', '/v1/networks/m1', 403);
    await expectStatus('GET', '/v1/nowhere', 404);
    // through the Docker API the same operations are counted
    await expectStatus('POST', '/v1.44/networks/create', 201, { Name: 'd1' });
    await expectStatus('DELETE', '/networks/d1', 204);
    await t.controller.settled();
  });

  test('is the Prometheus text format, and a text parser reads the same values prom-client holds', async () => {
    const r = await send('GET', '/metrics');
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    const families = parsePrometheusTextFormat(r.body);
    const byName = new Map(families.map((f) => [f.name, f]));
    for (const name of ['patchbay_http_requests_total', 'patchbay_operations_total', 'patchbay_kernel_call_duration_seconds', 'patchbay_nft_apply_duration_seconds', 'patchbay_ipam_pool_addresses', 'patchbay_ipam_pool_addresses_used', 'patchbay_event_stream_subscribers', 'patchbay_reaper_backlog', 'patchbay_link_quieter_backlog', 'patchbay_parked_links', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      assert.ok(byName.has(name), `${name} is exposed`);
    }
    assert.equal(byName.get('patchbay_operations_total')!.type, 'COUNTER');
    assert.equal(byName.get('patchbay_kernel_call_duration_seconds')!.type, 'HISTOGRAM');
    // every counter sample in the text equals prom-client's value, labels and all
    for (const family of families.filter((f) => f.name.startsWith('patchbay_') && f.type === 'COUNTER')) {
      for (const m of family.metrics) assert.equal(Number(m.value), await sample(family.name, m.labels ?? {}), `${family.name} ${JSON.stringify(m.labels)}`);
    }
  });

  test('operations by operation and outcome, exactly', async () => {
    const expected: [string, string, number][] = [
      ['network_create', 'ok', 2],
      ['network_create', 'refused', 1],
      ['sandbox_create', 'ok', 2],
      ['connect', 'ok', 1],
      ['connect', 'refused', 1],
      ['connect', 'rolled_back', 1],
      ['disconnect', 'ok', 1],
      ['join', 'ok', 1],
      ['leave', 'ok', 1],
      ['sandbox_delete', 'ok', 1],
      ['sandbox_delete', 'refused', 1],
      ['network_delete', 'ok', 1],
      ['network_delete', 'refused', 1],
    ];
    const { values } = await t.metrics.operations.get();
    assert.deepStrictEqual(
      values.map((v) => [v.labels.operation, v.labels.outcome, v.value]).sort(),
      expected.sort(),
    );
    for (const [operation, outcome, n] of expected) assert.equal(await observations('patchbay_operation_duration_seconds', { operation, outcome }), n);
  });

  test('requests by route pattern and status, never by raw URL', async () => {
    const exact: [string, string, string, number][] = [
      ['POST', '/v1/networks', '201', 1],
      ['POST', '/v1/networks', '409', 1],
      ['POST', '/v1/networks/:net/connect', '201', 1],
      ['POST', '/v1/networks/:net/connect', '409', 1],
      ['POST', '/v1/networks/:net/connect', '500', 1],
      ['POST', '/v1/networks/:net/endpoints/:ep/join', '200', 1],
      ['DELETE', '/v1/sandboxes/:id', '204', 1],
      ['DELETE', '/v1/sandboxes/:id', '404', 1],
      ['DELETE', '/v1/networks/:id', '403', 1],
      ['GET', UNMATCHED_ROUTE, '404', 1],
      ['POST', '/v:version/networks/create', '201', 1],
      ['DELETE', '/networks/:id', '204', 1],
    ];
    for (const [method, route, status, n] of exact) {
      assert.equal(await sample('patchbay_http_requests_total', { method, route, status }), n, `${method} ${route} ${status}`);
      assert.equal(await observations('patchbay_http_request_duration_seconds', { method, route, status }), n);
    }
    const { values } = await t.metrics.httpRequests.get();
    for (const v of values) {
      const route = String(v.labels.route);
      assert.ok(route === UNMATCHED_ROUTE || t.app.hasRoute({ method: String(v.labels.method) as 'GET', url: route }), `route label ${route} is a registered pattern`);
      assert.doesNotMatch(route, /m1|s1|s2|e1|d1|nope|nowhere|[0-9a-f]{12}/);
    }
  });

  test('kernel exchanges by backend and method, and nft applies: one observation per call', async () => {
    // the batches of an ipSequence are recorded by the fake, but the kernel was called once
    const calls = t.kernel.calls.filter((c) => !c.inSequence);
    const methods = new Set(calls.map((c) => c.method));
    assert.ok(methods.has('ip') && methods.has('nftApply'));
    for (const method of methods) {
      const ok = (await observations('patchbay_kernel_call_duration_seconds', { backend: 'fake', method, outcome: 'ok' })) ?? 0;
      const failed = (await observations('patchbay_kernel_call_duration_seconds', { backend: 'fake', method, outcome: 'error' })) ?? 0;
      assert.equal(ok + failed, calls.filter((c) => c.method === method).length, method);
      assert.equal(failed, method === 'ipSequence' ? 1 : 0, `${method} failures`);
    }
    assert.equal(await observations('patchbay_nft_apply_duration_seconds', { outcome: 'ok' }), calls.filter((c) => c.method === 'nftApply').length);
  });

  test('addresses per network and pool: what the IPAM view counts', async () => {
    for (const name of ['m1', 'bridge']) {
      const view = (await send('GET', `/v1/networks/${name}/ipam`)).json() as { subnets: { subnet: string; total: number; used: number }[] };
      for (const s of view.subnets) {
        assert.equal(await sample('patchbay_ipam_pool_addresses', { network: name, pool: s.subnet }), Number(s.total));
        assert.equal(await sample('patchbay_ipam_pool_addresses_used', { network: name, pool: s.subnet }), Number(s.used));
      }
    }
    // m1: a /24 less network and broadcast; its gateway and e1's address
    assert.equal(await sample('patchbay_ipam_pool_addresses', { network: 'm1', pool: '10.90.0.0/24' }), 254);
    assert.equal(await sample('patchbay_ipam_pool_addresses_used', { network: 'm1', pool: '10.90.0.0/24' }), 2);
    // a removed network leaves no series behind
    assert.equal(await sample('patchbay_ipam_pool_addresses', { network: 'd1', pool: '' }), undefined);
    const { values } = await t.metrics.registry.getSingleMetric('patchbay_ipam_pool_addresses')!.get();
    assert.deepStrictEqual(values.map((v) => v.labels.network).sort(), ['bridge', 'm1']);
  });

  test('domain changes by type, counted from the change feed', async () => {
    const expected: [string, number][] = [
      ['network.created', 5], // none, host and bridge at start-up; m1, d1
      ['network.removed', 1], // d1 (m1's delete was refused)
      ['sandbox.created', 2],
      ['sandbox.removed', 1],
      ['endpoint.created', 2], // s1's connect, e1 (s2's connect failed: it published nothing)
      ['endpoint.removed', 1], // s1's disconnect
      ['endpoint.joined', 2], // s1's connect, e1's join
      ['endpoint.left', 2], // s1's disconnect, e1's leave
    ];
    const { values } = await t.metrics.registry.getSingleMetric('patchbay_changes_total')!.get();
    assert.deepStrictEqual(values.map((v) => [v.labels.type, v.value]).sort(), expected.sort());
  });

  test('event stream subscribers and reaper backlog are read at scrape time', async () => {
    assert.equal(await sample('patchbay_event_stream_subscribers'), 0);
    const until = ((Date.now() + 300) / 1000).toFixed(3);
    const stream = t.app.inject({ method: 'GET', url: `/events?until=${until}` });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await sample('patchbay_event_stream_subscribers'), 1);
    await stream;
    assert.equal(await sample('patchbay_event_stream_subscribers'), 0);
    assert.equal(await sample('patchbay_reaper_backlog'), 0);
    assert.equal(await sample('patchbay_link_quieter_backlog'), 0);
    assert.deepStrictEqual(
      [await sample('patchbay_objects', { kind: 'network' }), await sample('patchbay_objects', { kind: 'sandbox' }), await sample('patchbay_objects', { kind: 'endpoint' })],
      [t.controller.networks.list().length, 1, 1],
    );
  });

  test('reconcile drifts by kind (not for dry runs) and firewall repairs by trigger', async () => {
    const bridge = (await send('GET', '/v1/networks/m1')).json().bridge as string;
    await t.kernel.ip(null, [{ op: 'link.del', name: bridge }]);
    const dry = (await send('POST', '/v1/system/reconcile?dryRun=true')).json() as { drifts: { kind: string }[] };
    assert.deepStrictEqual(dry.drifts.map((d) => d.kind), ['bridge-missing']);
    assert.equal((await t.metrics.registry.getSingleMetric('patchbay_reconcile_drifts_total')!.get()).values.length, 0);
    const kinds = new Map<string, number>();
    const reconcile = async () => {
      const done = (await send('POST', '/v1/system/reconcile')).json() as { drifts: { kind: string }[] };
      for (const d of done.drifts) kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1);
    };
    await reconcile();
    await t.kernel.nftDeleteTable('inet', 'patchbay');
    await reconcile();
    assert.deepStrictEqual([...kinds.keys()].sort(), ['bridge-missing', 'firewall']);
    for (const [kind, n] of kinds) assert.equal(await sample('patchbay_reconcile_drifts_total', { kind }), n, kind);
    assert.equal(await sample('patchbay_firewall_repairs_total', { trigger: 'reconcile' }), 1);
    // the periodic check repairs too; a check that finds nothing counts nothing
    await t.kernel.nftDeleteTable('inet', 'patchbay');
    await t.controller.periodicCheck();
    await t.controller.periodicCheck();
    assert.equal(await sample('patchbay_firewall_repairs_total', { trigger: 'periodic' }), 1);
    assert.equal(await sample('patchbay_firewall_repairs_total', { trigger: 'reconcile' }), 1);
  });
});

describe('metrics units', () => {
  test('outcomes: a rolled-back step, a 4xx refusal, anything else an error', () => {
    assert.equal(outcomeOf(new StepError('add address', new PatchbayError('PB_ERR_KERNEL', 'ip: exit 2'))), 'rolled_back');
    assert.equal(outcomeOf(new PatchbayError('PB_ERR_NETWORK_NOT_FOUND', 'network x not found')), 'refused');
    assert.equal(outcomeOf(new PatchbayError('PB_ERR_ACTIVE_ENDPOINTS', 'in use')), 'refused');
    assert.equal(outcomeOf(new PatchbayError('PB_ERR_POOL_EXHAUSTED', 'no address left')), 'error');
    assert.equal(outcomeOf(new PatchbayError('PB_ERR_KERNEL', 'ip: exit 2')), 'error');
    assert.equal(outcomeOf(new TypeError('x is undefined')), 'error');
  });

  test('the reaper and link quieter backlog and parked link gauges read the controller at each scrape', async () => {
    const metrics = createMetrics({ processMetrics: false });
    let [reaped, quieted, parked] = [3, 5, 2];
    metrics.sources.controller = { core: { reaper: { backlog: () => reaped }, quieter: { backlog: () => quieted }, parking: { size: () => parked } } } as unknown as Controller;
    const read = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values[0]!.value;
    const all = () => Promise.all(['patchbay_reaper_backlog', 'patchbay_link_quieter_backlog', 'patchbay_parked_links'].map(read));
    assert.deepEqual(await all(), [3, 5, 2]);
    [reaped, quieted, parked] = [0, 0, 0];
    assert.deepEqual(await all(), [0, 0, 0]);
  });
});
