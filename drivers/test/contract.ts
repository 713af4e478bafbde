import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { withFaults, runSteps, type Kernel, type Step } from '@patchbay/kernel';
import {
  RETIRED_LINK_GROUP,
  type DriverContext,
  type DriverDrift,
  type DriverEndpoint,
  type DriverNetwork,
  type DriverSandbox,
  type JoinedEndpoint,
  type NetworkDriver,
  type SandboxView,
} from '../src/index.js';

/**
 * One behaviour for every network driver, on the fake kernel and once on the real one (like the
 * kernel's contract suite). Each case uses only the contract: what a driver declares it does
 * (create, attach + configure, leave, delete, teardown, checks) must leave the kernel as it
 * was, roll back on a fault at any mutation, find what was removed by hand and put it back.
 */

let seq = 0;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** What a driver owns in the kernel, comparable across re-made links (new index, host-side MACs). */
async function kernelState(k: Kernel, sandbox: string) {
  const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
  const space = async (ref: string | null) => ({
    links: sort((await k.links(ref)).map(({ index: _i, mac, ...l }) => (ref === null ? l : { ...l, mac }))),
    // link-local addresses and their routes are the kernel's own, derived from a link's MAC
    addrs: sort((await k.addresses(ref)).filter((a) => a.scope !== 'link')),
    routes: sort((await k.routes(ref)).filter((r) => !r.dst.startsWith('fe80:'))),
  });
  return { root: await space(null), sandbox: await space(sandbox) };
}

/** One network, one sandbox, one endpoint on the driver, and the cleanup of whatever is left. */
class World {
  readonly net: DriverNetwork;
  readonly ep: DriverEndpoint;
  sb!: DriverSandbox;
  hostIf: string | null = null;
  readonly ifName = 'eth0';
  private readonly nsName: string;

  constructor(
    readonly driver: NetworkDriver,
    readonly ctx: DriverContext,
  ) {
    const n = ++seq;
    const third = (process.pid + n) % 250;
    this.net = {
      id: hex(32),
      name: `contract${n}`,
      options: {},
      internal: false,
      isDefault: false,
      ...(driver.usesIpam ? { ipv4: { subnet: `10.78.${third}.0/24`, gateway: `10.78.${third}.1` } } : {}),
      state: {},
    };
    // a MAC of its own: links on one parent (macvlan) may not share one, and a namespace's links outlive it for a moment
    const mac = `02:42:0a:4e:${(n % 256).toString(16).padStart(2, '0')}:02`;
    this.ep = { id: hex(32), ...(driver.usesIpam ? { ipv4: `10.78.${third}.2/24`, mac } : {}) };
    this.nsName = `pbdc-${process.pid % 10000}-${n}`;
  }

  get kernel() {
    return this.ctx.kernel;
  }
  get joined(): JoinedEndpoint {
    return { ...this.ep, hostIf: this.hostIf, ifName: this.driver.planAttach ? this.ifName : null };
  }

  async sandbox() {
    this.sb = { id: hex(32), key: await this.kernel.netnsAdd(this.nsName) };
  }
  /** The container went away: its namespace (and everything in it) is gone. */
  dropSandbox() {
    return this.kernel.netnsDelete(this.nsName);
  }
  /** A name or address of this world with its ids and subnet replaced, so worlds compare. */
  generic(text: string) {
    const subnet = this.net.ipv4?.subnet.split('.').slice(0, 3).join('.');
    const out = text.replaceAll(this.net.id.slice(0, 12), 'NET').replaceAll(this.ep.id.slice(0, 12), 'EP');
    return subnet ? out.replaceAll(subnet, 'SUBNET') : out;
  }
  state() {
    return kernelState(this.kernel, this.sb.key!);
  }

  async createSteps(): Promise<Step[]> {
    const plan = await this.driver.planCreateNetwork?.(this.net, this.ctx);
    if (plan) this.net.state = plan.state;
    return plan?.steps ?? [];
  }
  /** Both halves of a join into the sandbox, as the controller runs them (one step list). */
  joinSteps(isGateway = true): Step[] {
    const attach = this.driver.planAttach?.(this.net, this.ep, { netns: this.sb.key, ifName: this.ifName }, this.ctx);
    this.hostIf = attach?.hostIf ?? null;
    const configure = attach ? (this.driver.planConfigure?.(this.net, this.ep, this.sb, { ifName: this.ifName, isGateway }, this.ctx) ?? []) : [];
    return [...(attach?.steps ?? []), ...configure];
  }
  leaveSteps(): Step[] {
    return this.driver.planLeave?.(this.net, this.joined, this.sb, this.ctx) ?? [];
  }
  deleteSteps(): Step[] {
    return this.driver.planDeleteNetwork?.(this.net, this.ctx) ?? [];
  }
  /** The daemon's reaper: retired links are deleted in one operation. */
  reap() {
    return this.ctx.retiredLinkGroup === undefined ? Promise.resolve() : this.kernel.ip(null, [{ op: 'group.del', group: this.ctx.retiredLinkGroup }], { ignoreMissing: true });
  }
  async created() {
    await runSteps(await this.createSteps());
  }
  async joinedUp() {
    await this.created();
    await runSteps(this.joinSteps());
  }

