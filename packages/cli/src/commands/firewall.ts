import type { Command, Group } from '../command.js';
import { ensureNewline } from '../format.js';

const plan: Command = {
  name: 'plan',
  usage: '',
  summary: 'Print the nft document the daemon would apply now, without applying it',
  args: { min: 0, max: 0 },
  options: {},
  async run(ctx) {
    ctx.out(ensureNewline(await ctx.client().firewall.plan()));
  },
};

const show: Command = {
  name: 'show',
  usage: '',
  summary: "Print the rules currently applied in patchbay's nft tables",
  args: { min: 0, max: 0 },
  options: {},
  async run(ctx) {
    ctx.out(ensureNewline(await ctx.client().firewall.rules()));
  },
};

export const firewallGroup: Group = {
  name: 'firewall',
  summary: "Show patchbay's nftables rules",
  commands: [plan, show],
};
