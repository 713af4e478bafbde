import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, it } from 'node:test';
import { requireIsolatedNamespace } from '../../../test/helpers/isolation.js';
import type { KernelError } from '@patchbay/errors';
import { createRealKernel, resolveKernelBackend } from '../src/index.js';
import { ADDON_PATH, loadNetlinkAddon } from '../src/netlink/addon.js';
import { kernelContract, type ForeignNetns } from './contract.js';

requireIsolatedNamespace();

/** A "container": a process in its own network namespace, addressed as /proc/PID/ns/net. */
async function containerNetns(): Promise<ForeignNetns> {
  const child = spawn('unshare', ['--net', 'sleep', '60'], { stdio: 'ignore' });
  const path = `/proc/${child.pid}/ns/net`;
  const mine = readlinkSync('/proc/self/ns/net');
  // unshare(2) happens just after the spawn: wait until the process is in its own namespace
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(path) !== mine) break;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    path,
    dispose: async () => {
      child.kill();
    },
  };
}

kernelContract('real, in-process netlink', () => createRealKernel({ backend: 'netlink' }), { foreignNetns: containerNetns });
kernelContract('real, ip processes', () => createRealKernel({ backend: 'ip' }), { foreignNetns: containerNetns });

const ipLinkNames = (ns?: string): string[] =>
  (JSON.parse(execFileSync('ip', [...(ns ? ['-n', ns] : []), '-json', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname);

describe('real kernel: IPv6 on a bridge port', () => {
  it('a port with IPv6 on gets a multicast route (ff00::/8, table local) with its carrier; one with it off has none', async () => {
    const k = createRealKernel({ backend: 'netlink' });
    const ns = await k.netnsAdd('pbt-mroute');
    const [on, off] = ['pbt-mron', 'pbt-mroff'];
    try {
      await k.ip(null, [{ op: 'bridge.add', name: 'pbt-mrbr' }, { op: 'link.set', name: 'pbt-mrbr', up: true }]);
      for (const [name, peer] of [[on, 'eth0'], [off, 'eth1']] as const) {
        await k.ip(null, [{ op: 'veth.add', name, peer, peerNetns: ns, master: 'pbt-mrbr', up: true }]);
      }
      await k.sysctlSet(`net.ipv6.conf.${off}.disable_ipv6`, '1');
      await k.ip(ns, [{ op: 'link.set', name: 'eth0', up: true }, { op: 'link.set', name: 'eth1', up: true }]);
      const mroutes = () =>
        (JSON.parse(execFileSync('ip', ['-6', '-json', 'route', 'show', 'table', 'local'], { encoding: 'utf8' })) as { dst: string; dev: string }[])
          .filter((r) => r.dst === 'ff00::/8')
          .map((r) => r.dev);
      assert.ok(mroutes().includes(on), mroutes().join(' '));
      assert.ok(!mroutes().includes(off), mroutes().join(' '));
      // turned off after the carrier (what the daemon does, in the background): the route goes
      await k.sysctlSet(`net.ipv6.conf.${on}.disable_ipv6`, '1');
      assert.deepEqual(mroutes().filter((dev) => dev === on || dev === off), []);
    } finally {
      await k.ip(null, [{ op: 'link.del', name: on }, { op: 'link.del', name: off }, { op: 'link.del', name: 'pbt-mrbr' }], { ignoreMissing: true });
      await k.netnsDelete('pbt-mroute');
    }
  });
});

describe('real kernel: a veth\'s queues', () => {
  it('one transmit and one receive queue allocated on both ends, through either backend (no queue per CPU cut down after registration)', async () => {
    const queues = (name: string, ns?: string) => {
      const [link] = JSON.parse(execFileSync('ip', [...(ns ? ['-n', ns] : []), '-d', '-json', 'link', 'show', 'dev', name], { encoding: 'utf8' })) as { num_tx_queues: number; num_rx_queues: number }[];
      return [link!.num_tx_queues, link!.num_rx_queues];
    };
    for (const backend of ['netlink', 'ip'] as const) {
      const k = createRealKernel({ backend });
      const ns = await k.netnsAdd(`pbt-q-${backend}`);
      try {
        await k.ip(null, [{ op: 'veth.add', name: 'pbt-q0', peer: 'eth0', peerNetns: ns, up: true }]);
        assert.deepEqual(queues('pbt-q0'), [1, 1], backend);
        assert.deepEqual(queues('eth0', `pbt-q-${backend}`), [1, 1], backend);
      } finally {
        await k.ip(null, [{ op: 'link.del', name: 'pbt-q0' }], { ignoreMissing: true });
        await k.netnsDelete(`pbt-q-${backend}`);
      }
    }
  });
});

describe('real kernel: sysctl writes at idle priority', () => {
  it('write as plain ones do, and fail with the same error for a missing key, through either backend', async () => {
    for (const backend of ['netlink', 'ip'] as const) {
      const k = createRealKernel({ backend });
      const name = `pbt-idle-${backend === 'ip' ? 'i' : 'n'}`;
      await k.ip(null, [{ op: 'bridge.add', name }]);
      try {
        const key = `net.ipv6.conf.${name}.disable_ipv6`;
        await k.sysctlSet(key, '1', { idle: true });
        assert.equal(await k.sysctlGet(key), '1', backend);
        await k.sysctlSet(key, '0', { idle: true });
        assert.equal(await k.sysctlGet(key), '0', backend);
        const missing = 'net.ipv6.conf.pbt-nosuchlink.disable_ipv6';
        const plain = await k.sysctlSet(missing, '1').then(() => undefined, (e: Error) => e.message);
        const idle = await k.sysctlSet(missing, '1', { idle: true }).then(() => undefined, (e: Error) => e.message);
        assert.match(idle ?? '', /cannot write \/proc\/sys\/net\/ipv6\/conf\/pbt-nosuchlink\/disable_ipv6: ENOENT/, backend);
        assert.equal(idle, plain, backend);
      } finally {
        await k.ip(null, [{ op: 'link.del', name }], { ignoreMissing: true });
      }
    }
  });
});

describe('netlink addon: writeIdle', () => {
  it('writes from a thread of its own whose scheduling policy is SCHED_IDLE (seen while the write waits on a FIFO)', async () => {
    const { addon } = loadNetlinkAddon();
    assert.ok(addon?.writeIdle, 'the addon has writeIdle');
    const dir = mkdtempSync(join(tmpdir(), 'pbt-idle-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    try {
      const threads = () => readdirSync('/proc/self/task');
      const before = new Set(threads());
      const written = addon.writeIdle(fifo, 'quiet\n');
      // the write's thread opens the FIFO and waits for a reader: find it and read its policy
      let policy: string | undefined;
      for (let i = 0; i < 200 && policy === undefined; i++) {
        for (const tid of threads()) {
          if (before.has(tid)) continue;
          const sched = readFileSync(`/proc/self/task/${tid}/sched`, 'utf8');
          const found = /^policy\s*:\s*(\d+)/m.exec(sched)?.[1];
          if (found === '5') policy = found; // SCHED_IDLE
        }
        if (policy === undefined) await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(policy, '5', 'a new thread at SCHED_IDLE');
      assert.equal(readFileSync(fifo, 'utf8'), 'quiet\n');
      await written;
      await assert.rejects(addon.writeIdle(join(dir, 'missing', 'file'), 'x'), (err: Error & { errno?: number }) => err.errno === 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('netlink addon: exchanges run beside the event loop', () => {
  /** The CPUs this process may run on (sched_getaffinity, as /proc reports it). */
  const allowedCpus = (): number[] => {
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    return list.split(',').flatMap((part) => {
      const [from, to = from] = part.split('-').map(Number);
      return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
    });
  };

  it('a worker on the loop\'s CPU moves to another for the work, and gets its affinity back', async (t) => {
    const { addon } = loadNetlinkAddon();
    const besideProbe = addon?.besideProbe?.bind(addon);
    assert.ok(besideProbe, 'the addon has besideProbe');
    const cpus = allowedCpus();
    if (cpus.length < 2) return t.skip('one CPU: nowhere to move');
    for (const cpu of cpus) {
      const probe = await besideProbe(cpu);
      assert.equal(probe.cpus, cpus.length);
      assert.equal(probe.moved, true, `moved off CPU ${cpu}`);
      assert.notEqual(probe.cpuDuring, cpu);
      assert.ok(cpus.includes(probe.cpuDuring), `ran on an allowed CPU (${probe.cpuDuring})`);
      assert.equal(probe.restored, true, 'the affinity is back');
    }
  });

  it('with one CPU allowed it stays where it is', () => {
    const { addon } = loadNetlinkAddon();
    assert.ok(addon?.besideProbe);
    const cpu = allowedCpus()[0]!;
    const script = `require(${JSON.stringify(ADDON_PATH)}).besideProbe(${cpu}).then((p) => console.log(JSON.stringify(p)))`;
    const probe = JSON.parse(execFileSync('taskset', ['-c', String(cpu), process.execPath, '-e', script], { encoding: 'utf8' })) as Record<string, unknown>;
    assert.deepEqual(probe, { cpus: 1, moved: false, cpuDuring: cpu, restored: true });
  });
});

describe('real kernel: the netlink backend', () => {
  it('is what the default kernel uses once the addon is built', () => {
    assert.equal(resolveKernelBackend('auto').backend, 'netlink');
  });

  it('tells the type of a namespace file by asking the kernel (NS_GET_NSTYPE), not by reading mountinfo', async () => {
    const addon = loadNetlinkAddon().addon!;
    const k = createRealKernel({ backend: 'netlink' });
    const sb = await k.netnsAdd('pbt-nstype');
    try {
      assert.equal(addon.netnsType(sb), 'net');
      assert.equal(addon.netnsType('/proc/self/ns/net'), 'net');
      assert.equal(addon.netnsType('/proc/self/ns/mnt'), 'other');
      assert.equal(addon.netnsType('/run/netns/pbt-never'), null);
      assert.equal(await k.isNetns(sb), true);
      assert.equal(await k.isNetns('/proc/self/ns/mnt'), false);
    } finally {
      await k.netnsDelete('pbt-nstype');
    }
  });

  it('runs nft commands through libnftables in-process, no nft process; the same errors as the process', async () => {
    assert.equal(resolveKernelBackend('netlink').nft, 'libnftables, in-process');
    const argvs: string[][] = [];
    const runner = async (argv: readonly string[]) => {
      argvs.push([...argv]);
      return { exitCode: 1, stdout: '', stderr: 'not expected' };
    };
    const k = createRealKernel({ backend: 'netlink', runner });
    const viaProcess = createRealKernel({ backend: 'ip' });
    try {
      await k.nftApply('table inet pbtlib {\n\tset s {\n\t\ttype ifname\n\t}\n}\nadd element inet pbtlib s { "a", "b" }\n');
      assert.match((await k.nftListTable('inet', 'pbtlib')) ?? '', /elements = \{ "a",\s+"b" \}/);
      assert.equal(await k.nftListTable('inet', 'pbtlib'), await viaProcess.nftListTable('inet', 'pbtlib'));
      assert.equal(await k.nftListTable('inet', 'pbtnever'), undefined);
      // one transaction: the second command fails, so the first is not applied either
      await assert.rejects(k.nftApply('add element inet pbtlib s { "c" }\nadd element inet pbtlib nosuch { "d" }\n'), (err: KernelError) => {
        assert.equal(err.code, 'PB_ERR_KERNEL');
        assert.match(err.message, /No such file or directory/);
        return true;
      });
      assert.doesNotMatch((await k.nftListTable('inet', 'pbtlib')) ?? '', /"c"/);
      await k.nftDeleteTable('inet', 'pbtlib');
      await k.nftDeleteTable('inet', 'pbtlib');
      assert.equal(await viaProcess.nftListTable('inet', 'pbtlib'), undefined);
      assert.deepEqual(argvs, [], 'no process was started');
    } finally {
      await viaProcess.nftDeleteTable('inet', 'pbtlib');
    }
  });

  it('worker threads always return to the daemon namespace: 40 concurrent batches land where they were sent', async () => {
    const k = createRealKernel({ backend: 'netlink' });
    const sb = await k.netnsAdd('pbt-threads');
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => k.ip(i % 2 === 0 ? null : sb, [{ op: 'bridge.add', name: `pbthr${i}` }])),
      );
      const host = ipLinkNames().filter((n) => n.startsWith('pbthr'));
      const inside = ipLinkNames('pbt-threads').filter((n) => n.startsWith('pbthr'));
      const want = (parity: number) => Array.from({ length: 20 }, (_, j) => `pbthr${j * 2 + parity}`).sort();
      assert.deepEqual(host.sort(), want(0));
      assert.deepEqual(inside.sort(), want(1));
    } finally {
      await k.ip(null, Array.from({ length: 40 }, (_, i) => ({ op: 'link.del' as const, name: `pbthr${i}` })), { ignoreMissing: true });
      await k.netnsDelete('pbt-threads');
    }
  });

  it('namespaces made in-process are ones `ip netns` lists and enters, and the other way round', async () => {
    const k = createRealKernel({ backend: 'netlink' });
    const path = await k.netnsAdd('pbt-interop');
    assert.equal(path, '/run/netns/pbt-interop');
    assert.match(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), /pbt-interop/);
    assert.match(execFileSync('ip', ['-n', 'pbt-interop', 'link', 'show', 'lo'], { encoding: 'utf8' }), /<LOOPBACK,UP,LOWER_UP>/);
    assert.notEqual(readlinkSync('/proc/self/ns/net'), execFileSync('ip', ['netns', 'exec', 'pbt-interop', 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim());
    await assert.rejects(k.netnsAdd('pbt-interop'), /netns add pbt-interop: EEXIST/);
    await k.netnsDelete('pbt-interop');
    assert.doesNotMatch(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }), /pbt-interop/);
    await k.netnsDelete('pbt-interop');
    execFileSync('ip', ['netns', 'add', 'pbt-interop2']);
    await k.ip('/run/netns/pbt-interop2', [{ op: 'bridge.add', name: 'pbx0' }]);
    await k.netnsDelete('pbt-interop2');
    assert.equal(existsSync('/run/netns/pbt-interop2'), false);
  });

  it('a failure names the op, the errno and the kernel\'s own words', async () => {
    const k = createRealKernel({ backend: 'netlink' });
    await k.ip(null, [{ op: 'bridge.add', name: 'pbnl0' }, { op: 'addr.add', dev: 'pbnl0', cidr: '10.77.0.1/24' }]);
    try {
      await assert.rejects(k.ip(null, [{ op: 'link.set', name: 'pbnl0', up: true }, { op: 'addr.add', dev: 'pbnl0', cidr: '10.77.0.1/24' }]), (err: KernelError) => {
        assert.equal(err.details?.failedOp, 1);
        assert.match(err.message, /^netlink: EEXIST: addr add 10\.77\.0\.1\/24 dev pbnl0: RTNETLINK answers: File already exists/);
        return true;
      });
      await assert.rejects(k.ip(null, [{ op: 'link.set', name: 'pbnl0', master: 'pbnope9' }]), /ENODEV: .*Cannot find device "pbnope9"/);
    } finally {
      await k.ip(null, [{ op: 'link.del', name: 'pbnl0' }]);
    }
  });
});

describe('real kernel: specifics', () => {
  it('logs every command with argv and duration', async () => {
    const entries: { obj: Record<string, unknown>; msg: string }[] = [];
    const k = createRealKernel({ backend: 'ip', log: { debug: (obj, msg) => entries.push({ obj: obj as Record<string, unknown>, msg }) } });
    await k.links(null);
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.msg, 'kernel call');
    assert.deepEqual(entries[0]!.obj.argv, ['ip', '-details', '-json', 'link', 'show']);
    assert.equal(typeof entries[0]!.obj.ms, 'number');
  });

  it('isNetns reads the type of a bind-mounted namespace file: a uts namespace is not a network one', async () => {
    const k = createRealKernel();
    const file = '/run/netns/pbt-uts';
    writeFileSync(file, '');
    execFileSync('mount', ['--bind', '/proc/self/ns/uts', file]);
    try {
      assert.equal(await k.isNetns(file), false);
    } finally {
      execFileSync('umount', [file]);
      rmSync(file);
    }
  });

  it('drives the daemon namespace through nsenter when given as a path', async () => {
    const k = createRealKernel();
    await k.ip('/proc/self/ns/net', [{ op: 'bridge.add', name: 'pbself0' }]);
    assert.ok((await k.links(null)).some((l) => l.name === 'pbself0'));
    await k.ip(null, [{ op: 'link.del', name: 'pbself0' }]);
  });
});

describe('real kernel: netlink reads return exactly what the ip -json reads return', () => {
  const viaNetlink = createRealKernel({ backend: 'netlink' });
  const viaIp = createRealKernel({ backend: 'ip' });

  /** ip, netlink, ip again: a state that moved under the reads (IPv6 DAD) is read once more. */
  async function sameFromBoth<T>(what: string, read: (k: typeof viaIp) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const before = await read(viaIp);
      const fromNetlink = await read(viaNetlink);
      const after = await read(viaIp);
      if (attempt < 3 && !isDeepStrictEqual(before, after)) continue;
      assert.deepEqual(fromNetlink, before, what);
      // the same key order too: these objects reach logs and the API as JSON
      assert.equal(JSON.stringify(fromNetlink), JSON.stringify(before), what);
      return fromNetlink;
    }
  }

  it('links, link(name), addresses and routes of a bridge, a hairpin veth into another namespace, a group, and routes', async () => {
    const a = await viaNetlink.netnsAdd('pbt-eq-a');
    const b = await viaNetlink.netnsAdd('pbt-eq-b');
    try {
      await viaNetlink.ip(a, [
        { op: 'bridge.add', name: 'pbeqbr', mtu: 1400 },
        { op: 'link.set', name: 'pbeqbr', up: true },
        { op: 'addr.add', dev: 'pbeqbr', cidr: '10.66.0.1/24' },
        { op: 'addr.add', dev: 'pbeqbr', cidr: 'fd66::1/64' },
        { op: 'addr.add', dev: 'pbeqbr', cidr: '10.66.1.1/24' },
        { op: 'veth.add', name: 'pbeqv', peer: 'eth0', peerNetns: b, mac: '02:42:0A:42:00:0a' },
        { op: 'link.set', name: 'pbeqv', master: 'pbeqbr', up: true },
        { op: 'link.set', name: 'pbeqv', hairpin: true },
        { op: 'bridge.add', name: 'pbeqg' },
        { op: 'link.set', name: 'pbeqg', group: 9 },
        { op: 'veth.add', name: 'pbeqx', peer: 'pbeqy', peerNetns: a },
        { op: 'link.set', name: 'pbeqx', master: 'pbeqbr' },
      ]);
      await viaNetlink.ip(b, [
        { op: 'link.set', name: 'eth0', up: true },
        { op: 'addr.add', dev: 'eth0', cidr: '10.66.0.2/24' },
        { op: 'addr.add', dev: 'eth0', cidr: 'fd66::2/64' },
        { op: 'route.add', dst: 'default', via: '10.66.0.1' },
        { op: 'route.add', dst: 'default', via: 'fd66::1' },
      ]);
      await viaNetlink.ip(a, [
        { op: 'route.add', dst: 'default', via: '10.66.0.254' },
        { op: 'route.add', dst: 'default', via: 'fd66::fe' },
        { op: 'route.add', dst: '10.67.0.0/16', via: '10.66.0.5' },
        { op: 'route.add', dst: '10.68.0.9/32', dev: 'pbeqbr' },
        { op: 'route.add', dst: '10.69.0.0/24', dev: 'pbeqbr' },
        { op: 'route.add', dst: 'fd67::9/128', dev: 'pbeqbr' },
        { op: 'route.add', dst: 'fd68::/48', via: 'fd66::5' },
      ]);

      const linksA = await sameFromBoth('links in a', (k) => k.links(a));
      const veth = linksA.find((l) => l.name === 'pbeqv');
      assert.deepEqual(
        { kind: veth?.kind, master: veth?.master, hairpin: veth?.hairpin, mac: veth?.mac, up: veth?.up },
        { kind: 'veth', master: 'pbeqbr', hairpin: true, mac: '02:42:0a:42:00:0a', up: true },
        'the state the comparison is about is really there',
      );
      assert.equal(linksA.find((l) => l.name === 'pbeqg')?.group, 9);
      assert.equal(linksA.find((l) => l.name === 'pbeqx')?.hairpin, false);
      for (const name of ['lo', 'pbeqbr', 'pbeqv', 'pbeqg', 'pbeqx', 'pbeqy', 'pbeqnone']) {
        await sameFromBoth(`link ${name} in a`, (k) => k.link(a, name));
      }
      assert.equal(await viaNetlink.link(a, 'pbeqnone'), undefined);
      const addrsA = await sameFromBoth('addresses in a', (k) => k.addresses(a));
      assert.ok(addrsA.some((x) => x.cidr === 'fd66::1/64' && x.scope === 'global'));
      const routesA = await sameFromBoth('routes in a', (k) => k.routes(a));
      for (const dst of ['default', '10.67.0.0/16', '10.68.0.9', '10.69.0.0/24', 'fd67::9', 'fd68::/48']) {
        assert.ok(routesA.some((r) => r.dst === dst), `route ${dst} listed`);
      }
      assert.equal(routesA.filter((r) => r.dst === 'default').length, 2);

      await sameFromBoth('links in b', (k) => k.links(b));
      await sameFromBoth('link eth0 in b', (k) => k.link(b, 'eth0'));
      await sameFromBoth('addresses in b', (k) => k.addresses(b));
      await sameFromBoth('routes in b', (k) => k.routes(b));

      // the test's own namespace, by null and by path (nsenter on the ip side)
      for (const ns of [null, '/proc/self/ns/net']) {
        await sameFromBoth(`links in ${ns}`, (k) => k.links(ns));
        await sameFromBoth(`addresses in ${ns}`, (k) => k.addresses(ns));
        await sameFromBoth(`routes in ${ns}`, (k) => k.routes(ns));
        await sameFromBoth(`link lo in ${ns}`, (k) => k.link(ns, 'lo'));
      }
    } finally {
      await viaNetlink.netnsDelete('pbt-eq-a');
      await viaNetlink.netnsDelete('pbt-eq-b');
    }
  });

  it('links on a lower device: macvlans of every mode, the parent named in its own namespace only', async () => {
    const a = await viaNetlink.netnsAdd('pbt-eq-lower-a');
    const b = await viaNetlink.netnsAdd('pbt-eq-lower-b');
    try {
      await viaNetlink.ip(a, [
        { op: 'veth.add', name: 'pbeqp', peer: 'pbeqq', peerNetns: a },
        { op: 'macvlan.add', name: 'pbeqm1', parent: 'pbeqp', mode: 'bridge' },
        { op: 'macvlan.add', name: 'pbeqm2', parent: 'pbeqp', mode: 'private', mtu: 1400 },
        { op: 'macvlan.add', name: 'pbeqm3', parent: 'pbeqp', mode: 'vepa', mac: '02:42:0a:43:00:03' },
        { op: 'macvlan.add', name: 'eth0', parent: 'pbeqp', mode: 'bridge', netns: b },
        { op: 'macvlan.add', name: 'pbeqm4', parent: 'pbeqq', mode: 'passthru' },
        { op: 'link.set', name: 'pbeqm1', up: true },
      ]);
      const linksA = await sameFromBoth('links in a', (k) => k.links(a));
      assert.deepEqual(
        linksA.filter((l) => l.kind === 'macvlan').map((l) => [l.name, l.parent, l.mode]),
        [['pbeqm1', 'pbeqp', 'bridge'], ['pbeqm2', 'pbeqp', 'private'], ['pbeqm3', 'pbeqp', 'vepa'], ['pbeqm4', 'pbeqq', 'passthru']],
        'the state the comparison is about is really there',
      );
      assert.deepEqual(linksA.filter((l) => l.kind === 'veth').map((l) => l.parent), [undefined, undefined], 'a veth\'s peer is no parent');
      for (const name of ['pbeqp', 'pbeqm1', 'pbeqm2', 'pbeqm3', 'pbeqm4']) await sameFromBoth(`link ${name} in a`, (k) => k.link(a, name));
      const eth0 = await sameFromBoth('link eth0 in b', (k) => k.link(b, 'eth0'));
      assert.deepEqual([eth0?.kind, eth0?.mode, eth0?.parent], ['macvlan', 'bridge', undefined]);
      await sameFromBoth('links in b', (k) => k.links(b));
    } finally {
      await viaNetlink.netnsDelete('pbt-eq-lower-a');
      await viaNetlink.netnsDelete('pbt-eq-lower-b');
    }
  });

  it('vxlan devices, their forwarding entries and permanent neighbours', async () => {
    const a = await viaNetlink.netnsAdd('pbt-eq-vx');
    try {
      await viaNetlink.ip(a, [
        { op: 'vxlan.add', name: 'pbeqx4', vni: 4242, dstport: 4789, local: '10.0.0.1', learning: false, proxy: true },
        { op: 'vxlan.add', name: 'pbeqx6', vni: 7, dstport: 4790, local: 'fd00::1', learning: true, mtu: 1400 },
        { op: 'vxlan.add', name: 'pbeqx0', vni: 0, dstport: 8472, learning: false, proxy: false },
        { op: 'link.set', name: 'pbeqx4', up: true },
        { op: 'link.set', name: 'pbeqx6', up: true },
        { op: 'fdb.append', dev: 'pbeqx4', mac: '00:00:00:00:00:00', dst: '10.0.0.2' },
        { op: 'fdb.append', dev: 'pbeqx4', mac: '00:00:00:00:00:00', dst: '10.0.0.3' },
        { op: 'fdb.append', dev: 'pbeqx4', mac: '02:42:0a:05:00:05', dst: '10.0.0.3' },
        { op: 'fdb.append', dev: 'pbeqx6', mac: '02:42:0a:05:00:06', dst: 'fd00::2' },
        { op: 'neigh.replace', dev: 'pbeqx4', address: '10.5.0.3', mac: '02:42:0a:05:00:03' },
        { op: 'neigh.replace', dev: 'pbeqx4', address: 'fd05::3', mac: '02:42:0a:05:00:03' },
        { op: 'neigh.replace', dev: 'pbeqx6', address: '10.6.0.3', mac: '02:42:0a:06:00:03' },
      ]);
      const links = await sameFromBoth('links', (k) => k.links(a));
      assert.deepEqual(links.map((l) => l.vxlan?.vni), [undefined, 4242, 7, 0], 'the state the comparison is about is really there');
      for (const name of ['pbeqx4', 'pbeqx6', 'pbeqx0']) await sameFromBoth(`link ${name}`, (k) => k.link(a, name));
      assert.equal((await sameFromBoth('fdb', (k) => k.fdb(a))).length, 4);
      assert.equal((await sameFromBoth('neighbors', (k) => k.neighbors(a))).length, 3);
    } finally {
      await viaNetlink.netnsDelete('pbt-eq-vx');
    }
  });

  it('a missing namespace is a KernelError on both, for every read', async () => {
    const gone = '/run/netns/pbt-eq-never';
    for (const k of [viaNetlink, viaIp]) {
      for (const read of [() => k.links(gone), () => k.link(gone, 'lo'), () => k.addresses(gone), () => k.routes(gone)]) {
        await assert.rejects(read(), (err: KernelError) => {
          assert.equal(err.name, 'KernelError');
          assert.equal(err.code, 'PB_ERR_KERNEL');
          assert.match(err.message, /Cannot open network namespace "(pbt-eq-never|\/run\/netns\/pbt-eq-never)": No such file or directory/);
          return true;
        });
      }
    }
  });

  it('each netlink read is logged with where it ran and how long it took', async () => {
    const entries: { obj: Record<string, unknown>; msg: string }[] = [];
    const k = createRealKernel({ backend: 'netlink', log: { debug: (obj, msg) => entries.push({ obj: obj as Record<string, unknown>, msg }) } });
    await k.links(null);
    await k.routes('/proc/self/ns/net');
    assert.deepEqual(entries.map((e) => [e.msg, e.obj.netlink, e.obj.read, typeof e.obj.ms]), [
      ['kernel call', 'host', 'link show', 'number'],
      ['kernel call', '--net=/proc/self/ns/net', 'route show', 'number'],
    ]);
  });
});
