import { KernelError } from '@patchbay/errors';
import type { Kernel, NetnsRef } from './contract.js';
import { injectedFaultDetails, withDetails } from './batch-errors.js';

/** The Kernel methods that change something. */
export const MUTATING_METHODS = ['ip', 'ipSequence', 'netnsAdd', 'netnsDelete', 'sysctlSet', 'nftApply', 'nftDeleteTable', 'iptables'] as const;
export type MutatingMethod = (typeof MUTATING_METHODS)[number];

export interface FaultyKernel {
  kernel: Kernel;
  /** Makes the Nth mutating call (1-based, counted since withFaults) throw instead of running. */
  failAt(n: number): void;
  /** How many mutating calls were made so far (faulted ones included). */
  mutations(): number;
}

/**
 * Wraps any Kernel to break it at a chosen mutation: run an operation once to count its
 * mutations M, then for each n in 1..M run it on a fresh setup with failAt(n) and check that it
 * rolls back. The faulted call throws a KernelError (argv ['fault-injection', METHOD, '#n'])
 * without reaching the inner kernel; later calls pass through again, so undos can run.
 */
export function withFaults(inner: Kernel): FaultyKernel {
  let count = 0;
  const armed = new Set<number>();

  const wrap = <M extends MutatingMethod>(method: M): Kernel[M] =>
    (async (...args: unknown[]) => {
      count += 1;
      if (armed.delete(count)) {
        const err = new KernelError(['fault-injection', method, `#${count}`], 1, `injected fault at mutation #${count}`);
        throw withDetails(err, injectedFaultDetails(method));
      }
      return (inner[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    }) as Kernel[M];

  const kernel: Kernel = {
    ip: wrap('ip'),
    ipSequence: wrap('ipSequence'),
    links: (netns) => inner.links(netns),
    link: (netns, name) => inner.link(netns, name),
    addresses: (netns) => inner.addresses(netns),
    routes: (netns) => inner.routes(netns),
    neighbors: (netns) => inner.neighbors(netns),
    fdb: (netns) => inner.fdb(netns),
    ...(inner.scanLinks ? { scanLinks: (netns: NetnsRef) => inner.scanLinks!(netns) } : {}),
    ...(inner.netnsState ? { netnsState: (netns: NetnsRef) => inner.netnsState!(netns) } : {}),
    ...(inner.netnsStates ? { netnsStates: (netns: readonly string[]) => inner.netnsStates!(netns) } : {}),
    netnsAdd: wrap('netnsAdd'),
    netnsDelete: wrap('netnsDelete'),
    netnsList: () => inner.netnsList(),
    isNetns: (path) => inner.isNetns(path),
    sysctlGet: (key) => inner.sysctlGet(key),
    sysctlSet: wrap('sysctlSet'),
    nftApply: wrap('nftApply'),
    nftListTable: (family, name) => inner.nftListTable(family, name),
    nftDeleteTable: wrap('nftDeleteTable'),
    iptablesList: (family, chain) => inner.iptablesList(family, chain),
    iptables: wrap('iptables'),
    supportsLinkKind: (kind) => inner.supportsLinkKind(kind),
    checkTools: (tools) => inner.checkTools(tools),
  };

  return {
    kernel,
    failAt(n) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`failAt expects a mutation number ≥ 1, got ${n}`);
      armed.add(n);
    },
    mutations: () => count,
  };
}
