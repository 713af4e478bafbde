import { KernelError } from '@patchbay/errors';
import type { NetnsState } from '../contract.js';
import type { KernelLogger } from '../exec.js';
import { checkNetnsRef } from '../validate.js';
import type { NetlinkAddon } from './addon.js';
import { describeErrno, failureMessage, netlinkArgv } from './run.js';
import { NETNS_STATE_READ, netnsStateRequests, parseNetnsState } from './scan.js';

/**
 * Namespaces one worker-thread pass enters (see native/netns-read.c): enough to make the cost of
 * a call and its promise vanish, few enough that a pass's answers stay small (about 3 KB each).
 */
export const NAMESPACES_PER_PASS = 128;
/** Passes in flight: the machine's cores, while libuv's pool keeps threads for other calls. */
const PASSES_IN_FLIGHT = 2;

type NetnsRead = NonNullable<NetlinkAddon['netnsRead']>;

/**
 * The answers of one pass, namespace by namespace: a NetnsState, or the KernelError that
 * netnsState would have thrown for it (same argv, message and status).
 */
export function statesOfPass(paths: readonly string[], data: Buffer, slots: Int32Array, requests: number): (NetnsState | KernelError)[] {
  const per = 1 + 3 * requests;
  if (slots.length !== paths.length * per) throw new Error(`netnsRead: ${slots.length} slots for ${paths.length} namespaces`);
  return paths.map((path, n) => {
    const at = n * per;
    const argv = () => [...netlinkArgv(path), NETNS_STATE_READ];
    if (slots[at] !== 0) {
      // the words of an exchange that cannot have its namespace (exchange.c)
      const { name, text } = describeErrno(Math.abs(slots[at]!));
      const message = slots[at]! > 0 ? `Cannot open network namespace "${path}": ${text}` : `setns to "${path}": ${text}`;
      return new KernelError(argv(), undefined, message, { status: name });
    }
    const replies: Buffer[] = [];
    for (let i = 0; i < requests; i++) {
      const [error, offset, length] = [slots[at + 1 + 3 * i]!, slots[at + 2 + 3 * i]!, slots[at + 3 + 3 * i]!];
      if (error !== 0) return new KernelError(argv(), undefined, failureMessage({ error }), { status: describeErrno(error).name });
      replies.push(data.subarray(offset, offset + length));
    }
    return parseNetnsState(replies);
  });
}

/** Kernel.netnsStates over the addon's netnsRead: passes of NAMESPACES_PER_PASS, PASSES_IN_FLIGHT at once. */
export function createNetnsStates(netnsRead: NetnsRead, log?: KernelLogger) {
  return async function netnsStates(paths: readonly string[]): Promise<(NetnsState | KernelError)[]> {
    for (const path of paths) if (checkNetnsRef(path) === null) throw new TypeError('netnsStates: a namespace file, not null');
    const requests = netnsStateRequests().map((r) => r.msg);
    const out = new Array<NetnsState | KernelError>(paths.length);
    let next = 0;
    const pass = async () => {
      while (next < paths.length) {
        const from = next;
        next = Math.min(paths.length, next + NAMESPACES_PER_PASS);
        const chunk = paths.slice(from, next);
        const started = performance.now();
        const { data, slots } = await netnsRead(chunk, requests).catch((err: unknown) => {
          const errno = (err as { errno?: number }).errno ?? 0;
          throw new KernelError(['netlink', NETNS_STATE_READ], undefined, (err as Error).message, { status: describeErrno(errno).name, cause: err });
        });
        log?.debug({ netlink: `${chunk.length} namespaces`, read: NETNS_STATE_READ, bytes: data.length, ms: Math.round((performance.now() - started) * 100) / 100 }, 'kernel call');
        statesOfPass(chunk, data, slots, requests.length).forEach((state, i) => (out[from + i] = state));
      }
    };
    await Promise.all(Array.from({ length: Math.min(PASSES_IN_FLIGHT, Math.ceil(paths.length / NAMESPACES_PER_PASS)) }, pass));
    return out;
  };
}
