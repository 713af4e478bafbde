import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { run } from '../src/index.js';
// The fake daemon and fixtures are shared with the client's tests (test code, not a package import).
import { startFakeDaemon, type FakeDaemon, type Routes } from '../../client/test/helpers/fake-daemon.js';
import { endpoint, hex, ipamView, network, sandbox } from '../../client/test/helpers/fixtures.js';

interface Result {
  code: number;
  out: string;
  err: string;
}

async function pb(argv: string[], env: Record<string, string | undefined>): Promise<Result> {
  let out = '';
  let err = '';
  const code = await run(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env });
  return { code, out, err };
}

const front = network();
const back = network({ id: hex('d4'), name: 'back', driver: 'null', ipam: { driver: 'default', options: {}, config: [] } });
const web = sandbox({ endpoints: [{ id: hex('c3'), name: 'web-front', networkId: front.id, networkName: 'front', ifName: 'eth0' }] });
const webFront = endpoint();
const dbBack = endpoint({ id: hex('e5'), name: 'db', networkId: back.id, networkName: 'back', sandboxId: null, ifName: null, ipv4Address: null, macAddress: null });
const dbFront = endpoint({ id: hex('e6'), name: 'db', ipv4Address: '10.1.0.3/24' });
const notFound = (what: string) => ({ status: 404, body: { message: `${what} not found`, code: 'PB_ERR_NOT_FOUND' } });

const routes: Routes = {
  'GET /v1/networks': { body: [front, back] },
  'POST /v1/networks': (req) =>
    (req.body as { name: string }).name === 'front'
      ? { status: 409, body: { message: 'network with name front already exists', code: 'PB_ERR_NETWORK_EXISTS' } }
      : { status: 201, body: network({ id: hex('f7'), name: (req.body as { name: string }).name }) },
  'GET /v1/networks/front': { body: front },
  'GET /v1/networks/nope': notFound('network nope'),
  'DELETE /v1/networks/front': { status: 204 },
  'DELETE /v1/networks/bridge': { status: 403, body: { message: 'bridge is a pre-defined network and cannot be removed', code: 'PB_ERR_PREDEFINED' } },
  'DELETE /v1/networks/back': { status: 204 },
  'POST /v1/networks/front/connect': { status: 201, body: webFront },
  'POST /v1/networks/front/disconnect': { status: 204 },
  'GET /v1/sandboxes': { body: [web] },
  'POST /v1/sandboxes': { status: 201, body: web },
  'GET /v1/sandboxes/web': { body: web },
  'DELETE /v1/sandboxes/web': { status: 204 },
  'GET /v1/endpoints': { body: [webFront, dbBack, dbFront] },
  'GET /v1/networks/back/endpoints': { body: [dbBack] },
  'GET /v1/networks/back/endpoints/db': { body: dbBack },
  'GET /v1/networks/front/ipam': { body: ipamView() },
  'GET /v1/firewall/plan': { body: 'table inet patchbay {\n  chain forward {\n  }\n}' },
  'GET /v1/firewall/rules': { body: 'table inet patchbay {\n}\n' },
  'GET /v1/health': { body: { status: 'ok', version: '0.1.0', uptimeSeconds: 3725, networks: 2, sandboxes: 1, endpoints: 3 } },
};

