import { randomBytes } from 'node:crypto';
import { runSteps, type Kernel, type Step } from '@patchbay/kernel';
import type { DriverContext, DriverDrift, DriverEndpoint, DriverNetwork, DriverSandbox, JoinedEndpoint, NetworkDriver, SandboxView } from '../src/index.js';

/** The world of one driver contract case: fixtures and the contract-only operations the cases compose. */

let seq = 0;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** What a driver owns in the kernel, comparable across re-made links (new index, host-side MACs). */
async function namespaceState(k: Kernel, ref: string | null) {
  const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
  return {
    links: sort((await k.links(ref)).map(({ index: _i, mac, ...l }) => (ref === null ? l : { ...l, mac }))),
    // link-local addresses and their routes are the kernel's own, derived from a link's MAC
    addrs: sort((await k.addresses(ref)).filter((a) => a.scope !== 'link')),
    routes: sort((await k.routes(ref)).filter((r) => !r.dst.startsWith('fe80:'))),
  };
}

/** One network, one sandbox, one endpoint on the driver, and the cleanup of whatever is left. */
export class World {
  readonly net: DriverNetwork;
  readonly ep: DriverEndpoint;
  sb!: DriverSandbox;
  hostIf: string | null = null;
  readonly ifName = 'eth0';
  /** unique per world: names made by a case (e.g. a temporary interface) use it */
  readonly n: number;
  private readonly nsName: string;
  private rootLinksBefore = new Set<string>();

  constructor(
    readonly driver: NetworkDriver,
    readonly ctx: DriverContext,
  ) {
    const n = (this.n = ++seq);
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
    this.rootLinksBefore = new Set((await this.kernel.links(null)).map((l) => l.name));
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
  async state() {
    return { root: await this.rootState(), sandbox: await namespaceState(this.kernel, this.sb.key) };
  }
  rootState() {
    return namespaceState(this.kernel, null);
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
    await this.untilOwnLinksGone();
  }

  /**
   * The kernel destroys a deleted namespace's veth pairs later, in its own time: wait (a bounded
   * while) until none of this world's host-side links is left, so the next world's "before" is
   * not taken while one is still vanishing.
   */
  private async untilOwnLinksGone() {
    const owned = (name: string) => !this.rootLinksBefore.has(name) && (this.driver.ownsLinkName?.(name) ?? false);
    for (let tries = 0; tries < 100; tries++) {
      if (!(await this.kernel.links(null)).some((l) => owned(l.name))) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Run steps as a crash would leave them: in order until one fails, with no undo. True if one failed. */
export async function runUntilCrash(steps: Step[]): Promise<boolean> {
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

/** Every object a create and a join made (links, addresses, default routes; the device set down), as a way to break it; links also set down or (in the sandbox) given another MAC. */
export function breakagesOf(w: World, empty: Awaited<ReturnType<World['state']>>, made: Awaited<ReturnType<World['state']>>): Breakage[] {
  const added = (a: string[], b: string[]) => a.filter((x) => !b.includes(x)).map((x) => JSON.parse(x) as Record<string, string>);
  const out: Breakage[] = [];
  for (const ns of ['root', 'sandbox'] as const) {
    const ref = ns === 'root' ? null : w.sb.key;
    for (const l of added(made[ns].links, empty[ns].links)) {
      out.push({ key: `${ns}: delete link ${w.generic(l.name!)}`, run: () => w.kernel.ip(ref, [{ op: 'link.del', name: l.name! }]) });
      if (l.name === w.driver.hostInterface?.(w.net)) continue; // the device: below
      if (l.up) out.push({ key: `${ns}: set link ${w.generic(l.name!)} down`, run: () => w.kernel.ip(ref, [{ op: 'link.set', name: l.name!, up: false }]) });
      // only a MAC the driver gave (an ipvlan link has its parent's)
      if (ns === 'sandbox' && l.mac?.toLowerCase() === w.ep.mac?.toLowerCase()) out.push({ key: `${ns}: change the MAC of ${w.generic(l.name!)}`, run: () => w.kernel.ip(ref, [{ op: 'link.set', name: l.name!, mac: '02:00:00:00:00:99' }]) });
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

