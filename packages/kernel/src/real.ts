import { readdir, readFile, writeFile } from 'node:fs/promises';
import { KernelError, PatchbayError } from '@patchbay/errors';
import type { Kernel } from './contract.js';
import { ipSequenceByCalls, withDetails } from './batch-errors.js';
import { createExec, processRunner, toolMissing, type KernelLogger, type Runner } from './exec.js';
import { selfNetnsPath } from './ip-batch.js';
import { createIpReads } from './ip-read.js';
import { runIpBatch } from './ip-run.js';
import { createLinkKindProbe } from './link-probe.js';
import { loadNetlinkAddon } from './netlink/addon.js';
import { nftInProcessStatus, withInProcessNft } from './nft-inprocess.js';
import { createNetlinkReads } from './netlink/dump.js';
import { describeErrno, runNetlinkBatch, runNetlinkSequence } from './netlink/run.js';
import { probeNetns } from './netns-probe.js';
import { checkXtOp, parseXtList, xtArgv, xtListArgv, XT_ALREADY_RE, XT_NO_CHAIN_RE } from './iptables.js';
import { checkNetnsName, checkNftTable, checkSysctlValue, netnsPathOf, sysctlPath } from './validate.js';

export interface RealKernelOptions {
  /** pino-like logger; every command is logged at debug with argv and duration */
  log?: KernelLogger;
  /** how processes are run (default: node's spawn); tests substitute a recorder */
  runner?: Runner;
  /**
   * How `ip()` batches and the link/address/route reads reach the kernel: 'netlink' (in-process
   * rtnetlink through the native addon, no process per call), 'ip' (`ip -batch -` and `ip -json`
   * processes), or 'auto' (default): netlink when the addon is built, else ip.
   */
  backend?: KernelBackendChoice;
}

export type KernelBackendChoice = 'auto' | 'netlink' | 'ip';

/**
 * Which backend `createRealKernel` would use, and why not netlink when it falls back; `nft` says
 * whether nft's commands run in-process (libnftables, with the netlink backend) or as processes.
 */
export function resolveKernelBackend(choice: KernelBackendChoice = 'auto'): { backend: 'netlink' | 'ip'; reason?: string; nft?: string } {
  if (choice === 'ip') return { backend: 'ip', reason: 'chosen' };
  const load = loadNetlinkAddon();
  if (load.addon !== undefined) return { backend: 'netlink', nft: nftInProcessStatus(load.addon) };
  if (choice === 'netlink') throw new KernelError(['netlink'], undefined, `the netlink addon is not available: ${load.error}`, { status: 'not built' });
  return { backend: 'ip', reason: load.error };
}

const NETNS_DIR = '/run/netns';
const NFT_MISSING_RE = /No such file or directory|does not exist/;
const NETNS_MISSING_RE = /No such file or directory/;