describe('patchbay against a fake daemon', () => {
  let daemon: FakeDaemon;
  let env: Record<string, string>;
  const sh = (...argv: string[]) => pb(argv, env);
  const last = () => daemon.requests.at(-1)!;

  before(async () => {
    daemon = await startFakeDaemon(routes);
    env = { PATCHBAY_HOST: daemon.host };
  });
  after(() => daemon.close());

  test('network ls: a table sorted by name, -q, --no-trunc and --json', async () => {
    assert.deepEqual(await sh('network', 'ls'), {
      code: 0,
      err: '',
      out: [
        'NETWORK ID     NAME      DRIVER    SCOPE',
        'd4d4d4d4d4d4   back      null      local',
        'a1a1a1a1a1a1   front     bridge    local',
        '',
      ].join('\n'),
    });
    assert.equal((await sh('network', 'ls', '-q')).out, 'd4d4d4d4d4d4\na1a1a1a1a1a1\n');
    assert.equal((await sh('network', 'list', '-q', '--no-trunc')).out, `${back.id}\n${front.id}\n`);
    assert.deepEqual(JSON.parse((await sh('network', 'ls', '--json')).out), [back, front]);
  });

  test('network create sends the flags and prints the full new id', async () => {
    const r = await sh('network', 'create', '--subnet', '10.5.0.0/24', '--gateway', '10.5.0.1', '--aux-address', 'router=10.5.0.2', '-o', 'mtu=1400', '--label', 'a=b', '--internal', 'five');
    assert.deepEqual(r, { code: 0, out: `${hex('f7')}\n`, err: '' });
    assert.deepEqual(last().body, {
      name: 'five',
      ipam: { config: [{ subnet: '10.5.0.0/24', gateway: '10.5.0.1', auxAddresses: { router: '10.5.0.2' } }] },
      options: { mtu: '1400' },
      labels: { a: 'b' },
      internal: true,
    });
  });

  test('a daemon error is one line on stderr and exit 1', async () => {
    assert.deepEqual(await sh('network', 'create', 'front'), { code: 1, out: '', err: 'Error: network with name front already exists\n' });
  });

  test('a flag error is caught before any request, exit 2 with a hint', async () => {
    const before = daemon.requests.length;
    assert.deepEqual(await sh('network', 'create', '--gateway', '10.1.0.1', 'x'), {
      code: 2,
      out: '',
      err: "Error: every ip-range or gateway must have a corresponding subnet\nSee 'patchbay network create --help'.\n",
    });
    assert.equal((await sh('network', 'connect', 'front', 'web', '-p', '80/icmp')).code, 2);
    assert.equal(daemon.requests.length, before);
  });

  test('network inspect prints a JSON array of what was found, and reports the rest', async () => {
    const r = await sh('network', 'inspect', 'front', 'nope');
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.out), [front]);
    assert.equal(r.err, 'Error: network nope not found\n');
  });

  test('network rm removes each, echoing names, and carries on past a failure', async () => {
    assert.deepEqual(await sh('network', 'rm', 'front', 'bridge', 'back'), {
      code: 1,
      out: 'front\nback\n',
      err: 'Error: bridge is a pre-defined network and cannot be removed\n',
    });
    assert.deepEqual(daemon.requests.slice(-3).map((r) => `${r.method} ${r.path}`), ['DELETE /v1/networks/front', 'DELETE /v1/networks/bridge', 'DELETE /v1/networks/back']);
  });

  test('network connect and disconnect', async () => {
    assert.deepEqual(await sh('network', 'connect', '--ip', '10.1.0.2', '-p', '8080:80', 'front', 'web'), { code: 0, out: `${webFront.id}\n`, err: '' });
    assert.deepEqual(last().body, { sandbox: 'web', ipv4Address: '10.1.0.2', ports: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    assert.deepEqual(await sh('network', 'disconnect', 'front', 'web', '-f'), { code: 0, out: '', err: '' });
    assert.deepEqual(last().body, { sandbox: 'web', force: true });
    await sh('network', 'disconnect', 'front', 'web');
    assert.deepEqual(last().body, { sandbox: 'web', force: false });
  });

  test('sandbox create, ls, inspect, rm', async () => {
    assert.deepEqual(await sh('sandbox', 'create', '--name', 'web', '--netns', '/proc/1/ns/net'), { code: 0, out: `${web.id}\n`, err: '' });
    assert.deepEqual(last().body, { name: 'web', netnsPath: '/proc/1/ns/net' });
    assert.equal(
      (await sh('sandbox', 'ls')).out,
      ['SANDBOX ID     NAME      KEY                          ENDPOINTS', 'b2b2b2b2b2b2   web       /run/netns/pb-b2b2b2b2b2b2   1', ''].join('\n'),
    );
    assert.deepEqual(JSON.parse((await sh('sandbox', 'inspect', 'web')).out), [web]);
    assert.deepEqual(await sh('sandbox', 'rm', 'web'), { code: 0, out: 'web\n', err: '' });
  });

  test('endpoint ls, across networks or for one', async () => {
    assert.equal(
      (await sh('endpoint', 'ls')).out,
      [
        'ENDPOINT ID    NAME        NETWORK   SANDBOX        IPV4          MAC',
        'e5e5e5e5e5e5   db          back',
        'e6e6e6e6e6e6   db          front     b2b2b2b2b2b2   10.1.0.3/24   02:42:0a:01:00:02',
        'c3c3c3c3c3c3   web-front   front     b2b2b2b2b2b2   10.1.0.2/24   02:42:0a:01:00:02',
        '',
      ].join('\n'),
    );
    assert.equal((await sh('endpoint', 'ls', '--network', 'back', '-q')).out, 'e5e5e5e5e5e5\n');
    assert.equal(last().path, '/v1/networks/back/endpoints');
  });

  test('endpoint ls NETWORK takes the network as its argument, like --network', async () => {
    assert.equal((await sh('endpoint', 'ls', 'back', '-q')).out, 'e5e5e5e5e5e5\n');
    assert.equal(last().path, '/v1/networks/back/endpoints');
    assert.equal((await sh('endpoint', 'ls', 'back', '--network', 'back', '-q')).out, 'e5e5e5e5e5e5\n');
    const before = daemon.requests.length;
    assert.deepEqual(await sh('endpoint', 'ls', 'back', '--network', 'front'), {
      code: 2,
      out: '',
      err: `Error: "patchbay endpoint ls" was given two networks: back and --network front\nSee 'patchbay endpoint ls --help'.\n`,
    });
    assert.equal(daemon.requests.length, before);
    assert.equal((await sh('endpoint', 'ls', 'back', 'front')).code, 2);
  });

  test('endpoint inspect by id, unique prefix or name; ambiguity is an error', async () => {
    assert.deepEqual(JSON.parse((await sh('endpoint', 'inspect', webFront.id, 'e5e5', 'web-front')).out), [webFront, dbBack, webFront]);
    const ambiguous = await sh('endpoint', 'inspect', 'db', 'e', 'zzz');
    assert.equal(ambiguous.code, 1);
    assert.equal(ambiguous.out, '[]\n');
    assert.equal(
      ambiguous.err,
      [
        'Error: endpoint db is ambiguous (2 matches found based on name; use an ID or --network)',
        'Error: endpoint e is ambiguous (2 matches found based on ID prefix)',
        'Error: endpoint zzz not found',
        '',
      ].join('\n'),
    );
    assert.deepEqual(JSON.parse((await sh('endpoint', 'inspect', '--network', 'back', 'db')).out), [dbBack]);
  });

  test('ipam show', async () => {
    assert.deepEqual(await sh('ipam', 'show', 'front'), {
      code: 0,
      err: '',
      out: [
        `Network: front (a1a1a1a1a1a1), IPAM driver default`,
        '',
        'SUBNET        GATEWAY    IP RANGE   TOTAL     USED      FREE',
        '10.1.0.0/24   10.1.0.1              256       4         252',
        '',
        'ADDRESS    KIND       OWNER',
        '10.1.0.1   gateway    front',
        '10.1.0.2   endpoint   web-front',
        '',
      ].join('\n'),
    });
    assert.deepEqual(JSON.parse((await sh('ipam', 'show', '--json', 'front')).out), ipamView());
  });

  test('firewall plan and show print the document', async () => {
    assert.deepEqual(await sh('firewall', 'plan'), { code: 0, out: 'table inet patchbay {\n  chain forward {\n  }\n}\n', err: '' });
    assert.equal((await sh('firewall', 'show')).out, 'table inet patchbay {\n}\n');
  });

  test('health and version', async () => {
    assert.equal(
      (await sh('health')).out,
      ['Status:    ok', 'Version:   0.1.0', 'Uptime:    1h2m5s', 'Networks:  2', 'Sandboxes: 1', 'Endpoints: 3', ''].join('\n'),
    );
    assert.deepEqual(await sh('version'), { code: 0, out: 'Client:\n Version:  0.1.0\nServer:\n Version:  0.1.0\n', err: '' });
    assert.deepEqual(await sh('--version'), { code: 0, out: 'patchbay version 0.1.0\n', err: '' });
  });

  test('-H wins over PATCHBAY_HOST', async () => {
    const r = await pb(['-H', daemon.host, 'health', '--json'], { PATCHBAY_HOST: 'unix:///nonexistent/patchbay.sock' });
    assert.equal(r.code, 0);
    assert.equal(JSON.parse(r.out).endpoints, 3);
  });
});

