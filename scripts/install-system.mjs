#!/usr/bin/env node
// Installs patchbay for every user of the machine, from this checkout (built with `npm run build`):
//   PREFIX/bin/patchbay and PREFIX/bin/patchbayd: small sh launchers that exec node on the built
//   code (no npx, whose start-up costs about a second), with the node flags of the bin scripts;
//   the CLI's launcher runs the one-file bundle of the built CLI that scripts/bundle-cli.mjs
//   makes here (a short command's start-up is mostly module loading), or bin/patchbay.js when
//   esbuild is not installed;
//   PREFIX/lib/cni/patchbay: the CNI plugin (a copy of the built binary; with the default prefix,
//   /usr/local/lib/cni is among the plugin directories podman searches; containerd and the
//   kubelet look in /opt/cni/bin, where `patchbay cni install` puts it);
//   with --systemd, PREFIX/lib/systemd/system/patchbayd.service pointing at those launchers.
// Everything written (and every directory created) is recorded in
// PREFIX/share/patchbay/install-manifest; --uninstall removes exactly that.
//
// Usage: node scripts/install-system.mjs [--prefix /usr/local] [--systemd] [--force]
//        node scripts/install-system.mjs --uninstall [--prefix /usr/local]
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bundleCli, CLI_BUNDLE } from './bundle-cli.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const MARKER = '# written by patchbay install-system';

function usage(code) {
  (code === 0 ? process.stdout : process.stderr).write(
    'Usage: npm run install-system -- [--prefix DIR] [--systemd] [--force]\n' +
      '       npm run uninstall-system -- [--prefix DIR]\n\n' +
      '  --prefix DIR   where bin/, lib/cni/, lib/systemd/system/ and share/patchbay/ go (default /usr/local)\n' +
      '  --systemd      also install the patchbayd.service unit\n' +
      '  --force        overwrite files that an earlier install did not write\n',
  );
  process.exit(code);
}

function parseArgs(argv) {
  const opts = { prefix: '/usr/local', systemd: false, force: false, uninstall: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--prefix' || a.startsWith('--prefix=')) {
      const value = a === '--prefix' ? argv[++i] : a.slice('--prefix='.length);
      if (!value) fail('--prefix needs a directory');
      opts.prefix = resolve(value);
    } else if (a === '--systemd') opts.systemd = true;
    else if (a === '--force') opts.force = true;
    else if (a === '--uninstall') opts.uninstall = true;
    else if (a === '-h' || a === '--help') usage(0);
    else fail(`unknown argument ${a}`);
  }
  return opts;
}

function fail(message) {
  process.stderr.write(`install-system: ${message}\n`);
  process.exit(1);
}

