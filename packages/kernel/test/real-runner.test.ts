import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KernelError, PatchbayError } from '@patchbay/errors';
import { createRealKernel, type IpOp, type RunResult, type Runner } from '../src/index.js';

/**
 * The real kernel's argv, stdin and error handling, against a scripted runner: no process is
 * started. (The behaviour against the machine is in real.int.test.ts.)
 */

interface Recorded {
  argv: readonly string[];
  input?: string;
}

function scripted(...results: Partial<RunResult>[]): { runner: Runner; calls: Recorded[] } {
  const calls: Recorded[] = [];
  const runner: Runner = async (argv, input) => {
    calls.push({ argv, input });
    const r = results.shift() ?? {};
    return { exitCode: 0, stdout: '', stderr: '', ...r };
  };
  return { runner, calls };
}

const failedOp = (err: unknown) => (err as KernelError).details?.failedOp;

describe('real kernel: argv and batch input', () => {
  it('runs a batch as one `ip -batch -` with one line per op', async () => {
    const { runner, calls } = scripted();
    await createRealKernel({ runner, backend: 'ip' }).ip(null, [
      { op: 'bridge.add', name: 'br0', mtu: 1400, mac: '02:00:00:00:00:01' },
      { op: 'link.set', name: 'br0', up: true },
      { op: 'addr.add', dev: 'br0', cidr: '10.0.0.1/24' },
      { op: 'route.add', dst: 'default', via: '10.0.0.254' },
      { op: 'link.set', name: 'v0', master: 'br0', mtu: 1400, up: false },
      { op: 'link.set', name: 'v0', nomaster: true },
      { op: 'addr.del', dev: 'br0', cidr: '10.0.0.1/24' },
      { op: 'route.del', dst: '10.1.0.0/16', dev: 'br0' },
      { op: 'link.del', name: 'br0' },
    ]);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.argv, ['ip', '-batch', '-']);
    assert.equal(
      calls[0]!.input,
      [
        'link add br0 mtu 1400 address 02:00:00:00:00:01 type bridge',
        'link set dev br0 up',
        'addr add 10.0.0.1/24 dev br0',
        'route add default via 10.0.0.254',
        'link set dev v0 master br0 mtu 1400 down',
        'link set dev v0 nomaster',
        'addr del 10.0.0.1/24 dev br0',
        'route del 10.1.0.0/16 dev br0',
        'link del dev br0',
        '',
      ].join('\n'),
    );
  });

  it('addresses namespaces by name, by path through nsenter, and sends veth peers to the right place', async () => {
    const { runner, calls } = scripted();
    const k = createRealKernel({ runner, backend: 'ip' });
    const veth = (peerNetns: string | null): IpOp => ({ op: 'veth.add', name: 'a', peer: 'b', peerNetns, mac: '02:00:00:00:00:0a', peerMac: '02:00:00:00:00:0b' });
    await k.ip(null, [veth('/run/netns/sb1'), veth('/proc/42/ns/net'), veth(null)]);
    await k.ip('/run/netns/sb1', [veth(null), veth('/run/netns/sb1')]);
    await k.ip('/proc/42/ns/net', [veth(null)], { ignoreMissing: true });
    assert.deepEqual(calls[0]!.input!.split('\n').slice(0, 3), [
      'link add a address 02:00:00:00:00:0a numtxqueues 1 numrxqueues 1 type veth peer name b address 02:00:00:00:00:0b numtxqueues 1 numrxqueues 1 netns sb1',
      'link add a address 02:00:00:00:00:0a numtxqueues 1 numrxqueues 1 type veth peer name b address 02:00:00:00:00:0b numtxqueues 1 numrxqueues 1 netns /proc/42/ns/net',
      'link add a address 02:00:00:00:00:0a numtxqueues 1 numrxqueues 1 type veth peer name b address 02:00:00:00:00:0b numtxqueues 1 numrxqueues 1',
    ]);
    assert.deepEqual(calls[1]!.argv, ['ip', '-n', 'sb1', '-batch', '-']);
    assert.deepEqual(calls[1]!.input!.split('\n').slice(0, 2), [
      `link add a address 02:00:00:00:00:0a numtxqueues 1 numrxqueues 1 type veth peer name b address 02:00:00:00:00:0b numtxqueues 1 numrxqueues 1 netns /proc/${process.pid}/ns/net`,
      'link add a address 02:00:00:00:00:0a numtxqueues 1 numrxqueues 1 type veth peer name b address 02:00:00:00:00:0b numtxqueues 1 numrxqueues 1',
    ]);
    assert.deepEqual(calls[2]!.argv, ['nsenter', '--net=/proc/42/ns/net', '--', 'ip', '-force', '-batch', '-']);
  });

  it('renders links on a lower device as `link add link PARENT name N`, the netns clause only to leave the batch\'s namespace', async () => {
    const { runner, calls } = scripted();
    await createRealKernel({ runner, backend: 'ip' }).ip('/run/netns/sb1', [
      { op: 'macvlan.add', name: 'eth0', parent: 'enp1', mode: 'bridge', netns: '/run/netns/sb2', mtu: 1400, mac: '02:00:00:00:00:0c' },
      { op: 'macvlan.add', name: 'mv0', parent: 'enp1', mode: 'passthru', netns: '/run/netns/sb1' },
      { op: 'macvlan.add', name: 'mv1', parent: 'enp1', mode: 'vepa', netns: null },
      { op: 'ipvlan.add', name: 'eth1', parent: 'enp1', mode: 'l3s', flag: 'private', netns: '/proc/42/ns/net' },
      { op: 'ipvlan.add', name: 'iv0', parent: 'enp1', mode: 'l2', mtu: 9000 },
      { op: 'vlan.add', name: 'enp1.10', parent: 'enp1', id: 10 },
      { op: 'dummy.add', name: 'd0' },
    ]);
    assert.deepEqual(calls[0]!.input!.split('\n'), [
      'link add link enp1 name eth0 mtu 1400 address 02:00:00:00:00:0c netns sb2 type macvlan mode bridge',
      'link add link enp1 name mv0 type macvlan mode passthru',
      `link add link enp1 name mv1 netns /proc/${process.pid}/ns/net type macvlan mode vepa`,
      'link add link enp1 name eth1 netns /proc/42/ns/net type ipvlan mode l3s private',
      'link add link enp1 name iv0 mtu 9000 type ipvlan mode l2',
      'link add link enp1 name enp1.10 type vlan id 10',
      'link add d0 type dummy',
      '',
    ]);
  });

  it('forwarding entries run as `bridge -batch -` between the ip processes; a failure there is named by its index in the whole batch', async () => {
    const { runner, calls } = scripted({}, { exitCode: 1, stderr: 'Cannot find device "vx9"\nCommand failed -:2\n' });
    const ops: IpOp[] = [
      { op: 'vxlan.add', name: 'vx0', vni: 4242, dstport: 4789, local: '10.0.0.1', learning: false, proxy: true, mtu: 1450 },
      { op: 'neigh.replace', dev: 'vx0', address: '10.5.0.3', mac: '02:42:0a:05:00:03' },
      { op: 'fdb.append', dev: 'vx0', mac: '00:00:00:00:00:00', dst: '10.0.0.2' },
      { op: 'fdb.append', dev: 'vx9', mac: '00:00:00:00:00:00', dst: '10.0.0.2' },
      { op: 'neigh.del', dev: 'vx0', address: 'fd05::3' },
    ];
    await assert.rejects(createRealKernel({ runner, backend: 'ip' }).ip('/run/netns/sb1', ops), (err: KernelError) => {
      assert.equal(err.details?.failedOp, 3);
      assert.deepEqual(err.argv, ['bridge', '-n', 'sb1', '-batch', '-']);
      return true;
    });
    assert.deepEqual(calls.map((c) => [c.argv.join(' '), c.input]), [
      [
        'ip -n sb1 -batch -',
        'link add vx0 mtu 1450 type vxlan id 4242 dstport 4789 local 10.0.0.1 nolearning proxy\nneigh replace 10.5.0.3 lladdr 02:42:0a:05:00:03 dev vx0 nud permanent\n',
      ],
      [
        'bridge -n sb1 -batch -',
        'fdb append 00:00:00:00:00:00 dev vx0 dst 10.0.0.2 self permanent\nfdb append 00:00:00:00:00:00 dev vx9 dst 10.0.0.2 self permanent\n',
      ],
    ], 'the batch stopped at the failure: the last ip process never ran');
    // teardown: every process runs, "already gone" in either is success
    const teardown = scripted({ exitCode: 1, stderr: 'RTNETLINK answers: No such file or directory\nCommand failed -:1\n' }, {});
    const del: IpOp[] = [{ op: 'fdb.del', dev: 'vx0', mac: '00:00:00:00:00:00', dst: '10.0.0.2' }, { op: 'link.del', name: 'vx0' }];
    await createRealKernel({ runner: teardown.runner, backend: 'ip' }).ip('/proc/42/ns/net', del, { ignoreMissing: true });
    assert.deepEqual(teardown.calls.map((c) => c.argv.join(' ')), [
      'nsenter --net=/proc/42/ns/net -- bridge -force -batch -',
      'nsenter --net=/proc/42/ns/net -- ip -force -batch -',
    ]);
  });

  it('"Unknown device type" for a link-creating op is the clear refusal naming the kernel option', async () => {
    const { runner } = scripted({ exitCode: 1, stderr: 'Error: Unknown device type.\nCommand failed -:2\n' });
    const ops: IpOp[] = [{ op: 'bridge.add', name: 'b0' }, { op: 'ipvlan.add', name: 'i0', parent: 'b0', mode: 'l2' }];
    await assert.rejects(createRealKernel({ runner, backend: 'ip' }).ip(null, ops), (err: PatchbayError) => {
      assert.equal(err.code, 'PB_ERR_KERNEL_FEATURE');
      assert.equal(err.message, 'this kernel has no ipvlan link type (CONFIG_IPVLAN)');
      assert.deepEqual([err.details?.failedOp, err.details?.kind, err.details?.config], [1, 'ipvlan', 'CONFIG_IPVLAN']);
      return true;
    });
    // the same words for an op that makes no link stay a kernel error
    const other = scripted({ exitCode: 1, stderr: 'Error: Unknown device type.\nCommand failed -:1\n' });
    await assert.rejects(createRealKernel({ runner: other.runner, backend: 'ip' }).ip(null, [{ op: 'link.set', name: 'x', up: true }]), (err: PatchbayError) => err.code === 'PB_ERR_KERNEL');
  });

  it('supportsLinkKind: one probe batch in a throw-away namespace, its answer kept; a failed probe is an error, tried again', async () => {
    const { runner, calls } = scripted(
      { exitCode: 1, stderr: 'unshare: unshare failed: Operation not permitted\n' },
      { exitCode: 1, stderr: 'Error: Unknown device type.\nCommand failed -:4\nError: Unknown device type.\nCommand failed -:6\n' },
    );
    const k = createRealKernel({ runner, backend: 'ip' });
    await assert.rejects(k.supportsLinkKind('macvlan'), (err: KernelError) => err.code === 'PB_ERR_KERNEL' && /Operation not permitted/.test(err.message));
    assert.equal(await k.supportsLinkKind('ipvlan'), false);
    assert.equal(await k.supportsLinkKind('dummy'), false);
    assert.equal(await k.supportsLinkKind('macvlan'), true);
    assert.equal(await k.supportsLinkKind('veth'), true);
    assert.equal(calls.length, 2, 'probed once more after the failure, then answered from what it found');
    assert.deepEqual(calls[1]!.argv, ['unshare', '--net', '--', 'ip', '-force', '-batch', '-']);
    const lines = calls[1]!.input!.trim().split('\n');
    assert.match(lines[3]!, /type ipvlan/);
    assert.match(lines[5]!, /type dummy/);
    await assert.rejects(k.supportsLinkKind('wireguard' as 'veth'), (err: PatchbayError) => err.code === 'PB_ERR_INVALID');
  });

  it('starts no process for an empty batch, and none for invalid input', async () => {
    const { runner, calls } = scripted();
    const k = createRealKernel({ runner, backend: 'ip' });
    await k.ip(null, []);
    await assert.rejects(k.ip(null, [{ op: 'link.del', name: 'x y' }]), (e: PatchbayError) => e.code === 'PB_ERR_INVALID');
    assert.equal(calls.length, 0);
  });

  it('reads the failing op from "Command failed -:LINE"', async () => {
    const { runner } = scripted({ exitCode: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:3\n' });
    const ops: IpOp[] = ['a', 'b', 'c', 'd'].map((name) => ({ op: 'bridge.add', name }));
    await assert.rejects(createRealKernel({ runner, backend: 'ip' }).ip(null, ops), (err: KernelError) => {
      assert.equal(err.code, 'PB_ERR_KERNEL');
      assert.equal(failedOp(err), 2);
      assert.equal(err.details?.failedLine, 'link add c type bridge');
      assert.deepEqual(err.argv, ['ip', '-batch', '-']);
      assert.equal(err.exitCode, 1);
      return true;
    });
  });

  it('finds the op behind an argument error that ended the batch without a line number', async () => {
    const { runner } = scripted({ exitCode: 255, stderr: 'Error: argument "nope" is wrong: Device does not exist\n\n' });
    const ops: IpOp[] = [
      { op: 'bridge.add', name: 'nope2' },
      { op: 'link.del', name: 'x' },
      { op: 'link.set', name: 'x', master: 'nope' },
    ];
    await assert.rejects(createRealKernel({ runner, backend: 'ip' }).ip(null, ops), (err) => failedOp(err) === 2);
  });

  it('in teardown mode, runs the rest of a batch that iproute2 ended early, and ignores "already gone"', async () => {
    const { runner, calls } = scripted(
      { exitCode: 255, stderr: 'Cannot find device "a"\nCommand failed -:1\nError: argument "nope" is wrong: Device does not exist\n' },
      { exitCode: 1, stderr: 'RTNETLINK answers: No such process\nCommand failed -:1\n' },
    );
    await createRealKernel({ runner, backend: 'ip' }).ip(
      null,
      [
        { op: 'link.del', name: 'a' },
        { op: 'link.del', name: 'b' },
        { op: 'link.set', name: 'c', master: 'nope' },
        { op: 'route.del', dst: '10.0.0.0/8' },
        { op: 'addr.del', dev: 'e', cidr: '10.0.0.1/8' },
      ],
      { ignoreMissing: true },
    );
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0]!.argv, ['ip', '-force', '-batch', '-']);
    assert.equal(calls[1]!.input, 'route del 10.0.0.0/8\naddr del 10.0.0.1/8 dev e\n');
  });

  it('in teardown mode, a real error still throws, naming that op', async () => {
    const { runner } = scripted({
      exitCode: 1,
      stderr: 'Cannot find device "a"\nCommand failed -:1\nRTNETLINK answers: File exists\nCommand failed -:2\n',
    });
    const ops: IpOp[] = [{ op: 'link.del', name: 'a' }, { op: 'bridge.add', name: 'b' }];
    await assert.rejects(createRealKernel({ runner, backend: 'ip' }).ip(null, ops, { ignoreMissing: true }), (err: KernelError) => {
      assert.equal(failedOp(err), 1);
      assert.equal((err.details?.failures as unknown[]).length, 1);
      return true;
    });
  });
});

