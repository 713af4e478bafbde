import { ConnectionError, type PatchbayClient } from '@patchbay/client';
import type { OptionSpecs, Values } from './args.js';
import { json } from './format.js';

export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

export interface Context {
  /** The daemon address (-H, PATCHBAY_HOST or the default), as given. */
  host: string;
  /** Created on first use, so `--help` and `version` work without a valid host. */
  client(): PatchbayClient;
  out(text: string): void;
  /** One `Error: …` line on stderr, for commands that carry on past a failed item (rm a b c). */
  fail(err: unknown): void;
}

export interface Command {
  name: string;
  aliases?: string[];
  /** Arguments after the command path, e.g. "[OPTIONS] NETWORK [NETWORK...]". */
  usage: string;
  summary: string;
  options: OptionSpecs;
  args: { min: number; max?: number };
  /** Returns the exit code (0 when omitted). */
  run(ctx: Context, values: Values, positionals: string[]): Promise<number | void>;
}

export interface Group {
  name: string;
  summary: string;
  commands: Command[];
}

export const isGroup = (x: Command | Group): x is Group => 'commands' in x;

export const findCommand = (group: Group, name: string): Command | undefined =>
  group.commands.find((c) => c.name === name || (c.aliases ?? []).includes(name));

/** Flags shared by the listing commands. */
export const listOptions: OptionSpecs = {
  quiet: { type: 'boolean', short: 'q', description: 'Only display IDs' },
  json: { type: 'boolean', description: 'Print the full objects as JSON' },
  'no-trunc': { type: 'boolean', description: 'Do not truncate IDs' },
};

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Fetches each, prints the found ones as one JSON array (like docker inspect), reports the rest. */
export async function inspectEach<T>(ctx: Context, refs: string[], get: (ref: string) => Promise<T>): Promise<number> {
  const found: T[] = [];
  let failed = false;
  for (const ref of refs) {
    try {
      found.push(await get(ref));
    } catch (err) {
      if (err instanceof ConnectionError) throw err;
      ctx.fail(err);
      failed = true;
    }
  }
  ctx.out(json(found));
  return failed ? 1 : 0;
}

/** Removes each, echoing the name on success (like docker rm) and carrying on past failures. */
export async function removeEach(ctx: Context, refs: string[], remove: (ref: string) => Promise<void>): Promise<number> {
  let failed = false;
  for (const ref of refs) {
    try {
      await remove(ref);
      ctx.out(`${ref}\n`);
    } catch (err) {
      if (err instanceof ConnectionError) throw err;
      ctx.fail(err);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