describe('system check and reconcile', () => {
  const drifts = [
    { kind: 'link', object: 'pb-a1a1a1a1a1', action: 'recreate bridge' },
    { kind: 'allocation', object: '10.1.0.9', action: 'free leaked address' },
  ];

  test('check: exit 0 when consistent, 1 with the drifts listed', async (t) => {
    let consistent = true;
    const daemon = await startFakeDaemon({ 'GET /v1/system/check': () => ({ body: consistent ? { consistent, drifts: [] } : { consistent, drifts } }) });
    t.after(() => daemon.close());
    const env = { PATCHBAY_HOST: daemon.host };
    assert.deepEqual(await pb(['system', 'check'], env), { code: 0, out: 'Consistent: the kernel matches the store.\n', err: '' });
    consistent = false;
    assert.deepEqual(await pb(['system', 'check'], env), {
      code: 1,
      err: '',
      out: [
        'KIND         OBJECT          ACTION',
        'link         pb-a1a1a1a1a1   recreate bridge',
        'allocation   10.1.0.9        free leaked address',
        '',
        "2 drifts found; run 'patchbay system reconcile' to repair.",
        '',
      ].join('\n'),
    });
    assert.equal(JSON.parse((await pb(['system', 'check', '--json'], env)).out).consistent, false);
  });

  test('reconcile --dry-run asks for a dry run; a real run reports repairs', async (t) => {
    const daemon = await startFakeDaemon({
      'POST /v1/system/reconcile?dryRun=true': { body: { drifts, repaired: false } },
      'POST /v1/system/reconcile': { body: { drifts: drifts.slice(0, 1), repaired: true } },
    });
    t.after(() => daemon.close());
    const env = { PATCHBAY_HOST: daemon.host };
    const dry = await pb(['system', 'reconcile', '--dry-run'], env);
    assert.equal(dry.code, 0);
    assert.match(dry.out, /\nWould repair 2 drifts \(dry run\)\.\n$/);
    const real = await pb(['system', 'reconcile'], env);
    assert.equal(real.code, 0);
    assert.match(real.out, /^KIND {6}OBJECT {10}ACTION\nlink {6}pb-a1a1a1a1a1 {3}recreate bridge\n\nRepaired 1 drift\.\n$/);
  });

  test('reconcile that found drifts but did not repair them exits 1', async (t) => {
    const daemon = await startFakeDaemon({ 'POST /v1/system/reconcile': { body: { drifts, repaired: false } } });
    t.after(() => daemon.close());
    const r = await pb(['system', 'reconcile'], { PATCHBAY_HOST: daemon.host });
    assert.equal(r.code, 1);
    assert.match(r.out, /2 drifts not repaired\.\n$/);
  });
});

