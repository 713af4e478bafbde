import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatchbayError } from '@patchbay/errors';
import { createAllocator, validatePoolConfig, type AddressAllocator, type PoolConfig } from '../src/index.js';

function make(cfg: PoolConfig, family: 4 | 6 = 4, serial = false, name = 'web'): AddressAllocator {
  return createAllocator(validatePoolConfig(cfg, { family, networkName: name }), { networkLabel: name, serial });
}

function fails(run: () => unknown, code: string, message?: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof PatchbayError, String(e));
    assert.equal(e.code, code);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

const counts = (a: AddressAllocator) => {
  const c = a.counts();
  return { total: Number(c.total), used: Number(c.used), free: Number(c.free) };
};

describe('allocator: small subnets', () => {
  it('a /30 hands out its two middle addresses, then is exhausted', () => {
    const a = make({ subnet: '10.0.0.0/30' });
    assert.deepEqual(counts(a), { total: 2, used: 0, free: 2 });
    assert.equal(a.allocate(), '10.0.0.1');
    assert.equal(a.allocate(), '10.0.0.2');
    fails(() => a.allocate(), 'PB_ERR_POOL_EXHAUSTED', "no available IPv4 addresses on this network's address pools: web (10.0.0.0/30)");
    assert.equal(a.isAllocated('10.0.0.0'), true, 'network address is never free');
    assert.equal(a.isAllocated('10.0.0.3'), true, 'broadcast address is never free');
    assert.deepEqual(a.allocations(), ['10.0.0.1', '10.0.0.2']);
  });

  it('a /31 uses both addresses (RFC 3021)', () => {
    const a = make({ subnet: '10.0.0.0/31' });
    assert.deepEqual(counts(a), { total: 2, used: 0, free: 2 });
    assert.deepEqual([a.allocate(), a.allocate()], ['10.0.0.0', '10.0.0.1']);
    fails(() => a.allocate(), 'PB_ERR_POOL_EXHAUSTED');
    assert.equal(a.release('10.0.0.0'), true);
    assert.equal(a.allocate(), '10.0.0.0');
  });

  it('a /32 is refused before an allocator exists', () => {
    assert.throws(() => make({ subnet: '10.0.0.5/32' }), { code: 'PB_ERR_INVALID_SUBNET' });
    // createAllocator validates on its own too, for pools that did not go through validatePoolConfig.
    assert.throws(() => createAllocator({ family: 4, subnet: '10.0.0.5/32', auxAddresses: {} }, { networkLabel: 'x' }), {
      code: 'PB_ERR_INVALID_SUBNET',
    });
  });

  it('an IPv6 /125 reserves only the network address and names the network when full', () => {
    const a = make({ subnet: '2001:db8::/125' }, 6, false, 'v6net');
    assert.deepEqual(counts(a), { total: 7, used: 0, free: 7 });
    for (let i = 1; i <= 7; i++) assert.equal(a.allocate(), `2001:db8::${i}`);
    fails(() => a.allocate(), 'PB_ERR_POOL_EXHAUSTED', "no available IPv6 addresses on this network's address pools: v6net (2001:db8::/125)");
  });

  it('an IPv6 /127 uses both addresses (RFC 6164)', () => {
    const a = make({ subnet: '2001:db8::/127' }, 6);
    assert.deepEqual([a.allocate(), a.allocate()], ['2001:db8::', '2001:db8::1']);
  });
});

