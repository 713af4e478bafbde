import type { Endpoint } from '@patchbay/api';
import { flag, str, UsageError, type Values } from '../args.js';
import { inspectEach, listOptions, type Command, type Group } from '../command.js';
import { byName, json, shortId, table } from '../format.js';
import { naturalCompare } from '../natural-order.js';

const networkOption = { type: 'string', placeholder: 'NETWORK', description: 'Only endpoints of this network' } as const;

const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS] [NETWORK]',
  summary: 'List endpoints of all networks, or of one (NETWORK or --network)',
  args: { min: 0, max: 1 },
  options: { ...listOptions, network: networkOption },
  async run(ctx, values, [positional]) {
    const option = str(values, 'network');
    if (positional !== undefined && option !== undefined && positional !== option) {
      throw new UsageError(`"patchbay endpoint ls" was given two networks: ${positional} and --network ${option}`);
    }
    const endpoints = await ctx.client().endpoints.list(positional ?? option);
    endpoints.sort((a, b) => naturalCompare(a.networkName, b.networkName) || byName(a, b));
    ctx.out(renderEndpoints(endpoints, values));
  },
};

export function renderEndpoints(endpoints: Endpoint[], values: Values): string {
  if (flag(values, 'json')) return json(endpoints);
  const id = flag(values, 'no-trunc') ? (s: string) => s : shortId;
  if (flag(values, 'quiet')) return endpoints.map((e) => `${id(e.id)}\n`).join('');
  // CNI attachments are named by the runtime's container id and interface: shown when there are any
  if (endpoints.some((e) => e.cni)) {
    return table(
      ['ENDPOINT ID', 'NAME', 'NETWORK', 'SANDBOX', 'CONTAINER', 'IFNAME', 'IPV4', 'MAC'],
      endpoints.map((e) => [id(e.id), e.name, e.networkName, e.sandboxId ? id(e.sandboxId) : '', e.cni ? id(e.cni.containerId) : '', e.ifName ?? '', e.ipv4Address ?? '', e.macAddress ?? '']),
    );
  }
  return table(
    ['ENDPOINT ID', 'NAME', 'NETWORK', 'SANDBOX', 'IPV4', 'MAC'],
    endpoints.map((e) => [id(e.id), e.name, e.networkName, e.sandboxId ? id(e.sandboxId) : '', e.ipv4Address ?? '', e.macAddress ?? '']),
  );
}

const inspect: Command = {
  name: 'inspect',
  usage: '[OPTIONS] ENDPOINT [ENDPOINT...]',
  summary: 'Display detailed information on endpoints, by ID, unique ID prefix or name',
  args: { min: 1 },
  options: { network: { ...networkOption, description: 'Look the endpoints up in this network only' } },
  async run(ctx, values, refs) {
    const network = str(values, 'network');
    const client = ctx.client();
    if (network !== undefined) return inspectEach(ctx, refs, (ref) => client.endpoints.inspect(network, ref));
    // The daemon inspects endpoints per network, so resolve against the list of all of them.
    let all: Promise<Endpoint[]> | undefined;
    return inspectEach(ctx, refs, async (ref) => resolveEndpoint(await (all ??= client.endpoints.list()), ref));
  },
};

/** Docker's lookup order: exact ID, then exact name, then unique ID prefix. */
export function resolveEndpoint(endpoints: Endpoint[], ref: string): Endpoint {
  const exact = endpoints.find((e) => e.id === ref);
  if (exact) return exact;
  const named = endpoints.filter((e) => e.name === ref);
  if (named.length === 1) return named[0] as Endpoint;
  if (named.length > 1) {
    throw new Error(`endpoint ${ref} is ambiguous (${named.length} matches found based on name; use an ID or --network)`);
  }
  const prefixed = ref === '' ? [] : endpoints.filter((e) => e.id.startsWith(ref));
  if (prefixed.length === 1) return prefixed[0] as Endpoint;
  if (prefixed.length > 1) throw new Error(`endpoint ${ref} is ambiguous (${prefixed.length} matches found based on ID prefix)`);
  throw new Error(`endpoint ${ref} not found`);
}

export const endpointGroup: Group = {
  name: 'endpoint',
  summary: 'Inspect endpoints',
  commands: [inspect, ls],
};
