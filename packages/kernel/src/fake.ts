import { KernelError } from '@patchbay/errors';
import type { IpBatchOptions, IpOp, Kernel, LinkKind, NetnsRef } from './contract.js';
import { batchError, injectedFaultDetails, ipSequenceByCalls, isMissingError, withDetails, type OpFailure } from './batch-errors.js';
import { toolMissing } from './exec.js';
import { ipArgv, ipBatchArgv, peerNetnsToken, renderLine, selfNetnsPath, toolArgv } from './ip-batch.js';
import { checkLinkKind, withMissingKind } from './link-kinds.js';
import { listAddresses, listLinks } from './fake/list.js';
import { listRoutes, NetModel } from './fake/model.js';
import { listFdb, listNeighbors } from './fake/overlay.js';
import { FakeNft, NftError } from './fake/nft.js';
import { checkXtOp, xtArgv } from './iptables.js';
import { FakeSysctl } from './fake/sysctl.js';
import { FakeOpError, type FakeNs } from './fake/types.js';
import {
  checkIfname, checkNetnsName, checkNetnsRef, checkNftTable, checkOps, checkSysctlValue, isSafeNetnsPath, namedNetns, netnsPathOf, sysctlPath,
} from './validate.js';

export { BRIDGE_MAX_PORTS } from './fake/model.js';

export type KernelMethod = keyof Kernel;

/** One call made on the fake, in order. */
export interface FakeCall {
  method: KernelMethod;
  args: readonly unknown[];
  /** an ip() batch of an ipSequence call (recorded, and taken by faults, as a call of its own) */
  inSequence?: true;
}

export interface FakeKernelOptions {
  /** the daemon's pid: /proc/PID/ns/net (and /proc/self/ns/net) name the root namespace */
  pid?: number;
  /** links present in the root namespace at start, e.g. a physical `eth0` (kind '') */
  hostLinks?: readonly { name: string; kind?: string; mtu?: number; up?: boolean; addrs?: readonly string[]; mcastSnooping?: boolean }[];
  /** extra sysctl keys and values (on top of the built-in defaults) */
  sysctls?: Record<string, string>;
  /** tools checkTools reports as not installed */
  missingTools?: readonly ('ip' | 'nft')[];
  /** link types this kernel lacks: creating one fails with "Unknown device type" (default: none) */
  missingLinkKinds?: readonly LinkKind[];
}

export interface FakeKernel extends Kernel {
  /** every call so far, in order (reads included) */
  readonly calls: FakeCall[];
  /**
   * Arms a fault. A number N: the next N calls throw. A predicate: the next call it accepts
   * throws. A faulted call throws a KernelError (argv ['fake-fault', METHOD]) and changes nothing.
   */
  failNext(spec?: number | ((call: FakeCall) => boolean)): void;
  /** Throws if armed faults were never triggered (a test that expected a failure did not get it). */
  assertNoPending(): void;
  /** Registers a namespace file outside /run/netns, e.g. a container's /proc/PID/ns/net. */
  addForeignNetns(path: string): void;
  /** The owner of a foreign namespace went away: the namespace and its links die. */
  removeForeignNetns(path: string): void;
}

const unreachable = (ref: string): string => {
  const name = namedNetns(ref);
  return name !== undefined
    ? `Cannot open network namespace "${name}": No such file or directory`
    : `nsenter: cannot open ${ref}: No such file or directory`;
};

/** How iproute2 names the namespace an op creates a link in (for its "Invalid netns" message). */
function netnsTokenOf(op: IpOp, selfNetns: string): string {
  if (op.op === 'veth.add') return peerNetnsToken(op.peerNetns, selfNetns);
  if ((op.op === 'macvlan.add' || op.op === 'ipvlan.add') && op.netns !== undefined) return peerNetnsToken(op.netns, selfNetns);
  return '';
}