describe('usage and connection errors', () => {
  const env = { PATCHBAY_HOST: 'unix:///nonexistent/patchbay.sock' };

  test('help goes to stdout with exit 0', async () => {
    for (const argv of [[], ['--help'], ['network'], ['network', '--help'], ['network', 'create', '--help'], ['-h', 'health']]) {
      const r = await pb(argv, env);
      assert.equal(r.code, 0, argv.join(' '));
      assert.match(r.out, /^Usage: {2}patchbay/);
      assert.equal(r.err, '');
    }
    assert.match((await pb(['network', 'connect', '-h'], env)).out, /-p, --publish spec +Publish a port: \[hostIp:\]\[hostPort:\]containerPort\[\/proto\]/);
    assert.match((await pb(['network', 'rm', '--help'], env)).out, /Aliases:\n {2}patchbay network rm, patchbay network remove/);
  });

  test('usage errors exit 2 with a hint', async () => {
    const cases: [string[], string][] = [
      [['bogus'], 'Error: unknown command "bogus" for "patchbay"\nSee \'patchbay --help\'.\n'],
      [['network', 'bogus'], 'Error: unknown command "bogus" for "patchbay network"\nSee \'patchbay network --help\'.\n'],
      [['network', 'ls', '--nope'], "Error: unknown flag: --nope\nSee 'patchbay network ls --help'.\n"],
      [['network', 'connect', 'front'], 'Error: "patchbay network connect" requires exactly 2 arguments.\nSee \'patchbay network connect --help\'.\n'],
      [['network', 'rm'], 'Error: "patchbay network rm" requires at least 1 argument.\nSee \'patchbay network rm --help\'.\n'],
      [['network', 'ls', 'extra'], 'Error: "patchbay network ls" accepts no arguments.\nSee \'patchbay network ls --help\'.\n'],
      [['-H'], "Error: flag needs an argument: -H\nSee 'patchbay --help'.\n"],
      [['--host', 'ftp://x', 'health'], 'Error: invalid daemon address "ftp://x": expected unix://, tcp:// or http://\nSee \'patchbay --help\'.\n'],
    ];
    for (const [argv, err] of cases) assert.deepEqual(await pb(argv, env), { code: 2, out: '', err }, argv.join(' '));
  });

  test('no daemon: one clear line and exit 1, even for several names', async () => {
    const err = 'Error: cannot reach patchbayd at unix:///nonexistent/patchbay.sock: is the daemon running?\n';
    assert.deepEqual(await pb(['network', 'ls'], env), { code: 1, out: '', err });
    assert.deepEqual(await pb(['network', 'rm', 'a', 'b'], env), { code: 1, out: '', err });
  });

  test('the default host is used when nothing else is given', async () => {
    const r = await pb(['health'], {});
    assert.equal(r.code, 1);
    assert.match(r.err, /at unix:\/\/\/run\/patchbay\/patchbay\.sock/);
  });
});

test('the executable entry runs main.ts and sets the exit code', async (t) => {
  const daemon = await startFakeDaemon({ 'GET /v1/networks': { body: [network()] } });
  t.after(() => daemon.close());
  const main = new URL('../src/main.ts', import.meta.url).pathname;
  // Asynchronous on purpose: the fake daemon answers from this same process.
  const exec = (argv: string[]) =>
    new Promise<Result>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', main, ...argv], {
        env: { ...process.env, PATCHBAY_HOST: daemon.host },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (err += d));
      child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    });
  assert.deepEqual(await exec(['network', 'ls', '-q']), { code: 0, out: 'a1a1a1a1a1a1\n', err: '' });
  assert.deepEqual(await exec(['sandbox', 'inspect', 'nope']), { code: 1, out: '[]\n', err: 'Error: no route GET /v1/sandboxes/nope\n' });
  assert.equal((await exec(['nope'])).code, 2);
});