/** A word for sh, single-quoted. */
const shQuote = (s) => `'${s.replaceAll("'", `'\\''`)}'`;

/** The node flags of a bin script's `#!/usr/bin/env -S node FLAGS` line (the one place they are kept). */
function nodeFlagsOf(binScript) {
  const first = readFileSync(binScript, 'utf8').split('\n', 1)[0];
  const words = first.replace(/^#!\s*/, '').split(/\s+/);
  return words.slice(words.indexOf('node') + 1);
}

// Node 20 reads and parses the whole NODE_EXTRA_CA_CERTS bundle before running any code (about
// 50–60 ms for Debian's ca-certificates.crt on the bench machine, a third of a `patchbay network ls`).
// The CLI speaks plain HTTP over a unix socket or TCP and never verifies a certificate, so its
// launcher does not make node pay for one; the daemon (TLS to etcd) keeps the variable.
const CLI_UNUSED_ENV = ['NODE_EXTRA_CA_CERTS'];

/**
 * A launcher running `entry` (default: the bin script itself) with the bin script's node flags,
 * without the environment variables in `unset`.
 */
function launcher(binScript, entry = binScript, unset = []) {
  const built = join(dirname(binScript), '..', 'dist', 'main.js');
  if (!existsSync(built)) fail(`${built} is missing: run \`npm run build\` first`);
  const argv = [process.execPath, ...nodeFlagsOf(binScript), entry].map(shQuote).join(' ');
  const unsetLine = unset.length > 0 ? `unset ${unset.join(' ')}\n` : '';
  return `#!/bin/sh\n${MARKER} from ${root}; \`npm run uninstall-system\` removes it\n${unsetLine}exec ${argv} "$@"\n`;
}

function cniPlugin() {
  const built = join(root, 'packages/cni/build/patchbay');
  if (!existsSync(built)) fail(`${built} is missing: run \`npm ci\` (it builds the CNI plugin) first`);
  return readFileSync(built);
}

function unit(prefix) {
  const text = readFileSync(join(root, 'daemon/systemd/patchbayd.service'), 'utf8');
  return text.replaceAll('/usr/local/bin/', `${join(prefix, 'bin')}/`);
}

const manifestPath = (prefix) => join(prefix, 'share/patchbay/install-manifest');

function readManifest(prefix) {
  const path = manifestPath(prefix);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Creates `dir` and its missing parents, returning those it created (outermost first). */
function makeDirs(dir) {
  const missing = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return missing;
}

async function install(opts) {
  const { prefix } = opts;
  const cliBin = join(root, 'packages/cli/bin/patchbay.js');
  const previous = readManifest(prefix) ?? { files: [], dirs: [] };
  // contents are made only once no foreign file is in the way (the CLI's bundle is written into the checkout)
  const files = [
    [join(prefix, 'bin/patchbay'), async () => launcher(cliBin, (await bundleCli()) ? CLI_BUNDLE : cliBin, CLI_UNUSED_ENV), 0o755],
    [join(prefix, 'bin/patchbayd'), async () => launcher(join(root, 'daemon/bin/patchbayd.js')), 0o755],
    [join(prefix, 'lib/cni/patchbay'), async () => cniPlugin(), 0o755],
    ...(opts.systemd ? [[join(prefix, 'lib/systemd/system/patchbayd.service'), async () => unit(prefix), 0o644]] : []),
  ];
  for (const [path] of files) {
    if (existsSync(path) && !previous.files.includes(path) && !opts.force) fail(`${path} exists and was not written by install-system (use --force to replace it)`);
  }
  const contents = await Promise.all(files.map(([, make]) => make()));
  const dirs = [...previous.dirs];
  const written = new Set(previous.files);
  for (const [i, [path, , mode]] of files.entries()) {
    const text = contents[i];
    for (const d of makeDirs(dirname(path))) if (!dirs.includes(d)) dirs.push(d);
    writeFileSync(path, text, { mode });
    chmodSync(path, mode);
    written.add(path);
    process.stdout.write(`wrote ${path}\n`);
  }
  for (const d of makeDirs(dirname(manifestPath(prefix)))) if (!dirs.includes(d)) dirs.push(d);
  writeFileSync(manifestPath(prefix), `${JSON.stringify({ root, files: [...written], dirs }, null, 2)}\n`, { mode: 0o644 });
  process.stdout.write(`wrote ${manifestPath(prefix)}\n`);
  if (opts.systemd) process.stdout.write('then: systemctl daemon-reload && systemctl enable --now patchbayd\n');
}

function uninstall({ prefix }) {
  const manifest = readManifest(prefix);
  if (!manifest) fail(`no install manifest at ${manifestPath(prefix)}: nothing to remove`);
  for (const path of manifest.files) {
    rmSync(path, { force: true });
    process.stdout.write(`removed ${path}\n`);
  }
  rmSync(manifestPath(prefix), { force: true });
  // directories the install created, innermost first, and only when nothing else is in them
  for (const dir of [...manifest.dirs].sort((a, b) => b.length - a.length)) {
    if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
  }
}

const opts = parseArgs(process.argv.slice(2));
if (opts.uninstall) uninstall(opts);
else await install(opts);
