import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PatchbayError } from '@patchbay/errors';
import { addressOfReverseName, reverseName, SEARCH_DOMAIN } from '../src/dns/names.js';
import { createRateLimiter } from '../src/dns/rate-limit.js';
import { createRecordIndex } from '../src/dns/records.js';
import { parseNameservers } from '../src/dns/resolv-conf.js';
import { removeSandboxResolvConf, writeSandboxResolvConf } from '../src/dns/sandbox-resolv.js';

const CID = '3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e';

describe('DNS record index', () => {
  it('resolves names and aliases case-insensitively, with and without the search domain', () => {
    const idx = createRecordIndex();
    idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['Web', 'frontend'], ipv4: '10.0.0.5/24', ipv6: 'fd00::5' });
    for (const q of ['web', 'WEB', 'web.', `web.${SEARCH_DOMAIN}`, `WeB.${SEARCH_DOMAIN.toUpperCase()}.`, 'frontend', `Frontend.${SEARCH_DOMAIN}`]) {
      assert.deepEqual(idx.lookup('n1', q, 4), ['10.0.0.5'], q);
      assert.deepEqual(idx.lookup('n1', q, 6), ['fd00::5'], q);
    }
    assert.equal(idx.lookup('n1', 'db', 4), undefined);
    assert.equal(idx.lookup('n1', 'web.other.domain', 4), undefined);
    assert.equal(idx.lookup('n2', 'web', 4), undefined, 'another network does not see it');
  });

  it('a known name without an address of the family is empty, not unknown (NODATA)', () => {
    const idx = createRecordIndex();
    idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['v4only'], ipv4: '10.0.0.7' });
    assert.deepEqual(idx.lookup('n1', 'v4only', 6), []);
  });

  it('the short container id (12 hex digits) resolves; a non-hex id adds nothing', () => {
    const idx = createRecordIndex();
    idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['c1'], containerId: CID, ipv4: '10.0.0.8' });
    idx.upsertEndpoint('n1', { endpointId: 'e2', names: ['c2'], containerId: 'not-a-hex-id-at-all', ipv4: '10.0.0.9' });
    assert.deepEqual(idx.lookup('n1', CID.slice(0, 12).toUpperCase(), 4), ['10.0.0.8']);
    assert.equal(idx.lookup('n1', CID, 4), undefined, 'the full id is not a name (Docker: short id only)');
    assert.deepEqual(idx.endpoints('n1').find((e) => e.endpointId === 'e2')?.names, ['c2']);
  });

  it('several endpoints with one alias: every address, rotating which comes first', () => {
    const idx = createRecordIndex();
    for (const i of [1, 2, 3]) idx.upsertEndpoint('n1', { endpointId: `e${i}`, names: [`w${i}`, 'db'], ipv4: `10.0.0.${i}` });
    const firsts = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const answer = idx.lookup('n1', 'db', 4)!;
      assert.deepEqual([...answer].sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
      firsts.add(answer[0]!);
    }
    assert.equal(firsts.size, 3, 'each address came first once in three queries');
    idx.removeEndpoint('n1', 'e2');
    assert.deepEqual([...idx.lookup('n1', 'db', 4)!].sort(), ['10.0.0.1', '10.0.0.3']);
    assert.equal(idx.lookup('n1', 'w2', 4), undefined);
  });

  it('PTR: v4 and v6 addresses map back to the first name, qualified', () => {
    const idx = createRecordIndex();
    idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['Web', 'alias'], ipv4: '10.0.0.5', ipv6: 'fd00:0:0:0::5' });
    assert.equal(reverseName('10.0.0.5'), '5.0.0.10.in-addr.arpa');
    const v6name = reverseName('fd00::5')!;
    assert.equal(v6name, `5.${'0.'.repeat(29)}d.f.ip6.arpa`);
    assert.equal(idx.reverse('n1', addressOfReverseName('5.0.0.10.in-addr.arpa')!), `web.${SEARCH_DOMAIN}`);
    assert.equal(idx.reverse('n1', addressOfReverseName(v6name)!), `web.${SEARCH_DOMAIN}`);
    assert.equal(idx.reverse('n1', '10.0.0.6'), undefined);
    assert.equal(addressOfReverseName('0.10.in-addr.arpa'), undefined, 'a zone, not an address');
    assert.equal(addressOfReverseName('300.0.0.10.in-addr.arpa'), undefined);
  });

  it('upsert replaces the endpoint\'s old names and addresses', () => {
    const idx = createRecordIndex();
    idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['old'], ipv4: '10.0.0.5' });
    idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['new'], ipv4: '10.0.0.6' });
    assert.equal(idx.lookup('n1', 'old', 4), undefined);
    assert.deepEqual(idx.lookup('n1', 'new', 4), ['10.0.0.6']);
    assert.equal(idx.reverse('n1', '10.0.0.5'), undefined);
    assert.equal(idx.reverse('n1', '10.0.0.6'), `new.${SEARCH_DOMAIN}`);
  });

  it('a bad address is a clear error and changes nothing', () => {
    const idx = createRecordIndex();
    idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['keep'], ipv4: '10.0.0.5' });
    assert.throws(
      () => idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['x'], ipv4: '10.0.0.300' }),
      (e: unknown) => e instanceof PatchbayError && e.code === 'PB_ERR_INVALID_ADDRESS' && /10\.0\.0\.300/.test(e.message),
    );
    assert.throws(() => idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['x'], ipv6: '10.0.0.1' }), PatchbayError);
    assert.deepEqual(idx.lookup('n1', 'keep', 4), ['10.0.0.5']);
  });

  it('names that cannot be DNS names are not published', () => {
    const idx = createRecordIndex();
    idx.upsertEndpoint('n1', { endpointId: 'e1', names: ['ok-name', 'bad name', '', 'x'.repeat(64), '-lead'], ipv4: '10.0.0.5' });
    assert.deepEqual(idx.endpoints('n1')[0]!.names, ['ok-name']);
  });

  it('a sandbox on two networks sees both through either; others see only their own', () => {
    const idx = createRecordIndex();
    idx.upsertEndpoint('a', { endpointId: 'ea', sandboxId: 's1', names: ['multi'], ipv4: '10.1.0.2' });
    idx.upsertEndpoint('b', { endpointId: 'eb', sandboxId: 's1', names: ['multi'], ipv4: '10.2.0.2' });
    idx.upsertEndpoint('b', { endpointId: 'eb2', sandboxId: 's2', names: ['only-b'], ipv4: '10.2.0.3' });
    assert.deepEqual(idx.networksOf('a', '10.1.0.2'), ['a', 'b']);
    assert.deepEqual(idx.networksOf('a', '10.1.0.9'), ['a'], 'an unknown client: its network only');
    assert.deepEqual(idx.networksOf('b', '10.2.0.3'), ['b']);
    idx.removeNetwork('b');
    assert.deepEqual(idx.networksOf('a', '10.1.0.2'), ['a']);
  });
});

