import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CNI_PLUGIN_PATH } from '@patchbay/cni';
import { run } from '../src/index.js';
import { renderEndpoints } from '../src/commands/endpoint.js';
import { renderSandboxes } from '../src/commands/sandbox.js';
import { endpoint, hex, sandbox } from '../../client/test/helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'pbcli-cni-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function pb(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await run(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env });
  return { code, out, err };
}

describe('patchbay cni install', () => {
  test('copies the plugin and writes a 1.0.0 conflist per network, with the -H socket', async () => {
    const bin = join(dir, 'a', 'bin');
    const conf = join(dir, 'a', 'net.d');
    const r = await pb(['-H', 'unix:///tmp/pb-test.sock', 'cni', 'install', '--bin-dir', bin, '--conf-dir', conf, '--network', 'web', '--network', 'db']);
    assert.deepEqual(r, {
      code: 0,
      out: `installed ${bin}/patchbay\nwrote ${conf}/50-patchbay-web.conflist\nwrote ${conf}/50-patchbay-db.conflist\n`,
      err: '',
    });
    assert.deepEqual(readFileSync(join(bin, 'patchbay')), readFileSync(CNI_PLUGIN_PATH));
    assert.equal(statSync(join(bin, 'patchbay')).mode & 0o777, 0o755);
    assert.deepEqual(JSON.parse(readFileSync(join(conf, '50-patchbay-web.conflist'), 'utf8')), {
      cniVersion: '1.0.0',
      name: 'web',
      plugins: [{ type: 'patchbay', network: 'web', socket: '/tmp/pb-test.sock', capabilities: { portMappings: true, ips: true, mac: true, aliases: true } }],
    });
  });

  test('defaults: network "patchbay", the plugin’s default socket left out, --subnet as ipam', async () => {
    const conf = join(dir, 'b', 'net.d');
    const r = await pb(['cni', 'install', '--bin-dir', join(dir, 'b', 'bin'), '--conf-dir', conf, '--subnet', '10.88.0.0/16']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(readFileSync(join(conf, '50-patchbay-patchbay.conflist'), 'utf8')).plugins[0], {
      type: 'patchbay',
      network: 'patchbay',
      ipam: { subnet: '10.88.0.0/16' },
      capabilities: { portMappings: true, ips: true, mac: true, aliases: true },
    });
  });

  test('refuses a --subnet that is not a CIDR, and writes nothing', async () => {
    const target = join(dir, 'd');
    const r = await pb(['cni', 'install', '--bin-dir', target, '--conf-dir', target, '--subnet', '10.88.0.0']);
    assert.equal(r.code, 2);
    assert.match(r.err, /invalid --subnet "10\.88\.0\.0"/);
    assert.equal(existsSync(target), false);
  });

  test('refuses bad names, --subnet with several networks, and a TCP daemon without --socket', async () => {
    const base = ['cni', 'install', '--bin-dir', join(dir, 'c'), '--conf-dir', join(dir, 'c')];
    assert.equal((await pb([...base, '--network', 'bad name'])).code, 2);
    assert.equal((await pb([...base, '--network', 'a', '--network', 'b', '--subnet', '10.1.0.0/24'])).code, 2);
    const tcp = await pb(['-H', 'tcp://127.0.0.1:2375', ...base]);
    assert.equal(tcp.code, 2);
    assert.match(tcp.err, /unix socket only: give --socket PATH/);
  });
});

describe('CNI attachments in endpoint ls and sandbox ls', () => {
  const cniSb = sandbox({ id: hex('a1'), name: 'web', containerId: 'f00dcafe1234567890', key: '/run/netns/netns-1', external: true, origin: 'cni', endpoints: [{ id: hex('c3'), name: 'web', networkId: hex('d1'), networkName: 'front', ifName: 'eth0' }] });
  test('sandbox ls shows the container id and interfaces', () => {
    assert.equal(
      renderSandboxes([cniSb], {}),
      ['SANDBOX ID     NAME      CONTAINER      KEY                  INTERFACES', 'a1a1a1a1a1a1   web       f00dcafe1234   /run/netns/netns-1   eth0@front', ''].join('\n'),
    );
  });
  test('endpoint ls shows the container id and ifname', () => {
    const ep = endpoint({ cni: { containerId: 'f00dcafe1234567890', ifName: 'eth0' } });
    const out = renderEndpoints([ep], {}).split('\n');
    assert.match(out[0]!, /^ENDPOINT ID +NAME +NETWORK +SANDBOX +CONTAINER +IFNAME +IPV4 +MAC$/);
    assert.match(out[1]!, /f00dcafe1234 +eth0 +10\.1\.0\.2\/24/);
  });
});
