import { createSlots, type Slot } from './netns.js';
import { errorCell, type MetricId, type Results } from './results.js';
import type { ReconnectSide } from './docker-api.js';
import type { AttachSide, NetworkSide, SandboxSide, SideKey } from './sides.js';
import { growth, nowMs, summarize, timed, windowMedians } from './stats.js';

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

/**
 * Attach and detach, round-robin over the sides (the starting side rotates every round) so that
 * background load falls on all of them alike. Each attach gets a fresh, pre-made namespace.
 * A side that fails is dropped from the remaining rounds; its cells carry the error.
 */
export async function attachDetachRounds(
  sides: readonly AttachSide[],
  rounds: { warmup: number; timed: number },
  results: Results,
  metrics: { attach: MetricId; detach: MetricId } = { attach: 'attach', detach: 'detach' },
): Promise<void> {
  const live: AttachSide[] = [];
  for (const side of sides) {
    try {
      await side.setup();
      live.push(side);
    } catch (err) {
      fail(results, side, metricsOf(side, metrics), err);
    }
  }
  const total = rounds.warmup + rounds.timed;
  const slots = new Map<AttachSide, Slot[]>();
  for (const side of live) slots.set(side, await createSlots(side.slotPrefix ?? `a${side.key[0]}`, total));
  const samples = new Map(live.map((s) => [s, { attach: [] as number[], detach: [] as number[] }]));
  for (let round = 0; round < total; round++) {
    const order = live.map((_, i) => live[(i + round) % live.length]!);
    for (const op of ['attach', 'detach'] as const) {
      for (const side of order) {
        if (!live.includes(side)) continue;
        const slot = slots.get(side)![round]!;
        try {
          if (op === 'attach') await side.prepare(slot);
          const ms = await timed(() => side[op](slot));
          if (op === 'detach') await side.release(slot);
          if (round >= rounds.warmup) samples.get(side)![op].push(ms);
        } catch (err) {
          fail(results, side, metricsOf(side, metrics), err);
          live.splice(live.indexOf(side), 1);
        }
      }
    }
  }
  for (const side of live) {
    const [attach, detach] = metricsOf(side, metrics);
    results.set(attach!, side.key, { kind: 'samples', summary: summarize(samples.get(side)!.attach) });
    if (detach) results.set(detach, side.key, { kind: 'samples', summary: summarize(samples.get(side)!.detach) });
  }
  for (const side of sides) await side.teardown().catch((err) => log(`${side.key} teardown: ${String(err)}`));
}

/** The rows a side's samples go to: its own, or the call's. */
function metricsOf(side: AttachSide, metrics: { attach: MetricId; detach: MetricId }): MetricId[] {
  if (!side.metrics) return [metrics.attach, metrics.detach];
  return side.metrics.detach ? [side.metrics.attach, side.metrics.detach] : [side.metrics.attach];
}

/** A side that makes and removes one kind of object (a network, a sandbox), by index. */
interface CreateDeleteSide {
  readonly key: SideKey;
  create(index: number): Promise<void>;
  remove(index: number): Promise<void>;
}

/** Create then delete, round-robin over the sides like attachDetachRounds; both timed. */
async function createDeleteRounds(
  sides: readonly CreateDeleteSide[],
  rounds: { warmup: number; timed: number },
  metrics: readonly [MetricId, MetricId],
  results: Results,
): Promise<void> {
  const live = [...sides];
  const samples = new Map(live.map((s) => [s, { create: [] as number[], remove: [] as number[] }]));
  for (let round = 0; round < rounds.warmup + rounds.timed; round++) {
    for (const side of live.map((_, i) => live[(i + round) % live.length]!)) {
      try {
        const create = await timed(() => side.create(round));
        const remove = await timed(() => side.remove(round));
        if (round >= rounds.warmup) {
          samples.get(side)!.create.push(create);
          samples.get(side)!.remove.push(remove);
        }
      } catch (err) {
        fail(results, side, [...metrics], err);
        live.splice(live.indexOf(side), 1);
      }
    }
  }
  for (const side of live) {
    results.set(metrics[0], side.key, { kind: 'samples', summary: summarize(samples.get(side)!.create) });
    results.set(metrics[1], side.key, { kind: 'samples', summary: summarize(samples.get(side)!.remove) });
  }
}

/** Network create and delete (rows netCreate/netDelete unless `metrics` says otherwise). */
export async function networkRounds(
  sides: readonly NetworkSide[],
  rounds: { warmup: number; timed: number },
  results: Results,
  metrics: readonly [MetricId, MetricId] = ['netCreate', 'netDelete'],
): Promise<void> {
  for (const side of sides) await side.setup?.();
  const adapted = sides.map((s) => ({ key: s.key, create: (i: number) => s.createNetwork(i), remove: (i: number) => s.deleteNetwork(i) }));
  await createDeleteRounds(adapted, rounds, metrics, results);
  for (const side of sides) await side.teardown?.().catch((err) => log(`${side.key} teardown: ${String(err)}`));
}

/**
 * Connect then disconnect of the same container, round-robin over the sides like the other
 * rounds: what `docker network connect`/`disconnect` and a restarting container do.
 */
export async function reconnectRounds(sides: readonly ReconnectSide[], rounds: { warmup: number; timed: number }, results: Results): Promise<void> {
  const metrics: MetricId[] = ['dockerConnect', 'dockerDisconnect'];
  const live: ReconnectSide[] = [];
  for (const side of sides) {
    try {
      await side.setup();
      live.push(side);
    } catch (err) {
      fail(results, side, metrics, err);
    }
  }
  const adapted = live.map((s) => ({ key: s.key, create: () => s.connect(), remove: () => s.disconnect() }));
  await createDeleteRounds(adapted, rounds, ['dockerConnect', 'dockerDisconnect'], results);
  for (const side of sides) await side.teardown().catch((err) => log(`${side.key} teardown: ${String(err)}`));
}