describe('allocator: large subnets', () => {
  it('fills a /16 to exhaustion (65,534 addresses) quickly', () => {
    const a = make({ subnet: '10.20.0.0/16' }, 4, false, 'big');
    const started = performance.now();
    let last = '';
    for (let i = 0; i < 65_534; i++) last = a.allocate();
    const ms = performance.now() - started;
    assert.equal(last, '10.20.255.254');
    fails(() => a.allocate(), 'PB_ERR_POOL_EXHAUSTED', "no available IPv4 addresses on this network's address pools: big (10.20.0.0/16)");
    assert.deepEqual(counts(a), { total: 65_534, used: 65_534, free: 0 });
    assert.equal(a.allocations().length, 65_534);
    // Measured at ~35 ms; a per-request scan of the subnet would take minutes.
    assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms`);
  });

  it('IPv6 /64: 10,000 allocations, releases, and the lowest free address comes back first', () => {
    const a = make({ subnet: '2001:db8:1::/64' }, 6);
    const got: string[] = [];
    for (let i = 0; i < 10_000; i++) got.push(a.allocate());
    assert.equal(got[0], '2001:db8:1::1');
    assert.equal(got[9_999], '2001:db8:1::2710');
    assert.equal(a.release('2001:db8:1::100'), true);
    assert.equal(a.release('2001:db8:1::5'), true);
    assert.equal(a.allocate(), '2001:db8:1::5');
    assert.equal(a.allocate(), '2001:db8:1::100');
    assert.equal(a.allocate(), '2001:db8:1::2711');
    const c = a.counts();
    assert.equal(c.total, 2n ** 64n - 1n);
    assert.equal(c.used, 10_001n);
    assert.equal(c.free, 2n ** 64n - 1n - 10_001n);
  });

  it('a requested IPv6 address is returned in canonical form', () => {
    const a = make({ subnet: '2001:db8::/64' }, 6);
    assert.equal(a.allocate('2001:DB8:0::00ff'), '2001:db8::ff');
    assert.equal(a.isAllocated('2001:db8::ff'), true);
  });
});

describe('allocator: ranges, gateway and aux addresses', () => {
  it('allocates only inside the ip range, but a requested address may be anywhere in the subnet', () => {
    const a = make({ subnet: '10.0.0.0/24', ipRange: '10.0.0.128/25', gateway: '10.0.0.1' });
    assert.equal(a.dynamicRange, '10.0.0.128/25');
    // .255 (broadcast) lies in the range but is never free.
    assert.deepEqual(counts(a), { total: 254, used: 1, free: 127 });
    assert.equal(a.allocate(), '10.0.0.128');
    assert.equal(a.allocate('10.0.0.10'), '10.0.0.10');
    for (let i = 0; i < 126; i++) a.allocate();
    assert.equal(a.isAllocated('10.0.0.254'), true);
    fails(() => a.allocate(), 'PB_ERR_POOL_EXHAUSTED');
    assert.equal(a.allocate('10.0.0.11'), '10.0.0.11', 'static addresses outside the range still work');
    assert.deepEqual(counts(a), { total: 254, used: 130, free: 0 });
  });

  it('reserves the gateway and aux addresses, and release() never frees them', () => {
    const a = make({ subnet: '10.0.0.0/24', gateway: '10.0.0.1', auxAddresses: { router: '10.0.0.2', far: '10.0.0.200' } });
    assert.deepEqual(a.allocations(), ['10.0.0.1', '10.0.0.2', '10.0.0.200']);
    assert.deepEqual(counts(a), { total: 254, used: 3, free: 251 });
    assert.equal(a.allocate(), '10.0.0.3');
    assert.equal(a.release('10.0.0.1'), false);
    assert.equal(a.release('10.0.0.2'), false);
    assert.equal(a.isAllocated('10.0.0.1'), true);
    fails(() => a.allocate('10.0.0.1'), 'PB_ERR_ADDRESS_IN_USE', 'Address already in use');
    fails(() => a.allocate('10.0.0.200'), 'PB_ERR_ADDRESS_IN_USE', 'Address already in use');
  });

  it('without a gateway in the pool, the first allocation is the lowest address (what dockerd makes the gateway)', () => {
    const a = make({ subnet: '172.18.0.0/16' });
    assert.equal(a.allocate(), '172.18.0.1');
  });
});

describe('allocator: requests and errors', () => {
  it('refuses an address already in use with a Forbidden-kind error', () => {
    const a = make({ subnet: '10.0.0.0/24' });
    assert.equal(a.allocate('10.0.0.50'), '10.0.0.50');
    assert.throws(() => a.allocate('10.0.0.50'), (e: unknown) => {
      assert.ok(e instanceof PatchbayError);
      assert.equal(e.code, 'PB_ERR_ADDRESS_IN_USE');
      assert.equal(e.kind, 'Forbidden');
      assert.equal(e.message, 'Address already in use');
      assert.deepEqual(e.details, { address: '10.0.0.50' });
      return true;
    });
  });

  it('refuses addresses outside the subnet, reserved ones, the other family and junk', () => {
    const a = make({ subnet: '10.0.0.0/24' });
    fails(() => a.allocate('10.0.1.5'), 'PB_ERR_IP_OUT_OF_RANGE', 'requested address 10.0.1.5 is out of range: not inside subnet 10.0.0.0/24');
    fails(() => a.allocate('10.0.0.0'), 'PB_ERR_INVALID_ADDRESS', 'requested address 10.0.0.0 is the network address of subnet 10.0.0.0/24');
    fails(() => a.allocate('10.0.0.255'), 'PB_ERR_INVALID_ADDRESS', 'requested address 10.0.0.255 is the broadcast address of subnet 10.0.0.0/24');
    fails(() => a.allocate('2001:db8::1'), 'PB_ERR_INVALID_ADDRESS', 'invalid requested address "2001:db8::1": not an IPv4 address');
    fails(() => a.allocate('10.0.0.300'), 'PB_ERR_INVALID_ADDRESS', 'invalid requested address "10.0.0.300": not an IP address');
    fails(() => a.reserve('10.9.9.9'), 'PB_ERR_IP_OUT_OF_RANGE', 'address 10.9.9.9 is out of range: not inside subnet 10.0.0.0/24');
    assert.deepEqual(counts(a), { total: 254, used: 0, free: 254 }, 'failed requests leave nothing behind');
  });

  it('treats an empty requested address as no preference', () => {
    const a = make({ subnet: '10.0.0.0/24' });
    assert.equal(a.allocate(''), '10.0.0.1');
  });

  it('release of an unknown or foreign address is a no-op', () => {
    const a = make({ subnet: '10.0.0.0/24' });
    a.allocate();
    assert.equal(a.release('10.0.0.77'), false);
    assert.equal(a.release('10.9.0.1'), false);
    assert.equal(a.release('10.0.0.0'), false, 'the network address stays reserved');
    assert.equal(a.release('10.0.0.1'), true);
    assert.equal(a.release('10.0.0.1'), false);
    assert.deepEqual(counts(a), { total: 254, used: 0, free: 254 });
  });
});

describe('allocator: serial mode', () => {
  it('does not hand a just-freed address back first, and wraps at the end of the range', () => {
    const a = make({ subnet: '10.0.0.0/29' }, 4, true); // usable .1 – .6
    assert.deepEqual([a.allocate(), a.allocate(), a.allocate()], ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    a.release('10.0.0.2');
    assert.equal(a.allocate(), '10.0.0.4');
    assert.equal(a.allocate(), '10.0.0.5');
    assert.equal(a.allocate(), '10.0.0.6');
    assert.equal(a.allocate(), '10.0.0.2', 'wrapped to the start of the range');
    a.release('10.0.0.5');
    a.release('10.0.0.1');
    assert.equal(a.allocate(), '10.0.0.5', 'goes on after .2, so .5 comes before .1');
    assert.equal(a.allocate(), '10.0.0.1');
    fails(() => a.allocate(), 'PB_ERR_POOL_EXHAUSTED');
  });

  it('default mode does hand the just-freed lowest address back', () => {
    const a = make({ subnet: '10.0.0.0/29' });
    a.allocate();
    a.allocate();
    a.release('10.0.0.1');
    assert.equal(a.allocate(), '10.0.0.1');
  });

  it('a requested address does not move the serial cursor', () => {
    const a = make({ subnet: '10.0.0.0/24' }, 4, true);
    a.allocate();
    a.allocate('10.0.0.100');
    assert.equal(a.getCursor(), '10.0.0.2');
    assert.equal(a.allocate(), '10.0.0.2');
  });

  it('keeps its order across a rebuild through getCursor/setCursor', () => {
    const a = make({ subnet: '10.0.0.0/24', ipRange: '10.0.0.0/25' }, 4, true);
    for (let i = 0; i < 10; i++) a.allocate();
    a.release('10.0.0.3');
    const saved = { cursor: a.getCursor(), rows: a.allocations() };
    assert.equal(saved.cursor, '10.0.0.11');
    const b = make({ subnet: '10.0.0.0/24', ipRange: '10.0.0.0/25' }, 4, true);
    for (const row of saved.rows) b.reserve(row);
    b.setCursor(saved.cursor);
    assert.equal(b.allocate(), '10.0.0.11');
    assert.equal(a.allocate(), '10.0.0.11');
    fails(() => b.setCursor('10.0.0.200'), 'PB_ERR_IP_OUT_OF_RANGE', 'cursor 10.0.0.200 is out of range: not inside 10.0.0.0/25');
    fails(() => b.setCursor('nope'), 'PB_ERR_INVALID_ADDRESS');
  });

  it('serial mode also wraps inside an ip range', () => {
    const a = make({ subnet: '10.0.0.0/24', ipRange: '10.0.0.8/30' }, 4, true);
    assert.deepEqual([a.allocate(), a.allocate(), a.allocate(), a.allocate()], ['10.0.0.8', '10.0.0.9', '10.0.0.10', '10.0.0.11']);
    a.release('10.0.0.9');
    assert.equal(a.allocate(), '10.0.0.9');
    assert.equal(a.getCursor(), '10.0.0.10');
  });
});

describe('allocator: rebuild from persisted rows', () => {
  it('reserve() of the stored list reproduces the same state, and is idempotent', () => {
    const pool: PoolConfig = { subnet: '10.5.0.0/16', ipRange: '10.5.1.0/24', gateway: '10.5.0.1', auxAddresses: { host: '10.5.1.1' } };
    const a = make(pool);
    const stored: string[] = [];
    for (let i = 0; i < 200; i++) stored.push(a.allocate());
    stored.push(a.allocate('10.5.200.9'));
    for (const gone of ['10.5.1.7', '10.5.1.8', '10.5.1.100']) {
      a.release(gone);
      stored.splice(stored.indexOf(gone), 1);
    }

    const b = make(pool);
    for (const row of stored) assert.equal(b.reserve(row), true);
    for (const row of stored) assert.equal(b.reserve(row), false, 'a second reserve changes nothing');
    assert.deepEqual(b.allocations(), a.allocations());
    assert.deepEqual(b.counts(), a.counts());
    assert.equal(b.allocate(), a.allocate());
    assert.equal(b.allocate(), '10.5.1.8');
  });
});
