import type { IpBatchOptions, IpOp, NetnsRef } from './contract.js';
import { batchError, isMissingError, locateArgumentError, parseBatchStderr, type OpFailure } from './batch-errors.js';
import type { Runner } from './exec.js';
import { ipBatchArgv, renderOp, toolOf } from './ip-batch.js';
import { withMissingKind } from './link-kinds.js';
import { checkNetnsRef, checkOps } from './validate.js';

/**
 * Runs ops as `ip [-n NS] [-force] -batch -`: one process, lines on stdin (a run of forwarding
 * entries as one `bridge -batch -` process between them).
 *
 * Normal mode stops at the first failing line (earlier lines stay applied) and throws with
 * `details.failedOp`. Teardown mode (`ignoreMissing`) uses `-force` to run every line, drops
 * "already gone" failures, and throws only if others remain. iproute2 ends the whole process on
 * some argument errors (e.g. `master NOPE`) even under -force; the rest is then run in a
 * further process so that teardown still tries every op.
 */
const NETNS_UNREACHABLE_RE = /^(Cannot open network namespace|nsenter: )/m;

export async function runIpBatch(
  run: Runner,
  netns: NetnsRef,
  ops: readonly IpOp[],
  options: IpBatchOptions | undefined,
  selfNetns: string,
): Promise<void> {
  checkNetnsRef(netns);
  checkOps(ops);
  if (ops.length === 0) return;
  const force = options?.ignoreMissing === true;
  const tokens = ops.map((op) => renderOp(op, netns, selfNetns));
  const lines = tokens.map((t) => t.join(' '));

  // consecutive ops of one program run as one process (forwarding entries need `bridge`)
  const failures: OpFailure[] = [];
  let failed: { argv: string[]; exitCode: number | undefined; stderr: string } | undefined;
  for (let start = 0; start < ops.length; ) {
    const tool = toolOf(ops[start]!);
    let end = start + 1;
    while (end < ops.length && toolOf(ops[end]!) === tool) end++;
    const argv = ipBatchArgv(netns, force, tool);
    const part = await runBatchProcess(run, argv, tokens.slice(start, end), force);
    if (part.failures.length > 0) {
      failures.push(...part.failures.map((f) => ({ ...f, index: f.index + start })));
      failed = failed === undefined ? { argv, ...part } : { ...failed, stderr: failed.stderr + part.stderr };
      if (!force) break;
    }
    start = end;
  }

  const remaining = force ? failures.filter((f) => !isMissingError(ops[f.index], f.message)) : failures;
  if (remaining.length > 0) throw withMissingKind(batchError(failed!.argv, failed!.exitCode, failed!.stderr, remaining, lines), ops);
}

/** One `-batch` process over `tokens` (after a wordless or namespace failure, the rest is not run). */
async function runBatchProcess(
  run: Runner,
  argv: string[],
  tokens: readonly (readonly string[])[],
  force: boolean,
): Promise<{ failures: OpFailure[]; exitCode: number | undefined; stderr: string }> {
  const lines = tokens.map((t) => t.join(' '));
  const failures: OpFailure[] = [];
  const stderrs: string[] = [];
  let exitCode: number | undefined = 0;
  let start = 0;
  while (start < tokens.length) {
    const result = await run(argv, lines.slice(start).join('\n') + '\n');
    if (result.exitCode === 0) break;
    exitCode = result.exitCode;
    stderrs.push(result.stderr);
    const parsed = parseBatchStderr(result.stderr);
    for (const r of parsed.reported) failures.push({ index: start + r.line - 1, message: r.message });
    if (parsed.unattributed === undefined) {
      // a failure with no words at all (e.g. killed): blame the first op not known to be done
      if (parsed.reported.length === 0) failures.push({ index: start, message: result.stderr.trim() || 'no output' });
      break;
    }
    if (parsed.reported.length === 0 && NETNS_UNREACHABLE_RE.test(parsed.unattributed)) {
      // no line ran: the namespace itself could not be entered (gone, in teardown, is success)
      failures.push({ index: start, message: parsed.unattributed });
      break;
    }
    const after = start + (parsed.reported.at(-1)?.line ?? 0);
    const index = after + locateArgumentError(tokens.slice(after), parsed.unattributed);
    failures.push({ index, message: parsed.unattributed });
    if (!force) break;
    start = index + 1;
  }
  return { failures, exitCode, stderr: stderrs.join('') };
}
