import { createClient, DEFAULT_HOST, type PatchbayClient } from '@patchbay/client';
import { parseCommandArgs, UsageError } from './args.js';
import { errorMessage, findCommand, isGroup, type Command, type Context, type Group, type Io } from './command.js';
import { cniGroup } from './commands/cni.js';
import { endpointGroup } from './commands/endpoint.js';
import { firewallGroup } from './commands/firewall.js';
import { ipamGroup } from './commands/ipam.js';
import { networkGroup } from './commands/network.js';
import { sandboxGroup } from './commands/sandbox.js';
import { healthCommand, systemGroup, versionCommand } from './commands/system.js';
import { commandHelp, groupHelp, rootHelp } from './help.js';
import { cliVersion } from './version.js';

const entries: (Command | Group)[] = [
  cniGroup,
  endpointGroup,
  firewallGroup,
  ipamGroup,
  networkGroup,
  sandboxGroup,
  systemGroup,
  healthCommand,
  versionCommand,
];

interface GlobalFlags {
  host: string | undefined;
  help: boolean;
  version: boolean;
  rest: string[];
}

/** Flags before the command, docker style: `patchbay -H unix:///x.sock network ls`. */
function parseGlobal(argv: string[]): GlobalFlags {
  const g: GlobalFlags = { host: undefined, help: false, version: false, rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('-')) break;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-H' || a === '--host') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${a}`);
      g.host = value;
    } else if (a.startsWith('--host=')) g.host = a.slice('--host='.length);
    else if (a.startsWith('-H')) g.host = a.slice(2).replace(/^=/, '');
    else if (a === '-h' || a === '--help') g.help = true;
    else if (a === '-v' || a === '--version') g.version = true;
    else throw new UsageError(`unknown flag: ${a}`);
  }
  g.rest = argv.slice(i);
  return g;
}

/** Runs one `patchbay` invocation; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function run(argv: string[], io: Io): Promise<number> {
  const out = (text: string) => void io.stdout.write(text);
  let path = 'patchbay';
  try {
    const global = parseGlobal(argv);
    const [first, ...afterFirst] = global.rest;
    if (global.version) return out(`patchbay version ${cliVersion}\n`), 0;
    if (first === undefined) return out(rootHelp(entries)), 0;
    if (first === 'help') return out(rootHelp(entries)), 0;

    const entry = entries.find((e) => e.name === first);
    if (!entry) throw new UsageError(`unknown command "${first}" for "patchbay"`);
    path = `patchbay ${entry.name}`;
    let command: Command;
    let args: string[];
    if (isGroup(entry)) {
      const [sub, ...afterSub] = afterFirst;
      if (sub === undefined || sub === '-h' || sub === '--help' || global.help) return out(groupHelp(entry)), 0;
      const found = findCommand(entry, sub);
      if (!found) throw new UsageError(`unknown command "${sub}" for "${path}"`);
      command = found;
      args = afterSub;
      path = `${path} ${found.name}`;
    } else {
      command = entry;
      args = afterFirst;
    }

    const { values, positionals } = parseCommandArgs(args, { ...command.options, help: { type: 'boolean', short: 'h', description: '' } });
    if (values.help === true || global.help) return out(commandHelp(path, command)), 0;
    checkArgCount(path, command, positionals.length);
    const ctx = makeContext(io, global.host ?? (io.env.PATCHBAY_HOST || DEFAULT_HOST));
    return (await command.run(ctx, values, positionals)) ?? 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`Error: ${err.message}\nSee '${err.command ?? path} --help'.\n`);
      return 2;
    }
    io.stderr.write(`Error: ${errorMessage(err)}\n`);
    return 1;
  }
}

function checkArgCount(path: string, command: Command, count: number): void {
  const { min, max } = command.args;
  if (count >= min && (max === undefined || count <= max)) return;
  const plural = (n: number) => `${n} argument${n === 1 ? '' : 's'}`;
  const need =
    max === 0 ? 'accepts no arguments' : min === max ? `requires exactly ${plural(min)}` : max === undefined ? `requires at least ${plural(min)}` : `requires ${min} to ${max} arguments`;
  throw new UsageError(`"${path}" ${need}.`);
}

function makeContext(io: Io, host: string): Context {
  let client: PatchbayClient | undefined;
  return {
    host,
    client() {
      if (!client) {
        try {
          client = createClient({ host });
        } catch (err) {
          throw new UsageError(errorMessage(err), 'patchbay');
        }
      }
      return client;
    },
    out: (text) => void io.stdout.write(text),
    fail: (err) => void io.stderr.write(`Error: ${errorMessage(err)}\n`),
  };
}
