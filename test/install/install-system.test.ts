import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startFakeDaemon } from '../../packages/client/test/helpers/fake-daemon.js';
import { network } from '../../packages/client/test/helpers/fixtures.js';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const script = join(root, 'scripts/install-system.mjs');
const BUILT = ['packages/cli/dist/main.js', 'daemon/dist/main.js'];

const run = (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
};
const installer = (...args: string[]) => run(process.execPath, [script, ...args]);
/** Every path under `dir` (relative), directories included, sorted. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}
const mode = (path: string) => statSync(path).mode & 0o777;
const systemdAnalyze = run('sh', ['-c', 'command -v systemd-analyze']).out.trim();

let scratch: string;
before(() => {
  // the launchers run the built code (`npm test` builds it first)
  if (!BUILT.every((f) => existsSync(join(root, f)))) {
    const build = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b']);
    assert.equal(build.code, 0, build.out + build.err);
  }
  scratch = mkdtempSync(join(tmpdir(), 'pb-install-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('npm run install-system / uninstall-system', () => {
  test('installs launchers (and the unit with --systemd) into a new prefix; uninstall leaves nothing', () => {
    const prefix = join(scratch, 'fresh/usr');
    const r = installer('--prefix', prefix, '--systemd');
    assert.equal(r.code, 0, r.err);
    assert.deepStrictEqual(tree(join(scratch, 'fresh')), [
      'usr',
      'usr/bin',
      'usr/bin/patchbay',
      'usr/bin/patchbayd',
      'usr/lib',
      'usr/lib/cni',
      'usr/lib/cni/patchbay',
      'usr/lib/systemd',
      'usr/lib/systemd/system',
      'usr/lib/systemd/system/patchbayd.service',
      'usr/share',
      'usr/share/patchbay',
      'usr/share/patchbay/install-manifest',
    ]);
    assert.equal(mode(join(prefix, 'bin/patchbay')), 0o755);
    assert.equal(mode(join(prefix, 'bin/patchbayd')), 0o755);
    assert.equal(mode(join(prefix, 'lib/systemd/system/patchbayd.service')), 0o644);
    assert.equal(mode(join(prefix, 'lib/cni/patchbay')), 0o755);
    const manifest = JSON.parse(readFileSync(join(prefix, 'share/patchbay/install-manifest'), 'utf8'));
    assert.deepStrictEqual(manifest.files.sort(), ['bin/patchbay', 'bin/patchbayd', 'lib/cni/patchbay', 'lib/systemd/system/patchbayd.service'].map((f) => join(prefix, f)));

    // the launchers run node on the built code directly: no npx, the daemon with its bin's node flags
    const daemonLauncher = readFileSync(join(prefix, 'bin/patchbayd'), 'utf8');
    assert.doesNotMatch(daemonLauncher + readFileSync(join(prefix, 'bin/patchbay'), 'utf8'), /npx/);
    assert.match(daemonLauncher, new RegExp(`^exec '${process.execPath}' '--max-semi-space-size=1' '--single-threaded' '--expose-gc' '${join(root, 'daemon/bin/patchbayd.js')}' "\\$@"$`, 'm'));
    const version = run(join(prefix, 'bin/patchbay'), ['--version'], { PATH: '/usr/bin:/bin' });
    assert.deepStrictEqual(version, { code: 0, out: 'patchbay version 0.1.0\n', err: '' });
    const help = run(join(prefix, 'bin/patchbayd'), ['--help'], { PATH: '/usr/bin:/bin' });
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, /^Usage: patchbayd \[OPTIONS\]/);
    // node loads NODE_EXTRA_CA_CERTS at start-up (and warns when it cannot): the CLI, which verifies
    // no certificate, runs without it; the daemon (TLS to etcd) keeps it
    const missingCerts = { PATH: '/usr/bin:/bin', NODE_EXTRA_CA_CERTS: join(scratch, 'no-such-bundle.pem') };
    assert.deepStrictEqual(run(join(prefix, 'bin/patchbay'), ['--version'], missingCerts), { code: 0, out: 'patchbay version 0.1.0\n', err: '' });
    const daemonWithCerts = run(join(prefix, 'bin/patchbayd'), ['--help'], missingCerts);
    assert.equal(daemonWithCerts.code, 0, daemonWithCerts.err);
    assert.match(daemonWithCerts.err, /Ignoring extra certs from `.*no-such-bundle\.pem`/);
    // the CNI plugin is the built binary: it answers VERSION by itself, as runtimes probe it
    const probe = spawnSync(join(prefix, 'lib/cni/patchbay'), [], { input: '{"cniVersion":"1.0.0"}', encoding: 'utf8', env: { CNI_COMMAND: 'VERSION' } });
    assert.equal(probe.status, 0, probe.stdout + probe.stderr);
    assert.ok(JSON.parse(probe.stdout).supportedVersions.includes('1.0.0'), probe.stdout);

    const unit = readFileSync(join(prefix, 'lib/systemd/system/patchbayd.service'), 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=${join(prefix, 'bin/patchbayd')}$`, 'm'));
    assert.match(unit, new RegExp(`${join(prefix, 'bin/patchbay')} health`));
    assert.doesNotMatch(unit, /\/usr\/local\/bin/);

    const gone = run(process.execPath, [script, '--uninstall', '--prefix', prefix]);
    assert.equal(gone.code, 0, gone.err);
    assert.deepStrictEqual(tree(join(scratch, 'fresh')), []);
  });

  test('in a prefix that has other files, install and uninstall touch only their own', () => {
    const prefix = join(scratch, 'shared');
    mkdirSync(join(prefix, 'bin'), { recursive: true });
    writeFileSync(join(prefix, 'bin/other-tool'), '#!/bin/sh\n', { mode: 0o755 });
    const before = tree(prefix);
    assert.equal(installer('--prefix', prefix).code, 0);
    assert.ok(!existsSync(join(prefix, 'lib/systemd')), 'no unit without --systemd');
    // installing again replaces its own files
    assert.equal(installer('--prefix', prefix).code, 0);
    assert.equal(installer('--uninstall', '--prefix', prefix).code, 0);
    assert.deepStrictEqual(tree(prefix), before);
  });

  test('a file the installer did not write is not replaced (without --force), and nothing is written', () => {
    const prefix = join(scratch, 'foreign');
    mkdirSync(join(prefix, 'bin'), { recursive: true });
    writeFileSync(join(prefix, 'bin/patchbay'), 'someone else\n');
    const r = installer('--prefix', prefix);
    assert.equal(r.code, 1);
    assert.match(r.err, /bin\/patchbay exists and was not written by install-system \(use --force to replace it\)/);
    assert.deepStrictEqual(tree(prefix), ['bin', 'bin/patchbay']);
    assert.equal(readFileSync(join(prefix, 'bin/patchbay'), 'utf8'), 'someone else\n');
  });

  test('uninstall without an install says so and fails; bad arguments are refused', () => {
    const r = installer('--uninstall', '--prefix', join(scratch, 'never'));
    assert.equal(r.code, 1);
    assert.match(r.err, /no install manifest at .*never\/share\/patchbay\/install-manifest/);
    assert.equal(installer('--bogus').code, 1);
    assert.equal(installer('--prefix').code, 1);
  });

  test('systemd-analyze verify accepts the installed unit', { skip: systemdAnalyze === '' && 'systemd-analyze is not installed (apt-get install systemd)' }, () => {
    const prefix = join(scratch, 'unit');
    assert.equal(installer('--prefix', prefix, '--systemd').code, 0);
    const unit = join(prefix, 'lib/systemd/system/patchbayd.service');
    const r = run(systemdAnalyze, ['verify', unit]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal((r.out + r.err).trim(), '');
    const text = readFileSync(unit, 'utf8');
    assert.match(text, /^Before=docker\.service containerd\.service$/m);
    assert.match(text, /^Restart=on-failure$/m);
    assert.match(text, /^KillMode=mixed$/m);
    assert.equal(installer('--uninstall', '--prefix', prefix).code, 0);
    assert.deepStrictEqual(tree(prefix), []);
  });

  test('the CLI launcher runs the one-file bundle of the built CLI, which talks to a daemon', async () => {
    const prefix = join(scratch, 'bundle');
    assert.equal(installer('--prefix', prefix).code, 0);
    const bundle = join(root, 'packages/cli/dist/patchbay.bundle.cjs');
    assert.match(readFileSync(join(prefix, 'bin/patchbay'), 'utf8'), new RegExp(`^exec '${process.execPath}' '${bundle}' "\\$@"$`, 'm'));
    assert.ok(statSync(bundle).mtimeMs >= statSync(join(root, 'packages/cli/dist/run.js')).mtimeMs, 'the bundle is not older than the build');
    const daemon = await startFakeDaemon({ 'GET /v1/networks': { body: [network({ name: 'net10' }), network({ id: 'b'.repeat(64), name: 'net9' })] } });
    try {
      // asynchronously: the fake daemon answers from this process
      const r = await promisify(execFile)(join(prefix, 'bin/patchbay'), ['-H', daemon.host, 'network', 'ls', '-q', '--no-trunc'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
      assert.equal(r.stderr, '');
      // Docker's natural order: net9 before net10
      assert.equal(r.stdout, `${'b'.repeat(64)}\n${network().id}\n`);
    } finally {
      await daemon.close();
      assert.equal(installer('--uninstall', '--prefix', prefix).code, 0);
    }
  });
});