/** A stateful model of the kernel behind the same interface and failure semantics as the real one. */
export function createFakeKernel(options: FakeKernelOptions = {}): FakeKernel {
  const pid = options.pid ?? process.pid;
  const selfNetns = selfNetnsPath(pid);
  const net = new NetModel([selfNetns, '/proc/self/ns/net'], new Set(options.missingLinkKinds ?? []));
  const nft = new FakeNft();
  /** iptables' filter table: rules per `family:chain` */
  const xtables = new Map<string, string[][]>();
  const sysctl = new FakeSysctl(options.sysctls ?? {}, (name) => net.root.links.has(name));
  const calls: FakeCall[] = [];
  const faults: ((call: FakeCall) => boolean)[] = [];

  for (const h of options.hostLinks ?? []) {
    const link = net.createLink(net.root, { name: h.name, kind: h.kind ?? '', mtu: h.mtu });
    if (h.kind === 'bridge') link.mcastSnooping = h.mcastSnooping ?? true;
    net.setUp(link, h.up ?? true);
    for (const a of h.addrs ?? []) net.apply(net.root, { op: 'addr.add', dev: h.name, cidr: a }, () => undefined, '');
  }

  /** set while ipSequence starts one of its batches: the ip() call it records is marked so */
  let inSequence = false;

  /** Records the call and throws if an armed fault takes it. */
  function enter(method: KernelMethod, args: unknown[]): void {
    const call: FakeCall = inSequence ? { method, args, inSequence: true } : { method, args };
    calls.push(call);
    const at = faults.findIndex((accepts) => accepts(call));
    if (at < 0) return;
    faults.splice(at, 1);
    const err = new KernelError(['fake-fault', method], 1, `injected fault in ${method}`);
    throw withDetails(err, injectedFaultDetails(method));
  }

  function nsOrThrow(ref: NetnsRef, argv: string[]): FakeNs {
    const ns = net.resolve(ref);
    if (!ns) throw new KernelError(argv, 255, unreachable(ref!));
    return ns;
  }

  async function ip(netns: NetnsRef, ops: readonly IpOp[], opts?: IpBatchOptions): Promise<void> {
    enter('ip', [netns, ops, opts]);
    checkNetnsRef(netns);
    checkOps(ops);
    if (ops.length === 0) return;
    const force = opts?.ignoreMissing === true;
    const argv = ipBatchArgv(netns, force);
    const lines = ops.map((op) => renderLine(op, netns, selfNetns));
    const failures: OpFailure[] = [];
    const ns = net.resolve(netns);
    if (!ns) {
      failures.push({ index: 0, message: unreachable(netns!) });
    } else {
      for (const [index, op] of ops.entries()) {
        try {
          net.apply(ns, op, (ref) => net.resolve(ref), netnsTokenOf(op, selfNetns));
        } catch (err) {
          if (!(err instanceof FakeOpError)) throw err;
          failures.push({ index, message: err.message });
          if (!force) break;
        }
      }
    }
    const remaining = force ? failures.filter((f) => !isMissingError(ops[f.index], f.message)) : failures;
    if (remaining.length === 0) return;
    const stderr = failures.map((f) => `${f.message}\nCommand failed -:${f.index + 1}\n`).join('');
    throw withMissingKind(batchError(argv, 1, stderr, remaining, lines), ops);
  }

  const nftArgv = ['nft', '-f', '-'];
  /** What netnsState reads in one go: links, addresses and routes. */
  const stateOf = (netns: NetnsRef) => {
    const ns = nsOrThrow(netns, ipArgv(checkNetnsRef(netns), ['-json', 'link', 'addr', 'route', 'show']));
    return { links: listLinks(ns), addresses: listAddresses(ns), routes: listRoutes(ns) };
  };

  return {
    calls,
    failNext(spec = 1) {
      if (typeof spec === 'function') faults.push(spec);
      else for (let i = 0; i < spec; i++) faults.push(() => true);
    },
    assertNoPending() {
      if (faults.length > 0) throw new Error(`${faults.length} injected fault(s) were never triggered`);
    },
    addForeignNetns(path) {
      if (!isSafeNetnsPath(path) || namedNetns(path) !== undefined) throw new Error(`not a foreign netns path: ${path}`);
      if (net.resolve(path)) throw new Error(`netns ${path} already exists`);
      net.newNs(path);
    },
    removeForeignNetns(path) {
      net.deleteNs(path);
    },

    ip,
    async ipSequence(batches) {
      enter('ipSequence', [batches]);
      // each batch as an ip() call (recorded as in the sequence; faults armed for ip take it)
      await ipSequenceByCalls((netns, ops) => {
        // ip() records its call (enter) before its first await
        inSequence = true;
        const applied = ip(netns, ops);
        inSequence = false;
        return applied;
      }, batches);
    },
    async links(netns) {
      enter('links', [netns]);
      const argv = ipArgv(checkNetnsRef(netns), ['-details', '-json', 'link', 'show']);
      return listLinks(nsOrThrow(netns, argv));
    },
    async link(netns, name) {
      enter('link', [netns, name]);
      const argv = ipArgv(checkNetnsRef(netns), ['-details', '-json', 'link', 'show', 'dev', checkIfname(name)]);
      return listLinks(nsOrThrow(netns, argv)).find((l) => l.name === name);
    },
    async addresses(netns) {
      enter('addresses', [netns]);
      return listAddresses(nsOrThrow(netns, ipArgv(checkNetnsRef(netns), ['-json', 'addr', 'show'])));
    },
    async routes(netns) {
      enter('routes', [netns]);
      return listRoutes(nsOrThrow(netns, ipArgv(checkNetnsRef(netns), ['-json', 'route', 'show'])));
    },
    async netnsState(netns) {
      enter('netnsState', [netns]);
      return stateOf(netns);
    },
    async netnsStates(paths) {
      enter('netnsStates', [paths]);
      for (const path of paths) if (checkNetnsRef(path) === null) throw new TypeError('netnsStates: a namespace file, not null');
      return paths.map((path) => {
        try {
          return stateOf(path);
        } catch (err) {
          return err as KernelError;
        }
      });
    },

    async neighbors(netns) {
      enter('neighbors', [netns]);
      return listNeighbors(nsOrThrow(netns, ipArgv(checkNetnsRef(netns), ['-json', 'neigh', 'show'])));
    },
    async fdb(netns) {
      enter('fdb', [netns]);
      return listFdb(nsOrThrow(netns, toolArgv('bridge', checkNetnsRef(netns), ['-json', 'fdb', 'show'])));
    },

    async netnsAdd(name) {
      enter('netnsAdd', [name]);
      const path = netnsPathOf(checkNetnsName(name));
      if (net.resolve(path)) {
        throw new KernelError(['ip', 'netns', 'add', name], 1, `Cannot create namespace file "${path}": File exists`);
      }
      const ns = net.newNs(path);
      net.setUp(ns.links.get('lo')!, true);
      return path;
    },
    async netnsDelete(name) {
      enter('netnsDelete', [name]);
      net.deleteNs(netnsPathOf(checkNetnsName(name)));
    },
    async netnsList() {
      enter('netnsList', []);
      return net.paths().flatMap((p) => namedNetns(p) ?? []).sort();
    },
    async isNetns(path) {
      enter('isNetns', [path]);
      return isSafeNetnsPath(path) && net.resolve(path) !== undefined;
    },

    async sysctlGet(key) {
      enter('sysctlGet', [key]);
      sysctlPath(key);
      return sysctl.get(key);
    },
    async sysctlSet(key, value, options) {
      enter('sysctlSet', options ? [key, value, options] : [key, value]);
      const path = sysctlPath(key);
      checkSysctlValue(value);
      if (!sysctl.set(key, value)) {
        throw withDetails(new KernelError(['sysctl', '-w', `${key}=${value}`], 1, `cannot write ${path}: ENOENT`), { key });
      }
      const disabling = /^net\.ipv6\.conf\.([^.]+)\.disable_ipv6$/.exec(key);
      const link = disabling ? net.root.links.get(disabling[1]!.replaceAll('/', '.')) : undefined;
      if (link) net.setIpv6Disabled(link, value === '1');
    },

    async nftApply(document) {
      enter('nftApply', [document]);
      try {
        nft.apply(document);
      } catch (err) {
        if (err instanceof NftError) throw new KernelError(nftArgv, 1, err.message);
        throw err;
      }
    },
    async nftListTable(family, name) {
      enter('nftListTable', [family, name]);
      checkNftTable(family, name);
      return nft.list(family, name);
    },
    async nftDeleteTable(family, name) {
      enter('nftDeleteTable', [family, name]);
      checkNftTable(family, name);
      nft.delete(family, name);
    },

    async iptablesList(family, chain) {
      enter('iptablesList', [family, chain]);
      checkXtOp({ op: 'chain.add', chain });
      return xtables.get(`${family}:${chain}`)?.map((r) => [...r]);
    },
    async iptables(family, ops) {
      enter('iptables', [family, ops]);
      for (const op of ops) checkXtOp(op);
      for (const op of ops) {
        const key = `${family}:${op.chain}`;
        const rules = xtables.get(key);
        if (op.op === 'chain.add') {
          if (!rules) xtables.set(key, []);
          continue;
        }
        if (!rules) {
          if (op.op === 'rule.delete') continue;
          throw new KernelError(xtArgv(family, op), 1, 'iptables: No chain/target/match by that name.');
        }
        const at = rules.findIndex((r) => r.join(' ') === op.rule.join(' '));
        if (op.op === 'rule.insert') rules.unshift([...op.rule]);
        else if (at >= 0) rules.splice(at, 1);
      }
    },
    async supportsLinkKind(kind) {
      enter('supportsLinkKind', [kind]);
      return net.hasKind(checkLinkKind(kind));
    },

    async checkTools(tools) {
      enter('checkTools', [tools]);
      const missing = tools.find((t) => options.missingTools?.includes(t));
      if (missing !== undefined) throw toolMissing(missing);
    },
  };
}
