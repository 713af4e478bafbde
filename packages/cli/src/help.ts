import { DEFAULT_HOST } from '@patchbay/client';
import type { OptionSpecs } from './args.js';
import { isGroup, type Command, type Group } from './command.js';

const list = (rows: [string, string][]) => {
  const width = Math.max(...rows.map(([a]) => a.length)) + 3;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`.trimEnd()).join('\n');
};

function optionRows(options: OptionSpecs): [string, string][] {
  const rows: [string, string][] = Object.entries(options)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, o]) => {
      const names = o.short ? `-${o.short}, --${name}` : `    --${name}`;
      return [o.placeholder ? `${names} ${o.placeholder}` : names, o.description];
    });
  rows.push(['-h, --help', 'Print usage']);
  return rows;
}

export function rootHelp(entries: (Command | Group)[]): string {
  const groups = entries.filter(isGroup);
  const commands = entries.filter((e): e is Command => !isGroup(e));
  return [
    'Usage:  patchbay [OPTIONS] COMMAND',
    '',
    'Command line for patchbayd, the container network daemon.',
    '',
    'Options:',
    list([
      ['-H, --host string', `Daemon address: unix:///PATH, tcp://HOST:PORT or http://HOST:PORT (env PATCHBAY_HOST; default ${DEFAULT_HOST})`],
      ['-h, --help', 'Print usage'],
      ['-v, --version', 'Print version information and quit'],
    ]),
    '',
    'Management Commands:',
    list(groups.map((g) => [g.name, g.summary])),
    '',
    'Commands:',
    list(commands.map((c) => [c.name, c.summary])),
    '',
    "Run 'patchbay COMMAND --help' for more information on a command.",
    '',
  ].join('\n');
}

export function groupHelp(group: Group): string {
  return [
    `Usage:  patchbay ${group.name} COMMAND`,
    '',
    group.summary,
    '',
    'Commands:',
    list(group.commands.map((c) => [c.name, c.summary])),
    '',
    `Run 'patchbay ${group.name} COMMAND --help' for more information on a command.`,
    '',
  ].join('\n');
}

export function commandHelp(path: string, command: Command): string {
  const lines = [`Usage:  ${path}${command.usage ? ` ${command.usage}` : ''}`, '', command.summary, ''];
  if (command.aliases?.length) {
    const parent = path.slice(0, path.lastIndexOf(' '));
    lines.push('Aliases:', `  ${[command.name, ...command.aliases].map((a) => `${parent} ${a}`).join(', ')}`, '');
  }
  lines.push('Options:', list(optionRows(command.options)), '');
  return lines.join('\n');
}
