import { parseArgs } from 'node:util';
import type { PortPublication } from '@patchbay/api';
import { isAddress } from '@patchbay/ip';

/** Wrong flags or arguments: reported with a `--help` hint and exit code 2. */
export class UsageError extends Error {
  /** The command path for the hint, e.g. "patchbay network create"; set by the dispatcher when unknown. */
  command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help after the flag, e.g. "name=ip". */
  placeholder?: string;
  description: string;
}
export type OptionSpecs = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface ParsedArgs {
  values: Values;
  positionals: string[];
}

/** node:util parseArgs with docker-like error messages. */
export function parseCommandArgs(argv: string[], specs: OptionSpecs): ParsedArgs {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, { type: s.type, multiple: s.multiple ?? false, ...(s.short ? { short: s.short } : {}) }]),
  );
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
}

function describeParseError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const flag = /'(-[^' ]*)/.exec(e.message ?? '')?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag: ${flag}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(e.message)) return `flag ${flag} does not take a value`;
    if (/ambiguous/.test(e.message)) return `flag needs an argument: ${flag} (write ${flag}=VALUE for a value starting with '-')`;
    return `flag needs an argument: ${flag}`;
  }
  return e.message ?? String(err);
}

export const str = (v: Values, name: string): string | undefined => {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
};
export const strs = (v: Values, name: string): string[] => {
  const x = v[name];
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : typeof x === 'string' ? [x] : [];
};
export const flag = (v: Values, name: string): boolean => v[name] === true;

/** `key=value`; with `allowBare`, a lone `key` means an empty value (docker's --label). */
export function parseKeyValue(text: string, flagName: string, allowBare = false): [string, string] {
  const eq = text.indexOf('=');
  if (eq === -1) {
    if (allowBare && text !== '') return [text, ''];
    throw new UsageError(`invalid ${flagName} ${JSON.stringify(text)}: expected key=value`);
  }
  const key = text.slice(0, eq);
  if (key === '') throw new UsageError(`invalid ${flagName} ${JSON.stringify(text)}: empty key`);
  return [key, text.slice(eq + 1)];
}

/** Repeated key=value flags into a map; a repeated key keeps the last value, as docker does. */
export function parseKeyValues(list: string[], flagName: string, allowBare = false): Record<string, string> {
  return Object.fromEntries(list.map((t) => parseKeyValue(t, flagName, allowBare)));
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;

/**
 * Docker's `-p` syntax: `[hostIp:][hostPort:]containerPort[/proto]`, where ports may be equal-length
 * ranges (`8000-8001:80-81`) and an IPv6 host address may be bracketed (`[::1]:8080:80`).
 */
export function parsePublish(spec: string): PortPublication[] {
  const bad = (why: string) => new UsageError(`invalid publish spec ${JSON.stringify(spec)}: ${why}`);
  const slash = spec.lastIndexOf('/');
  const main = slash === -1 ? spec : spec.slice(0, slash);
  const proto = slash === -1 ? 'tcp' : spec.slice(slash + 1).toLowerCase();
  const protocol = PROTOCOLS.find((p) => p === proto);
  if (protocol === undefined) throw bad(`unknown protocol ${JSON.stringify(proto)} (tcp, udp or sctp)`);

  const parts = main.split(':');
  const containerText = parts[parts.length - 1] ?? '';
  const hostPortText = parts.length >= 2 ? (parts[parts.length - 2] ?? '') : '';
  const rawIp = parts.length >= 3 ? parts.slice(0, -2).join(':') : '';
  const hostIp = rawIp.startsWith('[') && rawIp.endsWith(']') ? rawIp.slice(1, -1) : rawIp;
  if (hostIp !== '' && !isAddress(hostIp)) throw bad(`${JSON.stringify(rawIp)} is not an IP address`);

  const container = portRange(containerText, 1, (why) => bad(`container port ${why}`));
  const host = hostPortText === '' ? undefined : portRange(hostPortText, 0, (why) => bad(`host port ${why}`));
  if (host !== undefined && host.length !== container.length) {
    throw bad('host and container port ranges must have the same length');
  }
  return container.map((containerPort, i) => ({
    ...(hostIp !== '' ? { hostIp } : {}),
    ...(host !== undefined ? { hostPort: host[i] as number } : {}),
    containerPort,
    protocol,
  }));
}

function portRange(text: string, min: number, bad: (why: string) => Error): number[] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) throw bad(text === '' ? 'is missing' : `${JSON.stringify(text)} is not a port or range`);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first < min || last > 65535) throw bad(`${JSON.stringify(text)} is out of range ${min}-65535`);
  if (last < first) throw bad(`${JSON.stringify(text)} ends before it starts`);
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
