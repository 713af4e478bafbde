import type { Drift } from '@patchbay/client';
import { flag } from '../args.js';
import type { Command, Group } from '../command.js';
import { duration, fields, json, table } from '../format.js';
import { cliVersion } from '../version.js';

const jsonOption = { json: { type: 'boolean', description: 'Print the result as JSON' } } as const;

const driftTable = (drifts: Drift[]) =>
  table(
    ['KIND', 'OBJECT', 'ACTION'],
    drifts.map((d) => [d.kind, d.object, d.action]),
  );

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const check: Command = {
  name: 'check',
  usage: '[OPTIONS]',
  summary: 'Compare the store with the kernel without changing anything (exit 1 when they differ)',
  args: { min: 0, max: 0 },
  options: jsonOption,
  async run(ctx, values) {
    const result = await ctx.client().system.check();
    if (flag(values, 'json')) ctx.out(json(result));
    else if (result.consistent) ctx.out('Consistent: the kernel matches the store.\n');
    else ctx.out(`${driftTable(result.drifts)}\n${plural(result.drifts.length, 'drift')} found; run 'patchbay system reconcile' to repair.\n`);
    return result.consistent ? 0 : 1;
  },
};

const reconcile: Command = {
  name: 'reconcile',
  usage: '[OPTIONS]',
  summary: 'Repair differences between the store and the kernel',
  args: { min: 0, max: 0 },
  options: { 'dry-run': { type: 'boolean', description: 'Only show what would be repaired' }, ...jsonOption },
  async run(ctx, values) {
    const dryRun = flag(values, 'dry-run');
    const result = await ctx.client().system.reconcile({ dryRun });
    const n = result.drifts.length;
    const unrepaired = !dryRun && n > 0 && !result.repaired;
    if (flag(values, 'json')) {
      ctx.out(json(result));
    } else if (n === 0) {
      ctx.out('Nothing to repair.\n');
    } else {
      const verdict = dryRun ? `would repair ${plural(n, 'drift')} (dry run)` : result.repaired ? `repaired ${plural(n, 'drift')}` : `${plural(n, 'drift')} not repaired`;
      ctx.out(`${driftTable(result.drifts)}\n${verdict[0]?.toUpperCase()}${verdict.slice(1)}.\n`);
    }
    return unrepaired ? 1 : 0;
  },
};

export const systemGroup: Group = {
  name: 'system',
  summary: 'Check and repair daemon state',
  commands: [check, reconcile],
};

export const healthCommand: Command = {
  name: 'health',
  usage: '[OPTIONS]',
  summary: "Show the daemon's health and object counts",
  args: { min: 0, max: 0 },
  options: jsonOption,
  async run(ctx, values) {
    const h = await ctx.client().health();
    if (flag(values, 'json')) return void ctx.out(json(h));
    ctx.out(
      fields([
        ['Status', h.status],
        ['Version', h.version],
        ['Uptime', duration(h.uptimeSeconds)],
        ['Networks', h.networks],
        ['Sandboxes', h.sandboxes],
        ['Endpoints', h.endpoints],
      ]),
    );
  },
};

export const versionCommand: Command = {
  name: 'version',
  usage: '',
  summary: 'Show the client and daemon versions',
  args: { min: 0, max: 0 },
  options: {},
  async run(ctx) {
    ctx.out(`Client:\n Version:  ${cliVersion}\n`);
    const h = await ctx.client().health();
    ctx.out(`Server:\n Version:  ${h.version}\n`);
  },
};
