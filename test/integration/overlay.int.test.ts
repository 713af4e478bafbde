import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sh } from '../helpers/daemon.js';
import { createTestEtcd, type TestEtcd } from '../helpers/etcd.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';
import { connectSimSandbox, createSimHost, createUnderlay, overlayPeersOn, UNDERLAY_GATEWAY, waitFor, type SimHost, type SimSandbox } from '../helpers/multihost.js';

requireIsolatedNamespace();

/**
 * Three simulated hosts (each its own network and mount namespace and its own patchbayd) on an
 * underlay bridge, etcd on the underlay: overlay networks made on one host exist on all, their
 * sandboxes reach each other over VXLAN, and the cluster's failures behave.
 */
const TTL = 3;
const DOCKER = process.env.PB_DOCKER_CLI ?? '/usr/local/bin/docker';
const ipOf = (cidr: string) => cidr.split('/')[0]!;

describe('overlay networks across three hosts on etcd', () => {
  let etcd: TestEtcd;
  const hosts: SimHost[] = [];
  const sandboxes: SimSandbox[] = [];
  const [h1, h2, h3] = [0, 1, 2].map((i) => () => hosts[i]!);
  const ping = (host: SimHost, key: string, ip: string, extra: string[] = []) => host.inSandbox(key, ['ping', '-c', '1', '-W', '2', ...extra, ip], { allowFail: true });
  const reaches = (from: (typeof sandboxes)[number], to: (typeof sandboxes)[number]) => ping(from.host, from.key, to.ip).code === 0;
  const peersOn = overlayPeersOn;

  before(async () => {
    createUnderlay();
    etcd = await createTestEtcd({ host: UNDERLAY_GATEWAY });
    for (const i of [1, 2, 3]) {
      hosts.push(
        await createSimHost(i, (address) => ['--bridge', 'none', '--dns=false', '--cluster-store', `etcd://${etcd.endpoint}`, '--cluster-advertise', address, '--cluster-lease-ttl', String(TTL)]),
      );
    }
    await Promise.all(hosts.map((h) => h.daemon.start()));
  });
  after(async () => {
    for (const h of hosts) await h.dispose();
    await etcd?.cleanup();
    sh(['ip', 'link', 'del', 'ul0'], { allowFail: true });
  });

  let netId = '';
  async function sandboxOn(host: SimHost, name: string, network = 'ov') {
    const sb = await connectSimSandbox(host, name, network);
    sandboxes.push(sb);
    return sb;
  }

  it('a network created on host 1 exists on hosts 2 and 3 (same id, scope global, a vxlan on VNI ≥ 4096, MTU 1450)', async () => {
    const r = await h1().daemon.req('POST', '/v1/networks', { name: 'ov', driver: 'overlay', ipam: { config: [{ subnet: '10.77.0.0/24' }] } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body.scope, 'global');
    netId = r.body.id;
    for (const h of [h2(), h3()]) {
      const seen = await waitFor(`ov on host ${h.index}`, async () => {
        const g = await h.daemon.req('GET', '/v1/networks/ov');
        return g.status === 200 ? g.body : undefined;
      });
      assert.equal(seen.id, netId);
      assert.equal(seen.scope, 'global');
      assert.deepEqual(seen.ipam.config, [{ subnet: '10.77.0.0/24', gateway: '10.77.0.1' }]);
    }
    for (const h of hosts) {
      const link = JSON.parse(h.run(['ip', '-json', '-details', 'link', 'show', `pbx${netId.slice(0, 12)}`]).out)[0];
      assert.equal(link.linkinfo.info_kind, 'vxlan');
      assert.equal(link.linkinfo.info_data.port, 4789);
      assert.equal(link.linkinfo.info_data.local, h.address);
      assert.equal(link.linkinfo.info_data.learning, false);
      assert.equal(link.linkinfo.info_data.proxy, true);
      assert.ok(link.linkinfo.info_data.id >= 4096);
      assert.equal(link.mtu, 1450);
    }
  });

  it('the same name again, on any host, is refused with 409', async () => {
    const r = await h3().daemon.req('POST', '/v1/networks', { name: 'ov', driver: 'overlay' });
    assert.equal(r.status, 409, r.text);
  });

  it('sandboxes on all three hosts reach each other; the peers are programmed on the others', async () => {
    const t0 = Date.now();
    const [a, b, c] = [await sandboxOn(h1(), 's1'), await sandboxOn(h2(), 's2'), await sandboxOn(h3(), 's3')];
    await waitFor('c reaches a', () => reaches(c, a) || undefined);
    console.log(`# from the first connect until the last host reaches the first: ${Date.now() - t0} ms`);
    for (const [x, y] of [[a, b], [a, c], [b, a], [b, c], [c, a], [c, b]] as const) assert.ok(reaches(x, y), `${x.name} → ${y.name}`);
    assert.deepEqual(peersOn(h1(), netId), [b.ip, c.ip].sort(), 'host 1 has its two remote peers, not its own');
    assert.equal(JSON.parse(a.host.inSandbox(a.key, ['ip', '-json', 'link', 'show', 'eth0']).out)[0].mtu, 1450, 'containers get the overlay MTU');
  });

  it('a 1450-byte don\'t-fragment ping passes; a 1451-byte one is refused with "message too long"', () => {
    const [a, b] = sandboxes;
    // ping's -s is the ICMP payload: 1422 + 8 (ICMP) + 20 (IPv4) = 1450 bytes on the wire
    assert.equal(ping(a!.host, a!.key, b!.ip, ['-M', 'do', '-s', '1422']).code, 0, '1450 bytes pass');
    const big = ping(a!.host, a!.key, b!.ip, ['-M', 'do', '-s', '1423']);
    assert.notEqual(big.code, 0);
    assert.match(big.out + big.err, /message too long/i);
  });

  it('60 concurrent connects per host give 180 distinct addresses', async () => {
    const per = 60;
    await Promise.all(
      hosts.map(async (h) => {
        for (let i = 0; i < per; i++) assert.equal((await h.daemon.req('POST', '/v1/sandboxes', { name: `c${h.index}-${i}` })).status, 201);
      }),
    );
    try {
      const t0 = Date.now();
      const results = await Promise.all(hosts.flatMap((h) => Array.from({ length: per }, (_, i) => h.daemon.req('POST', '/v1/networks/ov/connect', { sandbox: `c${h.index}-${i}` }))));
      console.log(`# ${results.length} concurrent connects on 3 hosts: ${Date.now() - t0} ms`);
      for (const r of results) assert.equal(r.status, 201, r.text);
      const addresses = results.map((r) => ipOf(r.body.ipv4Address));
      assert.equal(new Set(addresses).size, 3 * per, 'no address handed out twice');
      assert.ok(!addresses.some((a) => sandboxes.some((s) => s.ip === a) || a === '10.77.0.1'));
    } finally {
      // they go again, freeing their addresses everywhere
      await Promise.all(
        hosts.flatMap((h) => Array.from({ length: per }, (_, i) => h.daemon.req('DELETE', `/v1/sandboxes/c${h.index}-${i}`).then((r) => assert.equal(r.status, 204, r.text)))),
      );
    }
  });

  it('a host whose daemon is killed and whose link is cut loses its peers on the others after the lease TTL; the rest keep talking; restarted, it rejoins', async () => {
    const [a, b, c] = sandboxes as [(typeof sandboxes)[number], (typeof sandboxes)[number], (typeof sandboxes)[number]];
    await h3().daemon.stop('SIGKILL');
    sh(['ip', 'link', 'set', h3().uplink, 'down']);
    const t0 = Date.now();
    await waitFor('host 3 peers gone on host 1 and 2', () => (!peersOn(h1(), netId).includes(c.ip) && !peersOn(h2(), netId).includes(c.ip)) || undefined, (TTL + 5) * 1000);
    const dropped = Date.now() - t0;
    console.log(`# host 3's peers dropped after ${dropped} ms (lease TTL ${TTL} s)`);
    assert.ok(dropped <= (TTL + 2) * 1000, `dropped within the TTL (+ etcd's expiry tick): ${dropped} ms`);
    assert.ok(reaches(a, b) && reaches(b, a), 'hosts 1 and 2 still talk');

    sh(['ip', 'link', 'set', h3().uplink, 'up']);
    await h3().daemon.start();
    const t1 = Date.now();
    await waitFor('host 1 reaches host 3 again', () => reaches(a, c) || undefined, 20_000);
    console.log(`# host 3 reachable again ${Date.now() - t1} ms after its restarted daemon answered`);
    assert.ok(reaches(c, b), 'host 3 → host 2');
  });

  it('etcd stopped: traffic goes on and the entries stay; a global create gets a clear 503; a local bridge network works', async () => {
    const [a, b, c] = sandboxes as [(typeof sandboxes)[number], (typeof sandboxes)[number], (typeof sandboxes)[number]];
    const before = peersOn(h1(), netId);
    await etcd.stop('SIGKILL');
    const t0 = Date.now();
    const r = await h2().daemon.req('POST', '/v1/networks', { name: 'ov2', driver: 'overlay' });
    const took = Date.now() - t0;
    assert.equal(r.status, 503, r.text);
    assert.equal(r.body.code, 'PB_ERR_CLUSTER_UNAVAILABLE');
    assert.match(r.body.message, /cluster store \(etcd\) is unavailable/);
    assert.ok(took < 5000, `refused fast (${took} ms)`);
    const connect = await h1().daemon.req('POST', '/v1/sandboxes', { name: 'late' });
    assert.equal(connect.status, 201);
    assert.equal((await h1().daemon.req('POST', '/v1/networks/ov/connect', { sandbox: 'late' })).status, 503, 'a global connect needs etcd too');
    const local = await h1().daemon.req('POST', '/v1/networks', { name: 'loc', driver: 'bridge', ipam: { config: [{ subnet: '10.88.0.0/24' }] } });
    assert.equal(local.status, 201, local.text);
    assert.equal((await h1().daemon.req('POST', '/v1/networks/loc/connect', { sandbox: 'late' })).status, 201);
    await new Promise((res) => setTimeout(res, (TTL + 1) * 1000));
    for (const [x, y] of [[a, b], [b, c], [c, a]] as const) assert.ok(reaches(x, y), `${x.name} → ${y.name} without etcd`);
    assert.deepEqual(peersOn(h1(), netId), before, 'the kernel entries stay');
  });

  it('etcd back: global operations resume, nothing is duplicated, a new sandbox is reachable from the others', async () => {
    await etcd.start();
    const t0 = Date.now();
    const r = await waitFor('a global create', async () => {
      const x = await h2().daemon.req('POST', '/v1/networks', { name: 'ov2', driver: 'overlay' });
      return x.status === 201 ? x : undefined;
    });
    console.log(`# global create works again ${Date.now() - t0} ms after etcd started`);
    await waitFor('ov2 on host 1', async () => ((await h1().daemon.req('GET', '/v1/networks/ov2')).status === 200) || undefined);
    assert.equal(r.body.scope, 'global');
    const joined = await h1().daemon.req('POST', '/v1/networks/ov/connect', { sandbox: 'late' });
    assert.equal(joined.status, 201, joined.text);
    const lateIp = ipOf(joined.body.ipv4Address);
    const b = sandboxes[1]!;
    const t1 = Date.now();
    await waitFor('host 2 reaches the new sandbox', () => ping(b.host, b.key, lateIp).code === 0 || undefined);
    console.log(`# a sandbox connected after etcd's return is reachable from host 2 in ${Date.now() - t1} ms`);
    const entries = peersOn(h2(), netId);
    assert.equal(entries.filter((ip) => ip === lateIp).length, 1, 'one entry per peer');
    assert.equal(new Set(entries).size, entries.length, 'nothing duplicated');
  });

  it('figures: attach on overlay against bridge, and connect → programmed on another host (median, p99)', async () => {
    const n = 20;
    const pct = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
    assert.equal((await h2().daemon.req('POST', '/v1/networks', { name: 'lb', driver: 'bridge', ipam: { config: [{ subnet: '10.89.0.0/24' }] } })).status, 201);
    const attach: Record<string, number[]> = { ov: [], lb: [] };
    const converge: number[] = [];
    let lastIp = '';
    for (let i = 0; i < n; i++) {
      for (const net of ['ov', 'lb']) {
        const name = `f-${net}-${i}`;
        assert.equal((await h2().daemon.req('POST', '/v1/sandboxes', { name })).status, 201);
        const t0 = performance.now();
        const r = await h2().daemon.req('POST', `/v1/networks/${net}/connect`, { sandbox: name });
        attach[net]!.push(performance.now() - t0);
        assert.equal(r.status, 201, r.text);
        if (net !== 'ov') continue;
        const ip = ipOf(r.body.ipv4Address);
        lastIp = ip;
        const t1 = performance.now();
        await waitFor(`${ip} programmed on host 1`, () => peersOn(h1(), netId).includes(ip) || undefined);
        converge.push(performance.now() - t1);
      }
    }
    const fmt = (xs: number[]) => `median ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms (n=${xs.length})`;
    console.log(`# connect on overlay: ${fmt(attach.ov!)}; on bridge: ${fmt(attach.lb!)}`);
    console.log(`# connect on host 2 → programmed on host 1: ${fmt(converge)} (polling ip neigh, ~10 ms resolution)`);
    const last = sandboxes[0]!;
    assert.equal(ping(last.host, last.key, lastIp).code, 0, 'programmed means reachable');
    for (let i = 0; i < n; i++) for (const net of ['ov', 'lb']) assert.equal((await h2().daemon.req('DELETE', `/v1/sandboxes/f-${net}-${i}`)).status, 204);
  });

  it('the docker CLI creates an overlay network through the Docker API; inspect on another host shows Scope global', async () => {
    const cfg = mkdtempSync(join(tmpdir(), 'pb-docker-'));
    const docker = (h: SimHost, ...args: string[]) => {
      const r = spawnSync(DOCKER, args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${h.daemon.socket}`, DOCKER_CONFIG: cfg, DOCKER_CLI_HINTS: 'false' }, timeout: 60_000 });
      assert.equal(r.status, 0, `docker ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const id = docker(h1(), 'network', 'create', '-d', 'overlay', '--subnet', '10.79.0.0/24', 'dov');
    assert.match(id, /^[0-9a-f]{64}$/);
    await waitFor('dov on host 3', async () => ((await h3().daemon.req('GET', '/v1/networks/dov')).status === 200) || undefined);
    assert.equal(docker(h3(), 'network', 'inspect', '-f', '{{.Scope}} {{.Driver}} {{(index .IPAM.Config 0).Subnet}}', 'dov'), 'global overlay 10.79.0.0/24');
    assert.match(docker(h2(), 'network', 'ls', '--filter', 'driver=overlay', '--format', '{{.Name}} {{.Scope}}'), /dov global/);
    docker(h2(), 'network', 'rm', 'dov');
    await waitFor('dov gone on host 1', async () => ((await h1().daemon.req('GET', '/v1/networks/dov')).status === 404) || undefined);
  });
});
