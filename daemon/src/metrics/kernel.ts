import type { Kernel } from '@patchbay/kernel';
import type { Metrics } from './registry.js';

/** Every method of the Kernel interface; the type check below fails when the interface grows. */
export const KERNEL_METHODS = [
  'ip',
  'ipSequence',
  'links',
  'link',
  'addresses',
  'routes',
  'neighbors',
  'fdb',
  'scanLinks',
  'netnsState',
  'netnsStates',
  'supportsLinkKind',
  'netnsAdd',
  'netnsDelete',
  'netnsList',
  'isNetns',
  'sysctlGet',
  'sysctlSet',
  'nftApply',
  'nftListTable',
  'nftDeleteTable',
  'iptablesList',
  'iptables',
  'checkTools',
] as const satisfies readonly (keyof Kernel)[];
type Missing = Exclude<keyof Kernel, (typeof KERNEL_METHODS)[number]>;
const everyMethod: [Missing] extends [never] ? true : Missing = true;
void everyMethod;

/**
 * A Kernel that times every exchange (labelled with the backend and method) and each nft apply,
 * then passes the call through unchanged: same results, same errors. The timings are recorded
 * after the answer (Metrics.later).
 */
export function instrumentKernel(inner: Kernel, metrics: Metrics, backend: string): Kernel {
  const wrapped = {} as Record<string, unknown>;
  for (const method of KERNEL_METHODS) {
    // an optional method the inner kernel lacks stays missing
    if (inner[method] === undefined) continue;
    const call = (inner[method] as (...args: unknown[]) => Promise<unknown>).bind(inner);
    const nft = method === 'nftApply';
    wrapped[method] = async (...args: unknown[]) => {
      const started = performance.now();
      const record = (outcome: 'ok' | 'error') => {
        const seconds = (performance.now() - started) / 1000;
        metrics.later(() => {
          metrics.kernelDuration.observe({ backend, method, outcome }, seconds);
          if (nft) metrics.nftApplyDuration.observe({ outcome }, seconds);
        });
      };
      try {
        const result = await call(...args);
        record('ok');
        return result;
      } catch (err) {
        record('error');
        throw err;
      }
    };
  }
  return wrapped as unknown as Kernel;
}
