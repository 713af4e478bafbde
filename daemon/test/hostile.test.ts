import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/native-app.js';

let t: TestApp;

type Method = 'GET' | 'POST' | 'DELETE';
interface Bad {
  what: string;
  method: Method;
  url: string;
  /** an object is sent as JSON; a string is sent verbatim as application/json */
  body?: unknown;
  /** the error message must match this (names the field) */
  names: RegExp;
  /** acceptable statuses besides 400 */
  status?: number[];
}

async function send(method: Method, url: string, body?: unknown) {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const r = await t.app.inject({ method, url, ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }) });
  let parsed: { message?: string; code?: string } | undefined;
  try {
    parsed = r.body ? JSON.parse(r.body) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.statusCode, body: parsed, text: r.body };
}

/** Everything the API shows; a refused request must leave it untouched. */
async function snapshot() {
  const get = async (url: string) => (await send('GET', url)).body;
  const networks = (await get('/v1/networks')) as unknown as { name: string; driver: string }[];
  const ipam: Record<string, unknown> = {};
  for (const n of networks) if (n.driver === 'bridge') ipam[n.name] = await get(`/v1/networks/${n.name}/ipam`);
  return { networks, sandboxes: await get('/v1/sandboxes'), endpoints: await get('/v1/endpoints'), ipam, links: await t.kernel.links(null), netns: await t.kernel.netnsList() };
}

const net = (extra: Record<string, unknown>) => ({ name: 'hostile-net', ...extra });
const pool = (cfg: Record<string, unknown>) => net({ ipam: { config: [cfg] } });
const port = (p: Record<string, unknown>) => ({ sandbox: 's0', ports: [{ containerPort: 80, ...p }] });
const MTU = 'com.docker.network.driver.mtu';

