import type { Network } from '@patchbay/api';
import type { ConnectInput, NetworkCreateInput } from '@patchbay/client';
import { flag, parseKeyValue, parseKeyValues, parsePublish, str, strs, type Values } from '../args.js';
import { inspectEach, listOptions, removeEach, type Command, type Group } from '../command.js';
import { byName, json, shortId, table } from '../format.js';
import { buildPools } from '../pools.js';

const create: Command = {
  name: 'create',
  usage: '[OPTIONS] NETWORK',
  summary: 'Create a network',
  args: { min: 1, max: 1 },
  options: {
    driver: { type: 'string', short: 'd', placeholder: 'string', description: 'Driver to manage the network (default "bridge")' },
    subnet: { type: 'string', multiple: true, placeholder: 'CIDR', description: 'Subnet in CIDR format (repeatable)' },
    gateway: { type: 'string', multiple: true, placeholder: 'ip', description: 'Gateway for a subnet (repeatable)' },
    'ip-range': { type: 'string', multiple: true, placeholder: 'CIDR', description: 'Allocate addresses from a sub-range (repeatable)' },
    'aux-address': { type: 'string', multiple: true, placeholder: 'name=ip', description: 'Reserved address the IPAM must not hand out (repeatable)' },
    'ipam-driver': { type: 'string', placeholder: 'string', description: 'IP address management driver: default or null' },
    'ipam-opt': { type: 'string', multiple: true, placeholder: 'k=v', description: 'IPAM driver option (repeatable)' },
    opt: { type: 'string', short: 'o', multiple: true, placeholder: 'k=v', description: 'Driver option (repeatable)' },
    label: { type: 'string', multiple: true, placeholder: 'k=v', description: 'Label on the network (repeatable)' },
    ipv6: { type: 'boolean', description: 'Enable IPv6' },
    internal: { type: 'boolean', description: 'Restrict external access to the network' },
    attachable: { type: 'boolean', description: 'Enable manual sandbox attachment' },
  },
  async run(ctx, values, [name]) {
    const created = await ctx.client().networks.create(networkCreateBody(name as string, values));
    ctx.out(`${created.id}\n`);
  },
};

/** The NetworkCreate body for `network create` flags; exported for tests. */
export function networkCreateBody(name: string, values: Values): NetworkCreateInput {
  const body: NetworkCreateInput = { name };
  const driver = str(values, 'driver');
  if (driver !== undefined) body.driver = driver;
  const pools = buildPools({
    subnets: strs(values, 'subnet'),
    gateways: strs(values, 'gateway'),
    ipRanges: strs(values, 'ip-range'),
    auxAddresses: strs(values, 'aux-address').map((t) => parseKeyValue(t, '--aux-address')),
  });
  const ipamDriver = str(values, 'ipam-driver');
  const ipamOptions = parseKeyValues(strs(values, 'ipam-opt'), '--ipam-opt');
  if (pools.length > 0 || ipamDriver !== undefined || Object.keys(ipamOptions).length > 0) {
    body.ipam = { config: pools };
    if (ipamDriver !== undefined) body.ipam.driver = ipamDriver as 'default' | 'null';
    if (Object.keys(ipamOptions).length > 0) body.ipam.options = ipamOptions;
  }
  const options = parseKeyValues(strs(values, 'opt'), '--opt');
  if (Object.keys(options).length > 0) body.options = options;
  const labels = parseKeyValues(strs(values, 'label'), '--label', true);
  if (Object.keys(labels).length > 0) body.labels = labels;
  if (flag(values, 'ipv6')) body.enableIPv6 = true;
  if (flag(values, 'internal')) body.internal = true;
  if (flag(values, 'attachable')) body.attachable = true;
  return body;
}

const ls: Command = {
  name: 'ls',
  aliases: ['list'],
  usage: '[OPTIONS]',
  summary: 'List networks',
  args: { min: 0, max: 0 },
  options: listOptions,
  async run(ctx, values) {
    const networks = (await ctx.client().networks.list()).sort(byName);
    ctx.out(renderNetworks(networks, values));
  },
};

export function renderNetworks(networks: Network[], values: Values): string {
  if (flag(values, 'json')) return json(networks);
  const id = flag(values, 'no-trunc') ? (s: string) => s : shortId;
  if (flag(values, 'quiet')) return networks.map((n) => `${id(n.id)}\n`).join('');
  return table(
    ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
    networks.map((n) => [id(n.id), n.name, n.driver, n.scope]),
  );
}

const inspect: Command = {
  name: 'inspect',
  usage: 'NETWORK [NETWORK...]',
  summary: 'Display detailed information on one or more networks',
  args: { min: 1 },
  options: {},
  run: (ctx, _values, names) => inspectEach(ctx, names, (n) => ctx.client().networks.inspect(n)),
};

const rm: Command = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'NETWORK [NETWORK...]',
  summary: 'Remove one or more networks',
  args: { min: 1 },
  options: {},
  run: (ctx, _values, names) => removeEach(ctx, names, (n) => ctx.client().networks.remove(n)),
};

const connect: Command = {
  name: 'connect',
  usage: '[OPTIONS] NETWORK SANDBOX',
  summary: 'Connect a sandbox to a network (prints the new endpoint ID)',
  args: { min: 2, max: 2 },
  options: {
    ip: { type: 'string', placeholder: 'string', description: 'IPv4 address (e.g. 172.30.100.104)' },
    ip6: { type: 'string', placeholder: 'string', description: 'IPv6 address (e.g. 2001:db8::33)' },
    mac: { type: 'string', placeholder: 'string', description: 'MAC address (e.g. 02:42:ac:11:00:02)' },
    alias: { type: 'string', multiple: true, placeholder: 'string', description: 'Network-scoped alias for the sandbox (repeatable)' },
    publish: {
      type: 'string',
      short: 'p',
      multiple: true,
      placeholder: 'spec',
      description: 'Publish a port: [hostIp:][hostPort:]containerPort[/proto] (repeatable)',
    },
  },
  async run(ctx, values, [network, sandbox]) {
    const endpoint = await ctx.client().networks.connect(network as string, connectBody(sandbox as string, values));
    ctx.out(`${endpoint.id}\n`);
  },
};

/** The ConnectRequest body for `network connect` flags; exported for tests. */
export function connectBody(sandbox: string, values: Values): ConnectInput {
  const body: ConnectInput = { sandbox };
  const ip = str(values, 'ip');
  const ip6 = str(values, 'ip6');
  const mac = str(values, 'mac');
  if (ip !== undefined) body.ipv4Address = ip;
  if (ip6 !== undefined) body.ipv6Address = ip6;
  if (mac !== undefined) body.macAddress = mac;
  const ports = strs(values, 'publish').flatMap(parsePublish);
  if (ports.length > 0) body.ports = ports;
  const aliases = strs(values, 'alias');
  if (aliases.length > 0) body.aliases = aliases;
  return body;
}

const disconnect: Command = {
  name: 'disconnect',
  usage: '[OPTIONS] NETWORK SANDBOX',
  summary: 'Disconnect a sandbox from a network',
  args: { min: 2, max: 2 },
  options: { force: { type: 'boolean', short: 'f', description: 'Force the sandbox to disconnect from the network' } },
  async run(ctx, values, [network, sandbox]) {
    await ctx.client().networks.disconnect(network as string, { sandbox: sandbox as string, force: flag(values, 'force') });
  },
};

export const networkGroup: Group = {
  name: 'network',
  summary: 'Manage networks',
  commands: [connect, create, disconnect, inspect, ls, rm],
};
