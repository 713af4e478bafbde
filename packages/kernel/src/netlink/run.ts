import { getSystemErrorMap } from 'node:util';
import type { IpBatch, IpBatchOptions, IpOp, NetnsRef } from '../contract.js';
import { batchError, inBatch, ipSequenceByCalls, type OpFailure } from '../batch-errors.js';
import { renderLine } from '../ip-batch.js';
import { withMissingKind } from '../link-kinds.js';
import { checkNetnsRef, checkOps, namedNetns } from '../validate.js';
import type { NetlinkAddon, NlResult } from './addon.js';
import { encodeOp } from './encode.js';
import type { KernelLogger } from '../exec.js';

const NOT_RUN = -1;
const ENOENT = 2;
const ESRCH = 3;
const ENODEV = 19;
const EADDRNOTAVAIL = 99;

/** In teardown mode: does this errno only say that what the op removes is already gone? */
export function isMissingErrno(op: IpOp | undefined, errno: number): boolean {
  if (errno === ENODEV || errno === ENOENT) return true;
  if (op?.op === 'addr.del') return errno === EADDRNOTAVAIL;
  if (op?.op === 'route.del') return errno === ESRCH;
  return false;
}
const errnoTable = getSystemErrorMap();

/** 'EEXIST' and 'File exists' for 17. */
export function describeErrno(errno: number): { name: string; text: string } {
  const [name, text] = errnoTable.get(-errno) ?? [`errno ${errno}`, `error ${errno}`];
  return { name, text: text.charAt(0).toUpperCase() + text.slice(1) };
}

/** What iproute2 would print for the same failure, plus the kernel's own words when it gave some. */
export function failureMessage(result: Pick<NlResult, 'error' | 'message'>): string {
  const { text } = describeErrno(result.error);
  return `RTNETLINK answers: ${text}${result.message ? ` (${result.message})` : ''}`;
}

/** `netlink -n NAME` or `netlink --net=PATH`: how errors name where a batch ran. */
export function netlinkArgv(netns: NetnsRef): string[] {
  if (netns === null) return ['netlink'];
  const name = namedNetns(netns);
  return name !== undefined ? ['netlink', '-n', name] : ['netlink', `--net=${netns}`];
}

type Failure = OpFailure & { errno: number };

/** One batch's requests, checked and encoded, and what turns its outcome into ip()'s error. */
function prepareBatch(netns: NetnsRef, ops: readonly IpOp[], options: IpBatchOptions | undefined, selfNetns: string) {
  checkNetnsRef(netns);
  checkOps(ops);
  const force = options?.ignoreMissing === true;
  // the `ip` lines are for the debug log and errors only: rendered when one of them needs them
  const render = () => ops.map((op) => renderLine(op, netns, selfNetns));
  return {
    requests: ops.map((op) => encodeOp(op, netns, selfNetns)),
    force,
    render,
    logLine: (log: KernelLogger, started: number) =>
      log.debug({ netlink: netlinkArgv(netns).slice(1).join(' ') || 'host', ops: render(), ms: Math.round((performance.now() - started) * 100) / 100 }, 'kernel call'),
    /** The failures of the exchange's results (or of its rejection: no op ran), as ip()'s error; undefined when none counts. */
    failure(outcome: NlResult[] | Error): Error | undefined {
      const failures: Failure[] = [];
      if (outcome instanceof Error) {
        // the namespace could not be entered: no op ran (gone, in teardown, is success)
        failures.push({ index: 0, errno: (outcome as { errno?: number }).errno ?? 0, message: outcome.message });
      } else {
        outcome.forEach((r, index) => {
          if (r.error !== 0 && r.error !== NOT_RUN) failures.push({ index, errno: r.error, message: failureMessage(r) });
        });
      }
      const remaining = force ? failures.filter((f) => !isMissingErrno(ops[f.index], f.errno)) : failures;
      if (remaining.length === 0) return undefined;
      const lines = render();
      const stderr = remaining.map((f) => `${lines[f.index]}: ${f.message}`).join('\n');
      return withMissingKind(batchError(netlinkArgv(netns), undefined, stderr, remaining, lines, describeErrno(remaining[0]!.errno).name), ops);
    },
  };
}

const isDebug = (log: KernelLogger | undefined): log is KernelLogger => log !== undefined && log.isLevelEnabled?.('debug') !== false;

/**
 * Runs ops as rtnetlink requests from inside `netns`, with the semantics of `ip -batch -`
 * (runIpBatch): stop at the first failure, earlier ops stay applied, `details.failedOp` names it;
 * in teardown mode every op is tried and "already gone" is success.
 */
export async function runNetlinkBatch(
  addon: NetlinkAddon,
  netns: NetnsRef,
  ops: readonly IpOp[],
  options: IpBatchOptions | undefined,
  selfNetns: string,
  log?: KernelLogger,
): Promise<void> {
  const batch = prepareBatch(netns, ops, options, selfNetns);
  if (ops.length === 0) return;
  const started = performance.now();
  const outcome = await addon.exchange(netns, batch.requests, !batch.force).catch((err: Error) => err);
  if (isDebug(log)) batch.logLine(log, started);
  const failure = batch.failure(outcome);
  if (failure) throw failure;
}

/**
 * Kernel.ipSequence: the batches in one trip to a worker thread, which enters each namespace in
 * turn (see native/sequence.c); each batch behaves as runNetlinkBatch, and none runs after a
 * failing one. An addon without exchangeSequence runs them one call each.
 */
export async function runNetlinkSequence(addon: NetlinkAddon, batches: readonly IpBatch[], selfNetns: string, log?: KernelLogger): Promise<void> {
  if (!addon.exchangeSequence) {
    return ipSequenceByCalls((netns, ops) => runNetlinkBatch(addon, netns, ops, undefined, selfNetns, log), batches);
  }
  const prepared = batches.map((b, index) => ({ index, netns: b.netns, ...prepareBatch(b.netns, b.ops, undefined, selfNetns) })).filter((b) => b.requests.length > 0);
  if (prepared.length === 0) return;
  const started = performance.now();
  const outcomes = await addon.exchangeSequence(prepared.map((b) => ({ netns: b.netns, requests: b.requests })));
  for (const [i, b] of prepared.entries()) {
    const outcome = outcomes[i];
    if (!outcome) return; // not run: an earlier batch failed (and threw below)
    if (isDebug(log)) b.logLine(log, started);
    const failure = b.failure(outcome);
    if (failure) throw inBatch(failure, b.index);
  }
}