describe('DNS helpers', () => {
  it('resolv.conf: nameserver lines, comments, zone ids, at most three', () => {
    const text = '# generated\nsearch example.com\nnameserver 192.0.2.1 # office\nnameserver  fe80::1%eth0\n;nameserver 192.0.2.9\nnameserver bogus\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver 192.0.2.3\n';
    assert.deepEqual(parseNameservers(text), ['192.0.2.1', 'fe80::1%eth0', '192.0.2.2']);
    assert.deepEqual(parseNameservers(''), []);
  });

  it('token bucket: a burst, then the refill rate, per client', () => {
    let now = 0;
    const limiter = createRateLimiter({ perSecond: 10, burst: 3 }, () => now);
    assert.deepEqual([1, 2, 3, 4].map(() => limiter.allow('a')), [true, true, true, false]);
    assert.equal(limiter.allow('b'), true, 'another client has its own bucket');
    now += 100; // one token back
    assert.deepEqual([limiter.allow('a'), limiter.allow('a')], [true, false]);
  });

  it('token bucket table stays bounded under spoofed sources', () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1 }, () => 0);
    for (let i = 0; i < 10_000; i++) limiter.allow(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    assert.ok(limiter.size() <= 4096, `size ${limiter.size()}`);
  });

  it('sandbox resolv.conf: written under the root, removed with its directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pb-netns-'));
    try {
      const path = await writeSandboxResolvConf('sb1', { nameservers: ['10.0.0.1', 'fd00::1'], search: [SEARCH_DOMAIN] }, root);
      assert.equal(path, join(root, 'sb1', 'resolv.conf'));
      const text = await readFile(path, 'utf8');
      assert.match(text, /^nameserver 10\.0\.0\.1$/m);
      assert.match(text, /^nameserver fd00::1$/m);
      assert.match(text, new RegExp(`^search ${SEARCH_DOMAIN.replace('.', '\\.')}$`, 'm'));
      // written again: replaced, and nothing else is left in the directory (ip netns exec binds every file)
      await writeSandboxResolvConf('sb1', { nameservers: ['10.0.0.2'], search: [] }, root);
      assert.equal(await readFile(path, 'utf8'), '# written by patchbayd for sandbox sb1; removed with it\nnameserver 10.0.0.2\n');
      assert.deepEqual(await readdir(join(root, 'sb1')), ['resolv.conf']);
      await removeSandboxResolvConf('sb1', root);
      await assert.rejects(stat(join(root, 'sb1')), { code: 'ENOENT' });
      await removeSandboxResolvConf('sb1', root); // already gone: fine
      await assert.rejects(writeSandboxResolvConf('../escape', { nameservers: ['10.0.0.1'], search: [] }, root), PatchbayError);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
