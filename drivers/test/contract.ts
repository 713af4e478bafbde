import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { withFaults, runSteps, type Kernel, type Step } from '@patchbay/kernel';
import { RETIRED_LINK_GROUP, type DriverContext, type NetworkDriver } from '../src/index.js';
import { breakagesOf, runUntilCrash, World } from './world.js';

/**
 * One behaviour for every network driver, on the fake kernel and once on the real one (like the
 * kernel's contract suite). Each case uses only the contract: what a driver declares it does
 * (create, attach + configure, leave, delete, teardown, checks) must leave the kernel as it
 * was, roll back on a fault at any mutation, find what was removed by hand and put it back.
 */

/**
 * `networkOptions`: per driver, the options of the suite's networks (e.g. macvlan's `parent`, a
 * link the caller made); left out, a network has none. `noGateway`: drivers whose networks have
 * no gateway address (ipvlan l3: the parent routes).
 * `context`: what the daemon adds to the drivers' context.
 */
export function driverContract(
  name: string,
  drivers: () => NetworkDriver[],
  makeKernel: () => Kernel,
  networkOptions: Record<string, Record<string, string>> = {},
  noGateway: readonly string[] = [],
  /** what the daemon adds to the drivers' context (a cluster's facts for global-scope drivers) */
  context: Partial<DriverContext> = {},
): void {
  for (const template of drivers()) {
    describe(`driver contract: ${template.name} (${name})`, () => {
      const worlds: World[] = [];
      afterEach(async () => {
        for (const w of worlds.splice(0)) await w.dispose();
      });
      const world = async (kernel: Kernel = makeKernel(), retired = false) => {
        const ctx: DriverContext = { ...context, kernel, defaults: { mtu: 1500 }, ...(retired ? { retiredLinkGroup: RETIRED_LINK_GROUP } : {}) };
        const w = new World(drivers().find((d) => d.name === template.name)!, ctx);
        w.net.options = { ...networkOptions[template.name] };
        if (noGateway.includes(template.name) && w.net.ipv4) w.net.ipv4 = { subnet: w.net.ipv4.subnet };
        worlds.push(w);
        await w.sandbox();
        return w;
      };

      it('declares its scope, and a check of a healthy network and endpoint finds nothing', async () => {
        assert.ok(['local', 'global'].includes(template.scope));
        const w = await world();
        await w.joinedUp();
        assert.deepEqual((await w.drifts()).map((d) => d.kind), []);
      });

      for (const retired of [false, true]) {
        it(`create, join (attach + configure), leave, delete leave the kernel as it was${retired ? ' (leave retires, the reaper deletes)' : ''}`, async () => {
          const w = await world(undefined, retired);
          const before = await w.state();
          await w.created();
          await runSteps(w.joinSteps());
          if (w.driver.planAttach) {
            const inside = (await w.kernel.links(w.sb.key)).find((l) => l.name === w.ifName);
            assert.ok(inside?.up, `${w.ifName} is up in the sandbox`);
            if (w.ep.ipv4) assert.ok((await w.kernel.addresses(w.sb.key)).some((a) => a.dev === w.ifName && a.cidr === w.ep.ipv4));
            if (w.net.ipv4?.gateway) assert.ok((await w.kernel.routes(w.sb.key)).some((r) => r.dst === 'default' && r.gateway === w.net.ipv4!.gateway));
            // the default routes the driver declares (via a gateway, or through the device)
            const routes = await w.kernel.routes(w.sb.key);
            for (const op of w.driver.gatewayOps?.(w.net, w.ifName) ?? []) {
              if (op.op !== 'route.add') continue;
              assert.ok(routes.some((r) => r.dst === op.dst && r.gateway === op.via && r.dev === op.dev), `route ${op.dst} ${op.via ?? ''} dev ${op.dev} in the sandbox`);
            }
          }
          const host = w.driver.hostInterface?.(w.net);
          if (host && w.hostIf) assert.equal((await w.kernel.link(null, w.hostIf))?.master, host, 'the host side is on the network device');
          await runSteps(w.leaveSteps());
          await runSteps(w.deleteSteps());
          await w.reap();
          assert.deepEqual(await w.state(), before);
        });
      }

      it('attach alone into the host namespace (Docker plugin Join): the container side waits there unconfigured; leave removes both', async () => {
        const w = await world();
        await w.created();
        const before = await w.state();
        const temp = `pbtmp${w.n}`;
        const plan = w.driver.planAttach?.(w.net, w.ep, { netns: null, ifName: temp }, w.ctx);
        if (!plan) return;
        await runSteps(plan.steps);
        const peer = await w.kernel.link(null, temp);
        assert.ok(peer, 'the container side is in the host namespace under the temporary name');
        assert.equal(peer.up, false, 'nothing configured it');
        assert.deepEqual((await w.kernel.addresses(null)).filter((a) => a.dev === temp && a.scope !== 'link'), []);
        assert.deepEqual(await w.kernel.links(w.sb.key).then((ls) => ls.map((l) => l.name)), ['lo'], 'the sandbox is untouched');
        await runSteps(w.driver.planLeave?.(w.net, { ...w.ep, hostIf: plan.hostIf, ifName: temp }, undefined, w.ctx) ?? []);
        assert.deepEqual(await w.state(), before);
      });

      const operations: { op: string; setup(w: World): Promise<void>; steps(w: World): Promise<Step[]> }[] = [
        { op: 'create', setup: async () => {}, steps: (w) => w.createSteps() },
        { op: 'join', setup: (w) => w.created(), steps: async (w) => w.joinSteps() },
        { op: 'leave', setup: (w) => w.joinedUp(), steps: async (w) => w.leaveSteps() },
        { op: 'delete', setup: (w) => w.created(), steps: async (w) => w.deleteSteps() },
      ];
      for (const { op, setup, steps } of operations) {
        it(`${op}: a fault at every mutation leaves the kernel as before`, async () => {
          for (let n = 1; ; n++) {
            const faulty = withFaults(makeKernel());
            const w = await world(faulty.kernel);
            await setup(w);
            const before = await w.state();
            faulty.failAt(faulty.mutations() + n);
            const planned = await steps(w);
            const failed = await runSteps(planned).then(
              () => false,
              () => true,
            );
            if (!failed) break;
            assert.deepEqual(await w.state(), before, `${op}, fault at mutation ${n}`);
            await w.dispose();
          }
        });
      }

      it('teardownEndpoint after a crash at each point of a join leaves nothing of the join', async () => {
        const counter = withFaults(makeKernel());
        const probe = await world(counter.kernel);
        await probe.created();
        const start = counter.mutations();
        await runSteps(probe.joinSteps());
        const mutations = counter.mutations() - start;
        await probe.dispose();
        // a crash before each mutation of the join, and one after the last
        for (let n = 1; n <= mutations + 1; n++) {
          const faulty = withFaults(makeKernel());
          const w = await world(faulty.kernel);
          await w.created();
          const before = await w.state();
          if (n <= mutations) faulty.failAt(faulty.mutations() + n);
          assert.equal(await runUntilCrash(w.joinSteps()), n <= mutations);
          await w.driver.teardownEndpoint?.(w.net, w.joined, w.sb, w.ctx);
          assert.deepEqual(await w.state(), before, `crash before mutation ${n} of the join`);
          await w.dispose();
        }
      });

      it('teardownEndpoint after the sandbox vanished leaves nothing of the join on the host', async () => {
        const w = await world();
        await w.created();
        const before = await w.rootState();
        await runSteps(w.joinSteps());
        await w.dropSandbox();
        await w.driver.teardownEndpoint?.(w.net, w.joined, undefined, w.ctx);
        await w.driver.teardownEndpoint?.(w.net, w.joined, undefined, w.ctx); // already gone: still success
        assert.deepEqual(await w.rootState(), before);
      });

      it('drift: each object a create and a join made, removed by hand, is found and repaired', async () => {
        if (!template.checkNetwork && !template.checkEndpoint) return;
        const probe = await world();
        const empty = await probe.state();
        await probe.joinedUp();
        const keys = breakagesOf(probe, empty, await probe.state()).map((b) => b.key);
        assert.ok(keys.length > 0, 'the join made something to break');
        for (const [i, key] of keys.entries()) {
          const w = await world();
          const before = await w.state();
          await w.joinedUp();
          const healthy = await w.state();
          const breakage = breakagesOf(w, before, healthy)[i]!;
          assert.equal(breakage.key, key);
          await breakage.run();
          assert.notDeepEqual(await w.state(), healthy, `${key}: the test broke something`);
          const drifts = await w.drifts();
          assert.ok(drifts.length > 0, `${key}: found`);
          for (const d of drifts) await d.repair();
          assert.deepEqual(await w.state(), healthy, `${key}: repaired (${drifts.map((d) => d.kind).join(', ')})`);
          assert.deepEqual((await w.drifts()).map((d) => d.kind), [], `${key}: consistent after the repair`);
          await w.dispose();
        }
      });
    });
  }
}