describe('real kernel: other commands', () => {
  it('netnsAdd brings lo up, and deletes the namespace again when that fails', async () => {
    const { runner, calls } = scripted({}, { exitCode: 2, stderr: 'RTNETLINK answers: Operation not permitted\n' }, {});
    await assert.rejects(createRealKernel({ runner, backend: 'ip' }).netnsAdd('sb1'), /Operation not permitted/);
    assert.deepEqual(
      calls.map((c) => c.argv),
      [
        ['ip', 'netns', 'add', 'sb1'],
        ['ip', '-n', 'sb1', 'link', 'set', 'lo', 'up'],
        ['ip', 'netns', 'delete', 'sb1'],
      ],
    );
  });

  it('netnsDelete and nftDeleteTable treat "missing" as success', async () => {
    const { runner } = scripted(
      { exitCode: 1, stderr: 'Cannot remove namespace file "/run/netns/x": No such file or directory\n' },
      { exitCode: 1, stderr: 'Error: Could not process rule: No such file or directory\ndelete table inet x\n' },
      { exitCode: 1, stderr: 'Error: Could not process rule: Device or resource busy\n' },
    );
    const k = createRealKernel({ runner, backend: 'ip' });
    await k.netnsDelete('x');
    await k.nftDeleteTable('inet', 'x');
    await assert.rejects(k.nftDeleteTable('inet', 'x'), /resource busy/);
  });

  it('nft gets the document on stdin; a missing table lists as undefined', async () => {
    const { runner, calls } = scripted({}, { exitCode: 1, stderr: 'Error: No such file or directory\nlist table inet t\n' });
    const k = createRealKernel({ runner, backend: 'ip' });
    await k.nftApply('table inet t {}\n');
    assert.deepEqual(calls[0], { argv: ['nft', '-f', '-'], input: 'table inet t {}\n' });
    assert.equal(await k.nftListTable('inet', 't'), undefined);
  });

  it('checkTools names the Debian package to install', async () => {
    const missing: RunResult = { exitCode: undefined, stdout: '', stderr: '', spawnError: 'ENOENT' };
    for (const [tool, pkg] of [['ip', 'iproute2'], ['nft', 'nftables']] as const) {
      const { runner } = scripted(missing);
      await assert.rejects(createRealKernel({ runner, backend: 'ip' }).checkTools([tool]), (err: PatchbayError) => {
        assert.equal(err.code, 'PB_ERR_INTERNAL');
        assert.equal(err.message, `${pkg} is not installed: run \`apt-get install -y ${pkg}\``);
        return true;
      });
    }
  });

  it('parses ip -json output', async () => {
    const links = JSON.stringify([
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, link_type: 'loopback', address: '00:00:00:00:00:00' },
      { ifindex: 4, ifname: 'v0', flags: ['BROADCAST'], mtu: 1500, master: 'br0', address: '02:00:00:00:00:01', linkinfo: { info_kind: 'veth' } },
    ]);
    const { runner } = scripted({ stdout: links }, { stdout: '[{"dst":"default","gateway":"10.0.0.1","dev":"v0","flags":[]}]' }, { stdout: '[]' });
    const k = createRealKernel({ runner, backend: 'ip' });
    assert.deepEqual(await k.links(null), [
      { name: 'lo', index: 1, kind: 'loopback', mtu: 65536, mac: '00:00:00:00:00:00', up: true },
      { name: 'v0', index: 4, kind: 'veth', mtu: 1500, mac: '02:00:00:00:00:01', up: false, master: 'br0' },
    ]);
    assert.deepEqual(await k.routes(null), [{ dst: 'default', gateway: '10.0.0.1', dev: 'v0', family: 4 }]);
  });
});