const table: Bad[] = [
  // malformed bodies
  { what: 'invalid JSON', method: 'POST', url: '/v1/networks', body: '{"name": ', names: /JSON/ },
  { what: 'JSON array body', method: 'POST', url: '/v1/networks', body: '[]', names: /body/ },
  { what: 'JSON string body', method: 'POST', url: '/v1/sandboxes', body: '"x"', names: /body/ },
  { what: 'JSON null body on connect', method: 'POST', url: '/v1/networks/bridge/connect', body: 'null', names: /sandbox/ },
  { what: 'oversized body', method: 'POST', url: '/v1/networks', body: JSON.stringify({ name: 'big', labels: { a: 'x'.repeat(1024 * 1024 + 10) } }), names: /.+/, status: [413] },
  // networks: types, unknown fields, names
  { what: 'network without name', method: 'POST', url: '/v1/networks', body: {}, names: /name/ },
  { what: 'network name a number', method: 'POST', url: '/v1/networks', body: { name: 42 }, names: /name/ },
  { what: 'network name with ;', method: 'POST', url: '/v1/networks', body: { name: 'x;rm -rf /' }, names: /name/ },
  { what: 'network name with $()', method: 'POST', url: '/v1/networks', body: { name: '$(reboot)' }, names: /name/ },
  { what: 'network name with backticks', method: 'POST', url: '/v1/networks', body: { name: '`id`' }, names: /name/ },
  { what: 'network name with | and space', method: 'POST', url: '/v1/networks', body: { name: 'a | b' }, names: /name/ },
  { what: 'network name starting with -', method: 'POST', url: '/v1/networks', body: { name: '-rf' }, names: /name/ },
  { what: 'network name too long', method: 'POST', url: '/v1/networks', body: { name: 'n'.repeat(65) }, names: /name/ },
  { what: 'network name with newline', method: 'POST', url: '/v1/networks', body: { name: 'a\nb' }, names: /name/ },
  { what: 'unknown top-level field', method: 'POST', url: '/v1/networks', body: net({ bogus: 1 }), names: /bogus/ },
  { what: 'unknown driver', method: 'POST', url: '/v1/networks', body: net({ driver: 'overlay' }), names: /driver/ },
  { what: 'internal not a boolean', method: 'POST', url: '/v1/networks', body: net({ internal: 'yes' }), names: /internal/ },
  { what: 'labels not a map of strings', method: 'POST', url: '/v1/networks', body: net({ labels: { a: 1 } }), names: /labels/ },
  { what: 'ipam.config not an array', method: 'POST', url: '/v1/networks', body: net({ ipam: { config: {} } }), names: /config/ },
  { what: 'unknown field in an ipam pool', method: 'POST', url: '/v1/networks', body: pool({ subnet: '10.140.0.0/24', mask: 1 }), names: /mask/ },
  // subnets
  { what: '/0 subnet', method: 'POST', url: '/v1/networks', body: pool({ subnet: '0.0.0.0/0' }), names: /subnet/ },
  { what: '/32 subnet', method: 'POST', url: '/v1/networks', body: pool({ subnet: '10.140.0.1/32' }), names: /subnet/ },
  { what: 'subnet without prefix', method: 'POST', url: '/v1/networks', body: pool({ subnet: '10.140.0.0' }), names: /subnet/ },
  { what: 'subnet prefix 33', method: 'POST', url: '/v1/networks', body: pool({ subnet: '10.140.0.0/33' }), names: /subnet/ },
  { what: 'subnet not an address', method: 'POST', url: '/v1/networks', body: pool({ subnet: 'hello/24' }), names: /subnet/ },
  { what: 'gateway outside the subnet', method: 'POST', url: '/v1/networks', body: pool({ subnet: '10.140.0.0/24', gateway: '10.141.0.1' }), names: /gateway/ },
  { what: 'IPv6 gateway in an IPv4 subnet', method: 'POST', url: '/v1/networks', body: pool({ subnet: '10.140.0.0/24', gateway: 'fd00::1' }), names: /gateway/ },
  { what: 'ipRange outside the subnet', method: 'POST', url: '/v1/networks', body: pool({ subnet: '10.140.0.0/24', ipRange: '10.150.0.0/25' }), names: /ipRange|range/ },
  // driver options
  { what: 'MTU too small', method: 'POST', url: '/v1/networks', body: net({ options: { [MTU]: '10' } }), names: /mtu/ },
  { what: 'MTU too large', method: 'POST', url: '/v1/networks', body: net({ options: { [MTU]: '70000' } }), names: /mtu/ },
  { what: 'MTU not a number', method: 'POST', url: '/v1/networks', body: net({ options: { [MTU]: '1500; reboot' } }), names: /mtu/ },
  { what: 'bridge name with shell metacharacters', method: 'POST', url: '/v1/networks', body: net({ options: { 'com.docker.network.bridge.name': 'br$(id)' } }), names: /bridge\.name/ },
  // sandboxes
  { what: 'sandbox name with &&', method: 'POST', url: '/v1/sandboxes', body: { name: 'a&&b' }, names: /name/ },
  { what: 'containerId with /', method: 'POST', url: '/v1/sandboxes', body: { containerId: '../x' }, names: /containerId/ },
  { what: 'unknown sandbox field', method: 'POST', url: '/v1/sandboxes', body: { name: 'ok', privileged: true }, names: /privileged/ },
  { what: 'netnsPath relative', method: 'POST', url: '/v1/sandboxes', body: { netnsPath: 'run/netns/x' }, names: /netnsPath/ },
  { what: 'netnsPath traversal', method: 'POST', url: '/v1/sandboxes', body: { netnsPath: '/run/netns/../../etc/passwd' }, names: /netnsPath/ },
  { what: 'netnsPath /etc/passwd', method: 'POST', url: '/v1/sandboxes', body: { netnsPath: '/etc/passwd' }, names: /netnsPath/ },
  { what: 'netnsPath a mount namespace', method: 'POST', url: '/v1/sandboxes', body: { netnsPath: '/proc/self/ns/mnt' }, names: /netnsPath/ },
  { what: 'netnsPath a directory', method: 'POST', url: '/v1/sandboxes', body: { netnsPath: '/tmp' }, names: /netnsPath/ },
  { what: 'netnsPath missing file', method: 'POST', url: '/v1/sandboxes', body: { netnsPath: '/run/netns/does-not-exist' }, names: /netnsPath/ },
  { what: 'netnsPath with NUL', method: 'POST', url: '/v1/sandboxes', body: { netnsPath: '/run/netns/a\u0000b' }, names: /netnsPath/ },
  { what: 'netnsPath a number', method: 'POST', url: '/v1/sandboxes', body: { netnsPath: 7 }, names: /netnsPath/ },
  // connect / disconnect / endpoints
  { what: 'connect without sandbox', method: 'POST', url: '/v1/networks/bridge/connect', body: {}, names: /sandbox/ },
  { what: 'connect with IPv6 in ipv4Address', method: 'POST', url: '/v1/networks/bridge/connect', body: { sandbox: 's0', ipv4Address: 'fd00::5' }, names: /ipv4Address/ },
  { what: 'connect with IPv4 in ipv6Address', method: 'POST', url: '/v1/networks/bridge/connect', body: { sandbox: 's0', ipv6Address: '10.0.0.1' }, names: /ipv6Address/ },
  { what: 'connect with a multicast MAC', method: 'POST', url: '/v1/networks/bridge/connect', body: { sandbox: 's0', macAddress: '01:00:5e:00:00:01' }, names: /macAddress/ },
  { what: 'connect with a malformed MAC', method: 'POST', url: '/v1/networks/bridge/connect', body: { sandbox: 's0', macAddress: 'zz:zz' }, names: /macAddress/ },
  { what: 'host port 65536', method: 'POST', url: '/v1/networks/bridge/connect', body: port({ hostPort: 65536 }), names: /hostPort/ },
  { what: 'host port negative', method: 'POST', url: '/v1/networks/bridge/connect', body: port({ hostPort: -1 }), names: /hostPort/ },
  { what: 'container port 0', method: 'POST', url: '/v1/networks/bridge/connect', body: port({ containerPort: 0 }), names: /containerPort/ },
  { what: 'container port a string', method: 'POST', url: '/v1/networks/bridge/connect', body: port({ containerPort: '80' }), names: /containerPort/ },
  { what: 'port fraction', method: 'POST', url: '/v1/networks/bridge/connect', body: port({ hostPort: 80.5 }), names: /hostPort/ },
  { what: 'unknown protocol', method: 'POST', url: '/v1/networks/bridge/connect', body: port({ protocol: 'icmp' }), names: /protocol/ },
  { what: 'hostIp not an address', method: 'POST', url: '/v1/networks/bridge/connect', body: port({ hostIp: '0.0.0.0; id' }), names: /hostIp/ },
  { what: 'alias with shell metacharacters', method: 'POST', url: '/v1/networks/bridge/connect', body: { sandbox: 's0', aliases: ['a>b'] }, names: /aliases/ },
  { what: 'disconnect force not boolean', method: 'POST', url: '/v1/networks/bridge/disconnect', body: { sandbox: 's0', force: 1 }, names: /force/ },
  { what: 'disconnect unknown field', method: 'POST', url: '/v1/networks/bridge/disconnect', body: { sandbox: 's0', all: true }, names: /all/ },
  { what: 'endpoint name with quotes', method: 'POST', url: '/v1/networks/bridge/endpoints', body: { name: '"ep"' }, names: /name/ },
  { what: 'endpoint ipv4Address out of range', method: 'POST', url: '/v1/networks/bridge/endpoints', body: { name: 'ep1', ipv4Address: '10.99.0.5' }, names: /10\.99\.0\.5|address/ },
  { what: 'join without sandbox', method: 'POST', url: '/v1/networks/bridge/endpoints/whatever/join', body: { sbx: 'a' }, names: /sandbox|sbx/ },
  { what: 'endpoint path too long', method: 'GET', url: `/v1/networks/bridge/endpoints/${'e'.repeat(200)}`, names: /e{50}/, status: [414] },
  { what: 'network id path too long', method: 'DELETE', url: `/v1/networks/${'n'.repeat(200)}`, names: /n{50}/, status: [414] },
  // system
  { what: 'reconcile dryRun=maybe', method: 'POST', url: '/v1/system/reconcile?dryRun=maybe', names: /dryRun/ },
  { what: 'reconcile unknown query', method: 'POST', url: '/v1/system/reconcile?force=1', names: /force/ },
];

