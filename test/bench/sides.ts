import type { Slot } from './netns.js';
import type { MetricId } from './results.js';

/**
 * One way of attaching a fresh namespace to a bridge network: patchbay's API, the CNI reference
 * plugins, or raw `ip` (the floor). Only attach and detach are timed; prepare/release hold the
 * untimed bookkeeping a side needs around them (patchbay adopts the namespace as a sandbox).
 */
export interface AttachSide {
  readonly key: SideKey;
  /** the rows its times go to (default attach and detach): a variant of a side has rows of its own */
  readonly metrics?: { attach: MetricId; detach?: MetricId };
  /** name prefix of its namespaces (default "a" and the key's first letter) */
  readonly slotPrefix?: string;
  /** untimed: make the network/bridge the attaches go to */
  setup(): Promise<void>;
  prepare(slot: Slot): Promise<void>;
  attach(slot: Slot): Promise<void>;
  detach(slot: Slot): Promise<void>;
  release(slot: Slot): Promise<void>;
  /** untimed: remove the network/bridge */
  teardown(): Promise<void>;
}

/** Creating and deleting a whole network (CNI has no network object). */
export interface NetworkSide {
  readonly key: SideKey;
  /** untimed, before the first create and after the last delete */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  createNetwork(index: number): Promise<void>;
  deleteNetwork(index: number): Promise<void>;
}

/** Creating and deleting a sandbox: a network namespace with loopback up (CNI leaves that to the runtime). */
export interface SandboxSide {
  readonly key: SideKey;
  createSandbox(index: number): Promise<void>;
  deleteSandbox(index: number): Promise<void>;
}

export type SideKey = 'patchbay' | 'cni' | 'floor' | 'kernelFloor' | 'cniMasq' | 'aardvark' | 'dockerd';

/** The k-th usable address of an IPv4 /16 (k = 0 is .0.1), e.g. hostInSlash16('10.79', 1) = 10.79.0.2. */
export function hostInSlash16(prefix: string, k: number): string {
  const n = k + 1;
  if (n < 1 || n > 65534) throw new Error(`host ${k} does not fit in ${prefix}.0.0/16`);
  return `${prefix}.${n >> 8}.${n & 255}`;
}
