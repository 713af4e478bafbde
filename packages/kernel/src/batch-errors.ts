import { KernelError } from '@patchbay/errors';
import type { IpBatch, IpOp, Kernel } from './contract.js';

/**
 * What went wrong in an `ip -batch` run, per op. Shared by the real kernel (parsing iproute2's
 * stderr) and the fake (which reports its own failures the same way).
 */

export interface OpFailure {
  /** index of the op in the batch */
  index: number;
  message: string;
}

export interface ParsedBatchStderr {
  /** failures iproute2 attributed to a line ("Command failed -:LINE", 1-based) */
  reported: { line: number; message: string }[];
  /**
   * Error text after the last attributed failure: iproute2 exits on a bad argument (e.g. a
   * missing `master` device) without naming the line, ending the whole batch there.
   */
  unattributed?: string;
}

const COMMAND_FAILED_RE = /^Command failed .*:(\d+)$/;

export function parseBatchStderr(stderr: string): ParsedBatchStderr {
  const reported: ParsedBatchStderr['reported'] = [];
  let pending: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = COMMAND_FAILED_RE.exec(line.trim());
    if (m) {
      reported.push({ line: Number(m[1]), message: pending.join('\n').trim() });
      pending = [];
    } else if (line.trim() !== '') {
      pending.push(line);
    }
  }
  const rest = pending.join('\n').trim();
  return rest === '' ? { reported } : { reported, unattributed: rest };
}

/** Keywords whose argument iproute2 checks itself (and exits on, via invarg). */
const ARGUMENT_KEYWORDS = ['master', 'netns', 'dev', 'via', 'address', 'mtu'];

/**
 * Which of `lines` (token arrays, the first not yet known to have run) ended the process with
 * `Error: argument "X" is wrong: ...`. Ops before it ran silently, so the first line that passes
 * X after one of the checked keywords is the one; 0 when the message names nothing we can find.
 */
export function locateArgumentError(lines: readonly (readonly string[])[], message: string): number {
  const arg = /argument "([^"]*)" is wrong/.exec(message)?.[1];
  if (arg === undefined) return 0;
  const byKeyword = lines.findIndex((tokens) =>
    tokens.some((t, i) => i > 0 && t === arg && ARGUMENT_KEYWORDS.includes(tokens[i - 1]!)),
  );
  if (byKeyword >= 0) return byKeyword;
  const anywhere = lines.findIndex((tokens) => tokens.includes(arg));
  return anywhere >= 0 ? anywhere : 0;
}

const GONE_DEVICE = [/Cannot find device/i, /No such device/i, /Device does not exist/i, /No such file or directory/i];
const GONE_ADDRESS = [/Cannot assign requested address/i, /Address not found/i];
const GONE_ROUTE = [/No such process/i];

/** In teardown mode: does this failure only say that what the op removes is already gone? */
export function isMissingError(op: IpOp | undefined, message: string): boolean {
  const patterns = [...GONE_DEVICE];
  if (op?.op === 'addr.del') patterns.push(...GONE_ADDRESS);
  if (op?.op === 'route.del') patterns.push(...GONE_ROUTE);
  return patterns.some((re) => re.test(message));
}

/** Adds facts to a KernelError's details (the object is built by its constructor). */
export function withDetails<E extends KernelError>(err: E, extra: Record<string, unknown>): E {
  Object.assign(err.details as Record<string, unknown>, extra);
  return err;
}

/**
 * The error for a batch that had failures: `details.failedOp` is the first failing op,
 * `details.failures` lists every one (several only in teardown mode).
 */
export function batchError(
  argv: readonly string[],
  exitCode: number | undefined,
  stderr: string,
  failures: readonly OpFailure[],
  lines: readonly string[],
  status?: string,
): KernelError {
  const first = failures[0];
  return withDetails(new KernelError(argv, exitCode, stderr, status === undefined ? undefined : { status }), {
    failedOp: first?.index,
    failedLine: first === undefined ? undefined : lines[first.index],
    failures: failures.map((f) => ({ op: f.index, line: lines[f.index], message: f.message })),
  });
}

/** The details of a fault injected into a kernel call (fake, faulty): a batch call failed at its first op. */
export const injectedFaultDetails = (method: string): Record<string, unknown> =>
  method === 'ip' || method === 'ipSequence' ? { failedOp: 0, injected: true } : { injected: true };

/** Marks an ipSequence's error with the batch that threw (`details.failedBatch`). */
export function inBatch<E>(err: E, index: number): E {
  const details = (err as { details?: Record<string, unknown> } | undefined)?.details;
  if (details && typeof details === 'object') details.failedBatch = index;
  return err;
}

/** Kernel.ipSequence where the backend has no single call for it: ip() after ip(). */
export async function ipSequenceByCalls(ip: Kernel['ip'], batches: readonly IpBatch[]): Promise<void> {
  for (const [index, b] of batches.entries()) {
    try {
      await ip(b.netns, b.ops);
    } catch (err) {
      throw inBatch(err, index);
    }
  }
}

/**
 * Did the ip() batch or ipSequence that threw `err` apply some of its ops (the ones before the
 * failing one: the first batch's first op at least)? A fault injected into the call applies none.
 */
export function appliedSome(err: unknown): boolean {
  const details = (err as { details?: { failedOp?: unknown; failedBatch?: unknown } } | undefined)?.details;
  return (typeof details?.failedBatch === 'number' && details.failedBatch > 0) || (typeof details?.failedOp === 'number' && details.failedOp > 0);
}
