import type { IpamView } from '@patchbay/api';
import { flag, type Values } from '../args.js';
import type { Command, Group } from '../command.js';
import { json, table } from '../format.js';

const show: Command = {
  name: 'show',
  aliases: ['inspect'],
  usage: '[OPTIONS] NETWORK',
  summary: "Show a network's address pools and who holds which address",
  args: { min: 1, max: 1 },
  options: { json: { type: 'boolean', description: 'Print the IPAM view as JSON' } },
  async run(ctx, values, [network]) {
    ctx.out(renderIpam(await ctx.client().ipam.inspect(network as string), values));
  },
};

export function renderIpam(view: IpamView, values: Values): string {
  if (flag(values, 'json')) return json(view);
  const header = `Network: ${view.network} (${view.networkId.slice(0, 12)}), IPAM driver ${view.driver}\n\n`;
  if (view.subnets.length === 0) return `${header}No address pools.\n`;
  const pools = table(
    ['SUBNET', 'GATEWAY', 'IP RANGE', 'TOTAL', 'USED', 'FREE'],
    view.subnets.map((s) => [s.subnet, s.gateway ?? '', s.ipRange ?? '', String(s.total), String(s.used), String(s.free)]),
  );
  const allocations = view.subnets.flatMap((s) => s.allocations);
  const held =
    allocations.length === 0
      ? 'No addresses allocated.\n'
      : table(
          ['ADDRESS', 'KIND', 'OWNER'],
          allocations.map((a) => [a.address, a.kind, a.owner]),
        );
  return `${header}${pools}\n${held}`;
}

export const ipamGroup: Group = {
  name: 'ipam',
  summary: 'Inspect address management',
  commands: [show],
};
