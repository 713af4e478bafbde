import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CNI_PLUGIN_PATH } from '@patchbay/cni';
import { createTestDaemon, sh, type TestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

const REFERENCE_PLUGINS = '/usr/lib/cni';
let d: TestDaemon;

interface Exec {
  code: number;
  stdout: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** Exec a plugin exactly as a runtime does: a fresh process, CNI_* in the environment, the config on stdin. */
function cni(type: string, command: string, opts: { id?: string; netns?: string; ifName?: string; args?: string; config: object; socket?: string }): Exec {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: command, CNI_PATH: REFERENCE_PLUGINS };
  if (opts.id !== undefined) env.CNI_CONTAINERID = opts.id;
  if (opts.netns !== undefined) env.CNI_NETNS = opts.netns;
  if (opts.ifName !== undefined) env.CNI_IFNAME = opts.ifName;
  if (opts.args !== undefined) env.CNI_ARGS = opts.args;
  const bin = type === 'patchbay' ? CNI_PLUGIN_PATH : join(REFERENCE_PLUGINS, type);
  const config = type === 'patchbay' ? { socket: opts.socket ?? d.socket, ...opts.config } : opts.config;
  const r = spawnSync(bin, [], { env, input: JSON.stringify(config), encoding: 'utf8', timeout: 60_000 });
  let json: unknown;
  try {
    json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { code: r.status ?? -1, stdout: r.stdout, json };
}

const conf = (version: string, over: object = {}) => ({ cniVersion: version, name: 'spec', type: 'patchbay', ipam: { subnet: '10.181.0.0/24' }, ...over });
const netnsPath = (name: string) => `/run/netns/${name}`;
function container(name: string): string {
  sh(['ip', 'netns', 'add', name]);
  sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return netnsPath(name);
}
const inNetns = (name: string, argv: string[], allowFail = false) => sh(['ip', 'netns', 'exec', name, ...argv], { allowFail });
const addrsOf = (name: string, dev: string) =>
  (JSON.parse(sh(['ip', '-n', name, '-j', 'addr', 'show', 'dev', dev]).out) as { addr_info: { local: string; prefixlen: number }[] }[])[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`);
const attachments = async () => (await d.req('GET', '/v1/sandboxes')).body.flatMap((s: { containerId: string; endpoints: { ifName: string }[] }) => s.endpoints.map((e) => `${s.containerId}/${e.ifName}`)).sort();

describe('the patchbay CNI plugin, exec’d as a runtime does', () => {
  before(() => {
    assert.ok(existsSync(CNI_PLUGIN_PATH), `${CNI_PLUGIN_PATH} is built by npm ci`);
    d = createTestDaemon(['--bip', '10.180.0.1/24']);
  });
  after(async () => {
    await d.cleanup();
  });

  it('answers VERSION without a daemon, and reports a daemon that is down (11; STATUS 50)', () => {
    const version = cni('patchbay', 'VERSION', { config: { cniVersion: '1.0.0' }, socket: '/nonexistent/pb.sock' });
    assert.equal(version.code, 0);
    assert.deepEqual(version.json, { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
    const netns = container('down');
    const add = cni('patchbay', 'ADD', { id: 'down', netns, ifName: 'eth0', config: conf('1.0.0') });
    assert.equal(add.code, 1);
    assert.equal(add.json.code, 11);
    assert.equal(add.json.cniVersion, '1.0.0');
    assert.match(add.json.msg, /patchbayd is not reachable/);
    assert.match(add.json.details, /No such file or directory/);
    const status = cni('patchbay', 'STATUS', { config: conf('1.1.0') });
    assert.deepEqual([status.code, status.json.code], [1, 50]);
  });

  it('STATUS is ready once the daemon runs', async () => {
    await d.start();
    const status = cni('patchbay', 'STATUS', { config: conf('1.1.0') });
    assert.deepEqual([status.code, status.stdout], [0, '']);
  });

  for (const version of ['0.4.0', '1.0.0', '1.1.0']) {
    it(`ADD → CHECK → DEL with cniVersion ${version}`, async () => {
      const name = `v${version.replaceAll('.', '')}`;
      const netns = container(name);
      const add = cni('patchbay', 'ADD', { id: name, netns, ifName: 'eth0', config: conf(version) });
      assert.equal(add.code, 0, add.stdout);
      assert.equal(add.json.cniVersion, version);
      const eth0 = add.json.interfaces.findIndex((i: { name: string; sandbox?: string }) => i.name === 'eth0' && i.sandbox === netns);
      assert.ok(eth0 >= 0, add.stdout);
      assert.match(add.json.interfaces[eth0].mac, /^02:/);
      const [ip] = add.json.ips;
      assert.equal(ip.interface, eth0);
      assert.equal(ip.version, version === '0.4.0' ? '4' : undefined);
      assert.deepEqual(addrsOf(name, 'eth0'), [ip.address]);
      // the container reaches its gateway (the bridge, in this test's own namespace)
      assert.equal(inNetns(name, ['ping', '-c', '1', '-W', '2', '10.181.0.1']).code, 0);

      const check = cni('patchbay', 'CHECK', { id: name, netns, ifName: 'eth0', config: conf(version, { prevResult: add.json }) });
      assert.deepEqual([check.code, check.stdout], [0, ''], check.stdout);

      const del = cni('patchbay', 'DEL', { id: name, netns, ifName: 'eth0', config: conf(version, { prevResult: add.json }) });
      assert.deepEqual([del.code, del.stdout], [0, '']);
      assert.equal(sh(['ip', '-n', name, 'link', 'show', 'eth0'], { allowFail: true }).code, 1, 'eth0 is gone');
      assert.ok(existsSync(netns), 'the namespace is the runtime’s and stays');
      assert.ok(!(await attachments()).includes(`${name}/eth0`));
    });
  }

  it('two containers on the network reach each other; DEL twice is success', async () => {
    const a = container('ping-a');
    const b = container('ping-b');
    const addA = cni('patchbay', 'ADD', { id: 'ping-a', netns: a, ifName: 'eth0', config: conf('1.0.0') });
    const addB = cni('patchbay', 'ADD', { id: 'ping-b', netns: b, ifName: 'eth0', config: conf('1.0.0') });
    assert.deepEqual([addA.code, addB.code], [0, 0], addA.stdout + addB.stdout);
    const ipB = addB.json.ips[0].address.split('/')[0];
    assert.equal(inNetns('ping-a', ['ping', '-c', '1', '-W', '2', ipB]).code, 0);
    for (const id of ['ping-a', 'ping-b']) {
      for (let i = 0; i < 2; i++) assert.equal(cni('patchbay', 'DEL', { id, netns: netnsPath(id), ifName: 'eth0', config: conf('1.0.0') }).code, 0);
    }
    assert.deepEqual(await attachments(), []);
  });

  it('DEL after the namespace is gone, and DEL with an empty CNI_NETNS, succeed and free the address', async () => {
    const gone = container('gone');
    const addGone = cni('patchbay', 'ADD', { id: 'gone', netns: gone, ifName: 'eth0', args: 'IgnoreUnknown=1;IP=10.181.0.77', config: conf('1.0.0') });
    assert.equal(addGone.code, 0, addGone.stdout);
    sh(['ip', 'netns', 'delete', 'gone']);
    assert.equal(cni('patchbay', 'DEL', { id: 'gone', netns: gone, ifName: 'eth0', config: conf('1.0.0', { prevResult: addGone.json }) }).code, 0);
    const empty = container('empty');
    assert.equal(cni('patchbay', 'ADD', { id: 'empty', netns: empty, ifName: 'eth0', config: conf('1.0.0') }).code, 0);
    const delEmpty = cni('patchbay', 'DEL', { id: 'empty', netns: '', ifName: 'eth0', config: conf('1.0.0') });
    assert.equal(delEmpty.code, 0, delEmpty.stdout);
    assert.deepEqual(await attachments(), []);
    // the static address of the vanished container is free again
    const again = container('again');
    const re = cni('patchbay', 'ADD', { id: 'again', netns: again, ifName: 'eth0', args: 'IgnoreUnknown=1;IP=10.181.0.77', config: conf('1.0.0') });
    assert.equal(re.code, 0, re.stdout);
    assert.equal(cni('patchbay', 'DEL', { id: 'again', netns: again, ifName: 'eth0', config: conf('1.0.0') }).code, 0);
  });

  it('CHECK fails after the address is removed by hand', () => {
    const netns = container('tamper');
    const add = cni('patchbay', 'ADD', { id: 'tamper', netns, ifName: 'eth0', config: conf('1.0.0') });
    assert.equal(add.code, 0, add.stdout);
    sh(['ip', '-n', 'tamper', 'addr', 'del', add.json.ips[0].address, 'dev', 'eth0']);
    const check = cni('patchbay', 'CHECK', { id: 'tamper', netns, ifName: 'eth0', config: conf('1.0.0', { prevResult: add.json }) });
    assert.equal(check.code, 1);
    assert.equal(check.json.code, 102);
    assert.match(check.json.msg, new RegExp(`address ${add.json.ips[0].address.replace(/\./g, '\\.')} is missing from eth0`));
    assert.equal(cni('patchbay', 'DEL', { id: 'tamper', netns, ifName: 'eth0', config: conf('1.0.0') }).code, 0);
  });

  it('GC keeps the valid attachments only', async () => {
    for (const id of ['gc-1', 'gc-2', 'gc-3']) {
      assert.equal(cni('patchbay', 'ADD', { id, netns: container(id), ifName: 'eth0', config: conf('1.1.0') }).code, 0);
    }
    const gc = cni('patchbay', 'GC', { config: conf('1.1.0', { 'cni.dev/valid-attachments': [{ containerID: 'gc-2', ifname: 'eth0' }] }) });
    assert.deepEqual([gc.code, gc.stdout], [0, '']);
    assert.deepEqual(await attachments(), ['gc-2/eth0']);
    assert.equal(sh(['ip', '-n', 'gc-1', 'link', 'show', 'eth0'], { allowFail: true }).code, 1);
    assert.equal(sh(['ip', '-n', 'gc-2', 'link', 'show', 'eth0']).code, 0);
    assert.equal(cni('patchbay', 'DEL', { id: 'gc-2', netns: netnsPath('gc-2'), ifName: 'eth0', config: conf('1.1.0') }).code, 0);
  });

  it('chains after the reference loopback plugin and before tuning and bandwidth (ADD, CHECK, DEL in reverse)', async () => {
    const netns = container('chain');
    const env = { id: 'chain', netns, ifName: 'eth0' };
    const base = { cniVersion: '1.0.0', name: 'spec' };
    const plugins = [
      { type: 'loopback' },
      { type: 'patchbay', ipam: { subnet: '10.181.0.0/24' } },
      { type: 'tuning', mtu: 1400 },
      { type: 'bandwidth', ingressRate: 8_000_000, ingressBurst: 1_000_000, egressRate: 0, egressBurst: 0 },
    ];
    let prevResult: unknown;
    for (const p of plugins) {
      const r = cni(p.type, 'ADD', { ...env, config: { ...base, ...p, ...(prevResult ? { prevResult } : {}) } });
      assert.equal(r.code, 0, `${p.type} ADD: ${r.stdout}`);
      prevResult = r.json;
    }
    const result = prevResult as { interfaces: { name: string; sandbox?: string }[]; ips: { address: string }[] };
    assert.ok(result.interfaces.some((i) => i.name === 'lo'), 'loopback’s interface is carried through');
    assert.match(sh(['ip', '-n', 'chain', 'link', 'show', 'eth0']).out, /mtu 1400/);
    const hostVeth = result.interfaces.find((i) => !i.sandbox && i.name.startsWith('pbv'));
    assert.ok(hostVeth, JSON.stringify(result.interfaces));
    assert.match(sh(['tc', 'qdisc', 'show', 'dev', hostVeth.name]).out, /tbf/, 'bandwidth shaped the host side patchbay reported');
    for (const p of plugins) {
      const r = cni(p.type, 'CHECK', { ...env, config: { ...base, ...p, prevResult } });
      assert.equal(r.code, 0, `${p.type} CHECK: ${r.stdout}`);
    }
    for (const p of [...plugins].reverse()) {
      const r = cni(p.type, 'DEL', { ...env, config: { ...base, ...p, prevResult } });
      assert.equal(r.code, 0, `${p.type} DEL: ${r.stdout}`);
    }
    assert.deepEqual(await attachments(), []);
  });
});
