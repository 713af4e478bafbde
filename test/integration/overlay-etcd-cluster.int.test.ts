// test-timeout: 600000
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sh } from '../helpers/daemon.js';
import { createTestEtcdCluster, type TestEtcdCluster } from '../helpers/etcd.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';
import { connectSimSandbox, createSimHost, createUnderlay, overlayPeersOn, waitFor, type SimHost, type SimSandbox } from '../helpers/multihost.js';

requireIsolatedNamespace();

/**
 * Three simulated hosts on an underlay bridge, each running one member of a real 3-member etcd
 * cluster (its own etcd process in the host's namespaces, on the host's underlay address) and
 * its own patchbayd, which is given all three members with its own first. The etcd leader is
 * found through etcd's status API and killed with SIGKILL by its pid: overlay creates and
 * connects keep working on every host (the host whose own member died fails over to another),
 * sandboxes keep reaching each other and new ones are programmed everywhere, and the hosts'
 * leases survive the election.
 */
const TTL = 3;

describe('overlay networks on a 3-member etcd cluster whose leader is killed', () => {
  let cluster: TestEtcdCluster;
  const hosts: SimHost[] = [];
  const sandboxes: SimSandbox[] = [];
  const ping = (from: (typeof sandboxes)[number], ip: string) => from.host.inSandbox(from.key, ['ping', '-c', '1', '-W', '2', ip], { allowFail: true }).code === 0;
  let netId = '';
  let leader = -1;

  before(async () => {
    createUnderlay();
    for (const i of [1, 2, 3]) hosts.push(await createSimHost(i, () => []));
    cluster = await createTestEtcdCluster(3, { members: hosts.map((h) => ({ host: h.address, prefix: ['nsenter', '-t', String(h.holderPid), '-n', '-m', '--'] })) });
    for (const [i, h] of hosts.entries()) {
      // this host's own member first: whichever member leads, one host loses the member it talks to
      const endpoints = [cluster.endpoints[i]!, ...cluster.endpoints.filter((_, j) => j !== i)];
      h.daemon.args.push('--bridge', 'none', '--dns=false', '--cluster-store', `etcd://${endpoints.join(',')}`, '--cluster-advertise', h.address, '--cluster-lease-ttl', String(TTL));
    }
    await Promise.all(hosts.map((h) => h.daemon.start()));
  });
  after(async () => {
    for (const h of hosts) await h.dispose();
    await cluster?.cleanup();
    sh(['ip', 'link', 'del', 'ul0'], { allowFail: true });
  });

  async function sandboxOn(host: SimHost, name: string, network = 'ov') {
    const sb = await connectSimSandbox(host, name, network);
    sandboxes.push(sb);
    return sb;
  }
  async function allReachEachOther(group: (typeof sandboxes)[number][]) {
    for (const x of group) for (const y of group) if (x !== y) await waitFor(`${x.name} → ${y.name}`, () => ping(x, y.ip) || undefined);
  }

  it('with all members up: an overlay network made on host 1 exists on 2 and 3, and their sandboxes reach each other', async () => {
    const r = await hosts[0]!.daemon.req('POST', '/v1/networks', { name: 'ov', driver: 'overlay', ipam: { config: [{ subnet: '10.70.0.0/24' }] } });
    assert.equal(r.status, 201, r.text);
    netId = r.body.id;
    for (const h of hosts.slice(1)) await waitFor(`ov on host ${h.index}`, async () => ((await h.daemon.req('GET', '/v1/networks/ov')).body?.id === netId) || undefined);
    const group = [];
    for (const h of hosts) group.push(await sandboxOn(h, `a${h.index}`));
    await allReachEachOther(group);
  });

  it('the leader, found through etcd\'s status API, is killed with SIGKILL by its pid; the two others elect a new one', async () => {
    leader = await cluster.leader();
    const pid = cluster.pid(leader);
    assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'etcd', 'the pid is the etcd process itself');
    process.kill(pid, 'SIGKILL');
    await cluster.exited(leader);
    assert.equal(cluster.alive(leader), false);
    const t0 = Date.now();
    const next = await waitFor('a new leader', async () => {
      const l = await cluster.leader().catch(() => -1);
      return l >= 0 && l !== leader ? l : undefined;
    }, 20_000);
    console.log(`# member ${leader} (leader, pid ${pid}) killed; member ${next} leads ${Date.now() - t0} ms later`);
    await assert.rejects(fetch(`http://${cluster.endpoints[leader]}/health`), 'the dead member refuses connections');
  });

  it('global creates work on every host, first on the one whose own member died (its client fails over)', async () => {
    const order = [leader, ...[0, 1, 2].filter((i) => i !== leader)];
    for (const i of order) {
      const h = hosts[i]!;
      const t0 = Date.now();
      const r = await waitFor(`a global create on host ${h.index}`, async () => {
        const x = await h.daemon.req('POST', '/v1/networks', { name: `ok${h.index}`, driver: 'overlay' });
        if (x.status === 503) return undefined; // during the election at most
        assert.equal(x.status, 201, x.text);
        return x;
      }, 20_000);
      assert.equal(r.body.scope, 'global');
      console.log(`# host ${h.index}: global create answered 201 ${Date.now() - t0} ms after the new leader was seen`);
    }
    for (const h of hosts) {
      for (const other of hosts) await waitFor(`ok${other.index} on host ${h.index}`, async () => ((await h.daemon.req('GET', `/v1/networks/ok${other.index}`)).status === 200) || undefined);
    }
  });

  it('connects on every host get distinct addresses and are programmed on the others; old and new sandboxes all reach each other', async () => {
    const fresh = [];
    for (const h of hosts) fresh.push(await sandboxOn(h, `b${h.index}`));
    const all = sandboxes.filter((s) => s.name.startsWith('a') || s.name.startsWith('b'));
    assert.equal(new Set(all.map((s) => s.ip)).size, all.length, 'no address handed out twice');
    for (const h of hosts) {
      const remote = all.filter((s) => s.host !== h).map((s) => s.ip).sort();
      // the watch of the host whose member died resumed on another member too
      await waitFor(`host ${h.index} has every remote peer`, () => JSON.stringify(overlayPeersOn(h, netId)) === JSON.stringify(remote) || undefined);
    }
    await allReachEachOther(all);
    // a connect on a network made after the kill works across hosts as well
    const x = await sandboxOn(hosts[leader]!, 'c1', `ok${hosts[leader]!.index}`);
    const y = await sandboxOn(hosts[(leader + 1) % 3]!, 'c2', `ok${hosts[leader]!.index}`);
    await allReachEachOther([x, y]);
  });

  it('after more than the lease TTL, every host\'s peers are still published: the leases were renewed through the new leader', async () => {
    await new Promise((r) => setTimeout(r, (TTL + 1) * 1000));
    const all = sandboxes.filter((s) => s.name.startsWith('a') || s.name.startsWith('b'));
    for (const h of hosts) assert.deepEqual(overlayPeersOn(h, netId), all.filter((s) => s.host !== h).map((s) => s.ip).sort(), `host ${h.index} kept its peers`);
    const [a1, a2, a3] = all;
    assert.ok(ping(a1!, a2!.ip) && ping(a2!, a3!.ip) && ping(a3!, a1!.ip), 'traffic between all three hosts');
  });
});
