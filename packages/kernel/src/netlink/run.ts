import { getSystemErrorMap } from 'node:util';
import type { IpBatchOptions, IpOp, NetnsRef } from '../contract.js';
import { batchError, type OpFailure } from '../batch-errors.js';
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
  checkNetnsRef(netns);
  checkOps(ops);
  if (ops.length === 0) return;
  const force = options?.ignoreMissing === true;
  const requests = ops.map((op) => encodeOp(op, netns, selfNetns));
  // the `ip` lines are for the debug log and errors only: rendered when one of them needs them
  const render = () => ops.map((op) => renderLine(op, netns, selfNetns));
  const debug = log !== undefined && log.isLevelEnabled?.('debug') !== false;
  const started = performance.now();

  const failures: (OpFailure & { errno: number })[] = [];
  try {
    const results = await addon.exchange(netns, requests, !force);
    results.forEach((r, index) => {
      if (r.error === 0 || r.error === NOT_RUN) return;
      failures.push({ index, errno: r.error, message: failureMessage(r) });
    });
  } catch (err) {
    // the namespace could not be entered: no op ran (gone, in teardown, is success)
    failures.push({ index: 0, errno: (err as { errno?: number }).errno ?? 0, message: (err as Error).message });
  } finally {
    if (debug) log.debug({ netlink: netlinkArgv(netns).slice(1).join(' ') || 'host', ops: render(), ms: Math.round((performance.now() - started) * 100) / 100 }, 'kernel call');
  }

  const remaining = force ? failures.filter((f) => !isMissingErrno(ops[f.index], f.errno)) : failures;
  if (remaining.length === 0) return;
  const lines = render();
  const stderr = remaining.map((f) => `${lines[f.index]}: ${f.message}`).join('\n');
  throw withMissingKind(batchError(netlinkArgv(netns), undefined, stderr, remaining, lines, describeErrno(remaining[0]!.errno).name), ops);
}
