import type { Sandbox } from '@patchbay/api';
import type { SandboxCreateInput } from '@patchbay/client';
import { flag, str, type Values } from '../args.js';
import { inspectEach, listOptions, removeEach, type Command, type Group } from '../command.js';
import { byName, json, shortId, table } from '../format.js';

const create: Command = {
  name: 'create',
  usage: '[OPTIONS]',
  summary: 'Create a sandbox (a network namespace), or adopt an existing one with --netns',
  args: { min: 0, max: 0 },
  options: {
    name: { type: 'string', placeholder: 'string', description: 'Sandbox name' },
    'container-id': { type: 'string', placeholder: 'string', description: 'ID of the container this sandbox belongs to' },
    netns: { type: 'string', placeholder: 'path', description: 'Adopt an existing namespace, e.g. /proc/PID/ns/net' },
  },
  async run(ctx, values) {
    const body: SandboxCreateInput = {};
    const name = str(values, 'name');
    const containerId = str(values, 'container-id');
    const netnsPath = str(values, 'netns');
    if (name !== undefined) body.name = name;
    if (containerId !== undefined) body.containerId = containerId;
    if (netnsPath !== undefined) body.netnsPath = netnsPath;
    const created = await ctx.client().sandboxes.create(body);
    ctx.out(`${created.id}\n`);
  },
};

const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  summary: 'List sandboxes',
  args: { min: 0, max: 0 },
  options: listOptions,
  async run(ctx, values) {
    ctx.out(renderSandboxes((await ctx.client().sandboxes.list()).sort(byName), values));
  },
};

export function renderSandboxes(sandboxes: Sandbox[], values: Values): string {
  if (flag(values, 'json')) return json(sandboxes);
  const id = flag(values, 'no-trunc') ? (s: string) => s : shortId;
  if (flag(values, 'quiet')) return sandboxes.map((s) => `${id(s.id)}\n`).join('');
  // CNI sandboxes are the runtime's containers: their ids and interfaces are shown when there are any
  if (sandboxes.some((s) => s.origin === 'cni')) {
    return table(
      ['SANDBOX ID', 'NAME', 'CONTAINER', 'KEY', 'INTERFACES'],
      sandboxes.map((s) => [id(s.id), s.name, id(s.containerId), s.key, s.endpoints.map((e) => `${e.ifName || '-'}@${e.networkName}`).join(',')]),
    );
  }
  return table(
    ['SANDBOX ID', 'NAME', 'KEY', 'ENDPOINTS'],
    sandboxes.map((s) => [id(s.id), s.name, s.key, String(s.endpoints.length)]),
  );
}

const inspect: Command = {
  name: 'inspect',
  usage: 'SANDBOX [SANDBOX...]',
  summary: 'Display detailed information on one or more sandboxes',
  args: { min: 1 },
  options: {},
  run: (ctx, _values, refs) => inspectEach(ctx, refs, (s) => ctx.client().sandboxes.inspect(s)),
};

const rm: Command = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'SANDBOX [SANDBOX...]',
  summary: 'Remove one or more sandboxes',
  args: { min: 1 },
  options: {},
  run: (ctx, _values, refs) => removeEach(ctx, refs, (s) => ctx.client().sandboxes.remove(s)),
};

export const sandboxGroup: Group = {
  name: 'sandbox',
  summary: 'Manage sandboxes (network namespaces)',
  commands: [create, inspect, ls, rm],
};