/** Sandbox create and delete: what a container start and stop cost before and after its networks. */
export function sandboxRounds(sides: readonly SandboxSide[], rounds: { warmup: number; timed: number }, results: Results): Promise<void> {
  const adapted = sides.map((s) => ({ key: s.key, create: (i: number) => s.createSandbox(i), remove: (i: number) => s.deleteSandbox(i) }));
  return createDeleteRounds(adapted, rounds, ['sbCreate', 'sbDelete'], results);
}

/** `count` attaches one after another, then `count` fired at once; wall time of each batch. */
export async function concurrencyRun(side: AttachSide, count: number, results: Results): Promise<void> {
  const slots = await createSlots(`c${side.key[0]}`, 2 * count);
  try {
    await side.setup();
    for (const mode of ['sequential', 'parallel'] as const) {
      const batch = mode === 'sequential' ? slots.slice(0, count) : slots.slice(count);
      for (const slot of batch) await side.prepare(slot);
      const start = nowMs();
      if (mode === 'sequential') for (const slot of batch) await side.attach(slot);
      else await settleAll(batch.map((slot) => side.attach(slot)));
      results.set(mode, side.key, { kind: 'wall', ms: nowMs() - start, count });
      for (const slot of batch) {
        await side.detach(slot);
        await side.release(slot);
      }
    }
  } catch (err) {
    fail(results, side, ['sequential', 'parallel'], err);
  } finally {
    await side.teardown().catch((err) => log(`${side.key} teardown: ${String(err)}`));
  }
}

/**
 * Growth side by side: each side attaches its endpoints into slots of its own (and, for a fair
 * kernel, a host namespace of its own), one endpoint per side in turn with the starting side
 * rotated every step, so a drift of the machine's speed during the run falls on every side alike
 * (one side after the other, a floor whose `ip` processes got 6 ms faster over its run made
 * patchbay's growth look like its own); then they detach the same way. A side that fails drops out.
 */
export async function growthEndpointsSideBySide(entries: readonly { side: AttachSide; slots: readonly Slot[] }[], window: number, results: Results, atPeak?: () => Promise<void>): Promise<void> {
  const runs = entries.map((e) => ({ ...e, attach: [] as number[], detach: [] as number[] }));
  const metrics: Parameters<Results['set']>[0][] = ['growthEndpoints', 'growthEndpointsDetach'];
  let live: typeof runs = [];
  for (const r of runs) {
    try {
      await r.side.setup();
      for (const slot of r.slots) await r.side.prepare(slot);
      live.push(r);
    } catch (err) {
      fail(results, r.side, metrics, err, 'setup');
    }
  }
  const steps = Math.max(0, ...live.map((r) => r.slots.length));
  const inTurn = async (what: 'attach' | 'detach') => {
    for (let i = 0; i < steps; i++) {
      for (const r of live.map((_, k) => live[(k + i) % live.length]!)) {
        const slot = r.slots[i];
        if (!slot) continue;
        try {
          r[what].push(await timed(() => r.side[what](slot)));
        } catch (err) {
          fail(results, r.side, metrics, err, `after ${r.attach.length} attaches, ${r.detach.length} detaches`);
          live = live.filter((l) => l !== r);
        }
      }
    }
  };
  await inTurn('attach');
  for (const r of live) {
    results.set('growthEndpoints', r.side.key, { kind: 'growth', growth: growth(r.attach, window) });
    log(`growth: ${r.side.key} attach medians by ${window}: ${windowMedians(r.attach, window).map((m) => m.toFixed(2)).join(' ')}`);
  }
  if (atPeak) await atPeak();
  await inTurn('detach');
  for (const r of live) {
    results.set('growthEndpointsDetach', r.side.key, { kind: 'growth', growth: growth(r.detach, window) });
    for (const slot of r.slots) await r.side.release(slot).catch((err) => log(`${r.side.key} release: ${String(err)}`));
  }
  for (const r of runs) await r.side.teardown().catch((err) => log(`${r.side.key} teardown: ${String(err)}`));
}

/** `count` networks created one by one (timed), then deleted. */
export async function growthNetworksRun(side: NetworkSide, count: number, window: number, results: Results): Promise<void> {
  const create: number[] = [];
  try {
    await side.setup?.();
    for (let i = 0; i < count; i++) create.push(await timed(() => side.createNetwork(i)));
    results.set('growthNetworks', side.key, { kind: 'growth', growth: growth(create, window) });
  } catch (err) {
    fail(results, side, ['growthNetworks'], err, `after ${create.length} networks`);
  } finally {
    for (let i = create.length - 1; i >= 0; i--) await side.deleteNetwork(i).catch((err) => log(`${side.key} delete network ${i}: ${String(err)}`));
    await side.teardown?.().catch((err) => log(`${side.key} teardown: ${String(err)}`));
  }
}

/** Like Promise.all, but waits for every promise before rethrowing the first failure. */
async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

function fail(results: Results, side: { key: AttachSide['key'] }, metrics: Parameters<Results['set']>[0][], err: unknown, context?: string): void {
  const cell = errorCell(context ? new Error(`${err instanceof Error ? err.message : String(err)} (${context})`) : err);
  log(`${side.key}: ${cell.kind === 'error' ? cell.message : ''}`);
  for (const metric of metrics) results.setIfAbsent(metric, side.key, cell);
}