describe('hostile input (fake kernel)', () => {
  before(async () => {
    t = await buildTestApp();
    assert.equal((await send('POST', '/v1/sandboxes', { name: 's0' })).status, 201);
  });
  after(() => t.close());

  it(`a table of ${table.length} bad requests: each a 4xx naming the field, nothing changes`, async () => {
    assert.ok(table.length >= 40);
    const before = await snapshot();
    const wrong: string[] = [];
    for (const c of table) {
      const r = await send(c.method, c.url, c.body);
      const ok = [400, ...(c.status ?? [])];
      if (!ok.includes(r.status)) wrong.push(`${c.what}: status ${r.status} ${r.text.slice(0, 200)}`);
      else if (typeof r.body?.message !== 'string' || !c.names.test(r.body.message)) wrong.push(`${c.what}: message ${r.text.slice(0, 200)} does not match ${c.names}`);
      assert.deepEqual(await snapshot(), before, `${c.what}: nothing changed`);
    }
    assert.deepEqual(wrong, []);
    assert.equal((await send('GET', '/v1/health')).status, 200);
  });

  it('a seeded random generator of mutated bodies never gets a 5xx', async () => {
    const rnd = mulberry32(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const valid: { method: Method; url: string; body: Record<string, unknown> }[] = [
      { method: 'POST', url: '/v1/networks', body: { name: 'rn', ipam: { config: [{ subnet: '10.170.0.0/24', gateway: '10.170.0.1' }] }, options: { [MTU]: '1400' }, labels: { a: 'b' } } },
      { method: 'POST', url: '/v1/sandboxes', body: { name: 'rs', containerId: 'c1' } },
      { method: 'POST', url: '/v1/networks/bridge/connect', body: { sandbox: 's0', name: 'rc', ipv4Address: '10.200.0.50', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }], aliases: ['x'] } },
      { method: 'POST', url: '/v1/networks/bridge/disconnect', body: { sandbox: 's0', force: false } },
      { method: 'POST', url: '/v1/networks/bridge/endpoints', body: { name: 're', macAddress: '02:42:0a:00:00:09' } },
    ];
    const weird: unknown[] = [null, true, 0, -1, 1e308, 65536, '', ' ', 'x'.repeat(5000), '../../etc/passwd', '/proc/self/ns/mnt', '$(id)', '0.0.0.0/0', 'fd00::/8', '::', '255.255.255.255', [], {}, [1, 2], { a: { b: {} } }, '\u0000', '10.200.0.1', 'bridge'];
    function mutate(v: unknown, depth: number): unknown {
      if (depth > 3 || rnd() < 0.25) return pick(weird);
      if (Array.isArray(v)) return v.length === 0 ? [pick(weird)] : v.map((x) => (rnd() < 0.5 ? mutate(x, depth + 1) : x));
      if (v && typeof v === 'object') {
        const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
        const keys = Object.keys(o);
        const roll = rnd();
        if (roll < 0.15 && keys.length > 0) delete o[pick(keys)];
        else if (roll < 0.25) o[pick(['extra', 'name', 'ports', 'ipam', '__proto__', 'constructor'])] = pick(weird);
        else if (keys.length > 0) {
          const k = pick(keys);
          o[k] = mutate(o[k], depth + 1);
        }
        return o;
      }
      return pick(weird);
    }
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const base = pick(valid);
      const body = mutate(base.body, 0);
      const r = await send(base.method, base.url, rnd() < 0.05 ? JSON.stringify(body).slice(0, -1) : body);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      assert.ok(r.status < 500, `case ${i}: ${base.method} ${base.url} ${JSON.stringify(body).slice(0, 300)} → ${r.status} ${r.text}`);
      // whatever got created is removed again, so later cases start from the same state
      if (r.status === 201) await cleanup();
    }
    assert.ok((statuses.get(400) ?? 0) > 100, `mostly refused: ${JSON.stringify([...statuses])}`);
    assert.equal((await send('GET', '/v1/health')).status, 200);
    assert.deepEqual((await t.controller.check()).drifts, []);
  });
});

async function cleanup() {
  await send('POST', '/v1/networks/bridge/disconnect', { sandbox: 's0', force: true });
  for (const e of (await send('GET', '/v1/networks/bridge/endpoints')).body as unknown as { name: string; sandboxId: string | null }[]) {
    if (!e.sandboxId) await send('DELETE', `/v1/networks/bridge/endpoints/${e.name}`);
  }
  for (const s of (await send('GET', '/v1/sandboxes')).body as unknown as { name: string }[]) if (s.name !== 's0') await send('DELETE', `/v1/sandboxes/${s.name}`);
  for (const n of (await send('GET', '/v1/networks')).body as unknown as { name: string; predefined: boolean }[]) if (!n.predefined) await send('DELETE', `/v1/networks/${n.name}`);
}

/** A small deterministic PRNG, so a failing case can be replayed. */
function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