/** The Kernel on the machine's real `ip`, `nft`, `nsenter` and /proc/sys. */
export function createRealKernel(options: RealKernelOptions = {}): Kernel {
  const selfNetns = selfNetnsPath();
  const addon = resolveKernelBackend(options.backend).backend === 'netlink' ? loadNetlinkAddon().addon : undefined;
  // with the netlink backend, nft's commands run through libnftables in-process when it loads
  const run = createExec(withInProcessNft(options.runner ?? processRunner, addon), options.log);

  /** Runs argv and returns stdout; a non-zero exit is a KernelError. */
  async function query(argv: string[], input?: string): Promise<string> {
    const r = await run(argv, input);
    if (r.exitCode !== 0) throw new KernelError(argv, r.exitCode, r.stderr);
    return r.stdout;
  }

  /** Runs argv; a failure whose stderr matches `missing` counts as success. */
  async function tolerant(argv: string[], missing: RegExp): Promise<void> {
    const r = await run(argv);
    if (r.exitCode !== 0 && !missing.test(r.stderr)) throw new KernelError(argv, r.exitCode, r.stderr);
  }

  /** `ip netns add|delete NAME` done by the addon, logged and failing like the ip path. */
  async function netlinkNetns(what: 'add' | 'delete', name: string, call: () => Promise<void>): Promise<string> {
    const started = performance.now();
    try {
      await call();
      return netnsPathOf(name);
    } catch (err) {
      const errno = (err as { errno?: number }).errno ?? 0;
      throw new KernelError(['netns', what, name], undefined, (err as Error).message, { status: describeErrno(errno).name, cause: err });
    } finally {
      options.log?.debug({ netns: `${what} ${name}`, ms: Math.round((performance.now() - started) * 100) / 100 }, 'kernel call');
    }
  }

  const reads = addon !== undefined ? createNetlinkReads(addon, options.log) : createIpReads(run);
  const supportsLinkKind = createLinkKindProbe(run);

  return {
    ip: (netns, ops, opts) =>
      addon !== undefined
        ? runNetlinkBatch(addon, netns, ops, opts, selfNetns, options.log)
        : runIpBatch(run, netns, ops, opts, selfNetns),
    async ipSequence(batches) {
      if (addon !== undefined) return runNetlinkSequence(addon, batches, selfNetns, options.log);
      await ipSequenceByCalls((netns, ops) => runIpBatch(run, netns, ops, undefined, selfNetns), batches);
    },

    ...reads,

    async netnsAdd(name) {
      checkNetnsName(name);
      if (addon !== undefined) return netlinkNetns('add', name, () => addon.netnsAdd(netnsPathOf(name)));
      await query(['ip', 'netns', 'add', name]);
      try {
        await query(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
      } catch (err) {
        await tolerant(['ip', 'netns', 'delete', name], NETNS_MISSING_RE).catch(() => undefined);
        throw err;
      }
      return netnsPathOf(name);
    },
    async netnsDelete(name) {
      checkNetnsName(name);
      if (addon !== undefined) return void (await netlinkNetns('delete', name, () => addon.netnsDelete(netnsPathOf(name))));
      await tolerant(['ip', 'netns', 'delete', name], NETNS_MISSING_RE);
    },
    async netnsList() {
      try {
        const entries = await readdir(NETNS_DIR, { withFileTypes: true });
        return entries.filter((e) => !e.isDirectory()).map((e) => e.name).sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    isNetns(path) {
      // (an addon built before netnsType has none)
      const kernelType = typeof addon?.netnsType === 'function' ? (p: string) => addon.netnsType(p) : undefined;
      return probeNetns(path, async (p) => (await run(['nsenter', `--net=${p}`, '--', 'true'])).exitCode === 0, kernelType);
    },

    async sysctlGet(key) {
      try {
        return (await readFile(sysctlPath(key), 'utf8')).trim();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    async sysctlSet(key, value, { idle = false } = {}) {
      const path = sysctlPath(key);
      checkSysctlValue(value);
      const started = performance.now();
      try {
        // (an addon built before writeIdle has none: a plain write)
        if (idle && typeof addon?.writeIdle === 'function') await addon.writeIdle(path, value);
        else await writeFile(path, value);
      } catch (err) {
        const errno = (err as { errno?: number }).errno;
        const code = (err as NodeJS.ErrnoException).code ?? (typeof errno === 'number' && errno > 0 ? describeErrno(errno).name : 'EIO');
        throw withDetails(new KernelError(['sysctl', '-w', `${key}=${value}`], 1, `cannot write ${path}: ${code}`, { cause: err }), { key });
      } finally {
        options.log?.debug({ sysctl: key, value, ms: Math.round((performance.now() - started) * 100) / 100 }, 'kernel call');
      }
    },

    async nftApply(document) {
      await query(['nft', '-f', '-'], document);
    },
    async nftListTable(family, name) {
      checkNftTable(family, name);
      const argv = ['nft', 'list', 'table', family, name];
      const r = await run(argv);
      if (r.exitCode === 0) return r.stdout;
      if (NFT_MISSING_RE.test(r.stderr)) return undefined;
      throw new KernelError(argv, r.exitCode, r.stderr);
    },
    async nftDeleteTable(family, name) {
      checkNftTable(family, name);
      await tolerant(['nft', 'delete', 'table', family, name], NFT_MISSING_RE);
    },

    async iptablesList(family, chain) {
      checkXtOp({ op: 'chain.add', chain });
      const argv = xtListArgv(family, chain);
      const r = await run(argv).catch((err: unknown) => {
        // no iptables on this machine: no chain either
        if (err instanceof PatchbayError && err.details?.tool === argv[0]) return undefined;
        throw err;
      });
      if (r === undefined) return undefined;
      if (r.exitCode === 0) return parseXtList(r.stdout, chain);
      if (XT_NO_CHAIN_RE.test(r.stderr)) return undefined;
      throw new KernelError(argv, r.exitCode, r.stderr);
    },
    async iptables(family, ops) {
      for (const op of ops) checkXtOp(op);
      for (const op of ops) {
        const argv = xtArgv(family, op);
        const r = await run(argv);
        if (r.exitCode !== 0 && !(op.op !== 'rule.insert' && XT_ALREADY_RE.test(r.stderr))) throw new KernelError(argv, r.exitCode, r.stderr);
      }
    },

    supportsLinkKind,

    async checkTools(tools) {
      const probes = { ip: ['ip', '-V'], nft: ['nft', '--version'] } as const;
      await Promise.all(
        [...new Set(tools)].map(async (tool) => {
          const argv = probes[tool];
          if (argv === undefined) throw toolMissing(String(tool));
          const r = await run([...argv]);
          if (r.exitCode !== 0) throw new KernelError([...argv], r.exitCode, r.stderr);
        }),
      );
    },
  } satisfies Kernel;
}
