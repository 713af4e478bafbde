import type { Kernel } from '@patchbay/kernel';
import { listedChains, listedComment, listedElementCount, listedRuleCount } from './inspect.js';
import { modelElements } from './elements.js';
import type { FirewallModel } from './model.js';
import { needsBridgeTable, needsFullRender, planUpdate, renderRuleset, TABLE_COMMENT } from './render.js';
import { BRIDGE_CHAINS, BRIDGE_SETS, INET_CHAINS, INET_SETS, TABLE_NAME, type ChainSpec, type SetSpec } from './schema.js';

export type FirewallKernel = Pick<Kernel, 'nftApply' | 'nftListTable' | 'nftDeleteTable'>;

/** The part of a pino logger the firewall uses. */
export interface FirewallLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface FirewallOptions {
  kernel: FirewallKernel;
  log: FirewallLogger;
  /** false with --iptables=false: every method is a no-op */
  enabled: boolean;
}

export interface CheckResult {
  ok: boolean;
  reason?: string;
}

export interface Firewall {
  /** Replace patchbay's tables with the rules for `model`, atomically. */
  apply(model: FirewallModel): Promise<void>;
  /** Go from `prev` (what is applied) to `next` with the smallest batch; full apply if that fails. */
  update(prev: FirewallModel | undefined, next: FirewallModel): Promise<void>;
  /** The full document for `model`, without applying it ('' when disabled). */
  plan(model: FirewallModel): string;
  /** What is applied now (`nft list table` of patchbay's tables), undefined if none. */
  show(): Promise<string | undefined>;
  /** Whether the applied tables are the ones `model` gives (missing after a flush → not ok). */
  check(model: FirewallModel): Promise<CheckResult>;
  /** Delete patchbay's tables; missing ones are success. */
  remove(): Promise<void>;
  /** Number of rules in patchbay's tables (0 when none). */
  ruleCount(): Promise<number>;
}

const FAMILIES = ['inet', 'bridge'] as const;

export function createFirewall({ kernel, log, enabled }: FirewallOptions): Firewall {
  const listings = async () => ({
    inet: await kernel.nftListTable('inet', TABLE_NAME),
    bridge: await kernel.nftListTable('bridge', TABLE_NAME),
  });

  const applyDocument = async (document: string, kind: 'full' | 'incremental') => {
    const started = performance.now();
    await kernel.nftApply(document);
    log.debug({ kind, bytes: document.length, ms: Math.round(performance.now() - started) }, 'firewall applied');
  };

  if (!enabled) {
    return {
      apply: async () => {},
      update: async () => {},
      plan: () => '',
      show: async () => undefined,
      check: async () => ({ ok: true }),
      remove: async () => {},
      ruleCount: async () => 0,
    };
  }

  return {
    apply: (model) => applyDocument(renderRuleset(model), 'full'),

    async update(prev, next) {
      if (needsFullRender(prev, next)) return applyDocument(renderRuleset(next), 'full');
      const document = planUpdate(prev, next);
      if (document === '') return;
      try {
        await applyDocument(document, 'incremental');
      } catch (err) {
        // the kernel did not hold `prev` (e.g. a flushed ruleset): fall back to the whole table
        log.warn({ err }, 'incremental firewall update failed, applying the full ruleset');
        await applyDocument(renderRuleset(next), 'full');
      }
    },

    plan: (model) => renderRuleset(model),

    async show() {
      const { inet, bridge } = await listings();
      const shown = [inet, bridge].filter((t): t is string => t !== undefined);
      return shown.length === 0 ? undefined : shown.join('');
    },

    async check(model) {
      const { inet, bridge } = await listings();
      const expected = modelElements(model);
      const withBridge = needsBridgeTable(model);
      const problem =
        tableProblem('inet', inet, INET_CHAINS) ??
        (withBridge
          ? tableProblem('bridge', bridge, BRIDGE_CHAINS)
          : bridge !== undefined
            ? `table bridge ${TABLE_NAME} exists but no network has ICC off`
            : undefined) ??
        elementsProblem(inet!, INET_SETS, expected.inet) ??
        (withBridge ? elementsProblem(bridge!, BRIDGE_SETS, expected.bridge) : undefined);
      return problem === undefined ? { ok: true } : { ok: false, reason: problem };
    },

    async remove() {
      for (const family of FAMILIES) await kernel.nftDeleteTable(family, TABLE_NAME);
    },

    async ruleCount() {
      const { inet, bridge } = await listings();
      return [inet, bridge].reduce((n, listing) => n + (listing ? listedRuleCount(listing) : 0), 0);
    },
  };
}

function tableProblem(family: string, listing: string | undefined, chains: readonly ChainSpec[]): string | undefined {
  const table = `table ${family} ${TABLE_NAME}`;
  if (listing === undefined) return `${table} is missing`;
  if (listedComment(listing) !== TABLE_COMMENT) return `${table} has another shape (not "${TABLE_COMMENT}")`;
  const present = new Set(listedChains(listing));
  const missing = chains.filter((c) => !present.has(c.name)).map((c) => c.name);
  if (missing.length > 0) return `${table} lacks chains ${missing.join(', ')}`;
  const rules = chains.reduce((n, c) => n + c.rules.length, 0);
  const found = listedRuleCount(listing);
  return found === rules ? undefined : `${table} has ${found} rules, expected ${rules}`;
}

/** Networks and ports are set elements: a set holding more or fewer than the model gives is drift. */
function elementsProblem(listing: string, sets: readonly SetSpec[], expected: Record<string, readonly unknown[]>): string | undefined {
  for (const { kind, name } of sets) {
    const found = listedElementCount(listing, name);
    const want = expected[name]?.length ?? 0;
    if (found !== want) return `${kind} ${name} has ${found} elements, expected ${want}`;
  }
  return undefined;
}
