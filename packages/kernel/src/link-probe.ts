import { KernelError } from '@patchbay/errors';
import type { IpOp, LinkKind } from './contract.js';
import { parseBatchStderr } from './batch-errors.js';
import type { Runner } from './exec.js';
import { ipBatchArgv, renderLine } from './ip-batch.js';
import { checkLinkKind, UNKNOWN_KIND_RE } from './link-kinds.js';

/**
 * Feature detection on the real kernel: one `ip -force -batch` in a fresh anonymous namespace
 * (`unshare --net`, gone with the process, so nothing can be left behind) creates one link of
 * every kind; a line the kernel answers with "Unknown device type" is a kind it lacks. Creating
 * is what loads a module on demand, so this is what a real create would meet (reading
 * /proc/modules or /sys/module would miss modules that are loadable but not yet loaded).
 */
const PROBES: readonly { kind: LinkKind; op: IpOp }[] = [
  { kind: 'veth', op: { op: 'veth.add', name: 'pbprobe0', peer: 'pbprobe1', peerNetns: null } },
  { kind: 'bridge', op: { op: 'bridge.add', name: 'pbprobe2' } },
  // macvlan and ipvlan cannot share a lower device: one on each veth end
  { kind: 'macvlan', op: { op: 'macvlan.add', name: 'pbprobe3', parent: 'pbprobe0', mode: 'bridge' } },
  { kind: 'ipvlan', op: { op: 'ipvlan.add', name: 'pbprobe4', parent: 'pbprobe1', mode: 'l2' } },
  { kind: 'vlan', op: { op: 'vlan.add', name: 'pbprobe5', parent: 'pbprobe0', id: 2 } },
  { kind: 'dummy', op: { op: 'dummy.add', name: 'pbprobe6' } },
  { kind: 'vxlan', op: { op: 'vxlan.add', name: 'pbprobe7', vni: 1, dstport: 4789, learning: false } },
];

async function probeAll(run: Runner): Promise<Map<LinkKind, boolean>> {
  const argv = ['unshare', '--net', '--', ...ipBatchArgv(null, true)];
  const lines = PROBES.map((p) => renderLine(p.op, null, '/proc/self/ns/net'));
  const result = await run(argv, lines.join('\n') + '\n');
  const found = new Map(PROBES.map((p) => [p.kind, true]));
  if (result.exitCode === 0) return found;
  const parsed = parseBatchStderr(result.stderr);
  const unexpected = parsed.unattributed ?? parsed.reported.find((r) => !UNKNOWN_KIND_RE.test(r.message))?.message;
  if (unexpected !== undefined || parsed.reported.length === 0) {
    throw new KernelError(argv, result.exitCode, `link type probe: ${unexpected ?? result.stderr}`);
  }
  for (const r of parsed.reported) found.set(PROBES[r.line - 1]!.kind, false);
  return found;
}

/** supportsLinkKind on a runner: probed on first use, the answer kept (a failed probe is retried). */
export function createLinkKindProbe(run: Runner): (kind: LinkKind) => Promise<boolean> {
  let probed: Promise<Map<LinkKind, boolean>> | undefined;
  return async (kind) => {
    checkLinkKind(kind);
    probed ??= probeAll(run).catch((err: unknown) => {
      probed = undefined;
      throw err;
    });
    return (await probed).get(kind) === true;
  };
}