  /** The controller's repair of lost links: tear down what is left and join again. */
  async rejoin() {
    await this.driver.teardownEndpoint?.(this.net, this.joined, this.sb, this.ctx);
    await this.kernel.ip(this.sb.key, [{ op: 'link.del', name: this.ifName }], { ignoreMissing: true });
    await runSteps(this.joinSteps());
  }
  /** Every drift the driver's checks find, from one look at the kernel (as reconcile does). */
  async drifts(): Promise<DriverDrift[]> {
    const links = await this.kernel.links(null);
    const root = { links: new Map(links.map((l) => [l.name, l])), addresses: await this.kernel.addresses(null) };
    const sandbox: SandboxView = {
      links: () => this.kernel.links(this.sb.key),
      addresses: () => this.kernel.addresses(this.sb.key),
      routes: () => this.kernel.routes(this.sb.key),
    };
    const onNetwork = this.driver.checkNetwork?.(this.net, root, this.ctx) ?? [];
    const onEndpoint = (await this.driver.checkEndpoint?.(this.net, this.joined, this.sb, { root, sandbox, isGateway: true, rejoin: () => this.rejoin() }, this.ctx)) ?? [];
    return [...onNetwork, ...onEndpoint];
  }

  /** Whatever is left goes: the endpoint's links, the network's device, the sandbox. */
  async dispose() {
    // with the sandbox given, a link that lives only there (macvlan) goes now: the kernel frees a
    // deleted namespace's links later, and a next world's link with the same MAC would clash
    await this.driver.teardownEndpoint?.(this.net, this.joined, this.sb, this.ctx).catch(() => undefined);
    const device = this.driver.hostInterface?.(this.net);
    if (device && this.net.state.created !== false) await this.kernel.ip(null, [{ op: 'link.del', name: device }], { ignoreMissing: true }).catch(() => undefined);
    await this.reap().catch(() => undefined);
    await this.kernel.netnsDelete(this.nsName).catch(() => undefined);
  }
}

/** Run steps as a crash would leave them: in order until one fails, with no undo. True if one failed. */
async function runUntilCrash(steps: Step[]): Promise<boolean> {
  for (const step of steps) {
    try {
      await step.run();
    } catch {
      return true;
    }
  }
  return false;
}

type Breakage = { key: string; run(): Promise<void> };

/** Every object a create and a join made (links, addresses, default routes; the device set down), as a way to break it. */
function breakagesOf(w: World, empty: Awaited<ReturnType<World['state']>>, made: Awaited<ReturnType<World['state']>>): Breakage[] {
  const added = (a: string[], b: string[]) => a.filter((x) => !b.includes(x)).map((x) => JSON.parse(x) as Record<string, string>);
  const out: Breakage[] = [];
  for (const ns of ['root', 'sandbox'] as const) {
    const ref = ns === 'root' ? null : w.sb.key;
    for (const l of added(made[ns].links, empty[ns].links)) {
      out.push({ key: `${ns}: delete link ${w.generic(l.name!)}`, run: () => w.kernel.ip(ref, [{ op: 'link.del', name: l.name! }]) });
    }
    for (const a of added(made[ns].addrs, empty[ns].addrs)) {
      out.push({ key: `${ns}: delete ${w.generic(a.cidr!)} from ${w.generic(a.dev!)}`, run: () => w.kernel.ip(ref, [{ op: 'addr.del', dev: a.dev!, cidr: a.cidr! }]) });
    }
    for (const r of added(made[ns].routes, empty[ns].routes).filter((x) => x.dst === 'default')) {
      out.push({ key: `${ns}: delete route ${r.dst}`, run: () => w.kernel.ip(ref, [{ op: 'route.del', dst: r.dst! }]) });
    }
  }
  const device = w.driver.hostInterface?.(w.net);
  if (device) out.push({ key: 'root: set the network device down', run: () => w.kernel.ip(null, [{ op: 'link.set', name: device, up: false }]) });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * `networkOptions`: per driver, the options of the suite's networks (e.g. macvlan's `parent`, a
 * link the caller made); left out, a network has none.
 */
export function driverContract(name: string, drivers: () => NetworkDriver[], makeKernel: () => Kernel, networkOptions: Record<string, Record<string, string>> = {}): void {
  for (const template of drivers()) {
    describe(`driver contract: ${template.name} (${name})`, () => {
      const worlds: World[] = [];
      afterEach(async () => {
        for (const w of worlds.splice(0)) await w.dispose();
      });
      const world = async (kernel: Kernel = makeKernel(), retired = false) => {
        const ctx: DriverContext = { kernel, defaults: { mtu: 1500 }, ...(retired ? { retiredLinkGroup: RETIRED_LINK_GROUP } : {}) };
        const w = new World(drivers().find((d) => d.name === template.name)!, ctx);
        w.net.options = { ...networkOptions[template.name] };
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
        const temp = `pbtmp${seq}`;
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
        const before = (await w.state()).root;
        await runSteps(w.joinSteps());
        await w.dropSandbox();
        await w.driver.teardownEndpoint?.(w.net, w.joined, undefined, w.ctx);
        await w.driver.teardownEndpoint?.(w.net, w.joined, undefined, w.ctx); // already gone: still success
        const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
        const rootNow = {
          links: sort((await w.kernel.links(null)).map(({ index: _i, mac: _m, ...l }) => l)),
          addrs: sort((await w.kernel.addresses(null)).filter((a) => a.scope !== 'link')),
          routes: sort((await w.kernel.routes(null)).filter((r) => !r.dst.startsWith('fe80:'))),
        };
        assert.deepEqual(rootNow, before);
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
