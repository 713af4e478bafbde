import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertNoPoolOverlap,
  choosePool,
  defaultLocalPools,
  expandPools,
  findOverlap,
  parseAddressPoolFlag,
  validatePoolDef,
} from '../src/index.js';

const NO_POOL = 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network';

describe('default pools', () => {
  it("are dockerd's 31 local pools: 15 × /16 then 16 × /20", () => {
    const all = [...expandPools(defaultLocalPools())];
    assert.equal(all.length, 31);
    assert.deepEqual(all.slice(0, 4), ['172.17.0.0/16', '172.18.0.0/16', '172.19.0.0/16', '172.20.0.0/16']);
    assert.equal(all[14], '172.31.0.0/16');
    assert.deepEqual(all.slice(15, 17), ['192.168.0.0/20', '192.168.16.0/20']);
    assert.equal(all[30], '192.168.240.0/20');
  });

  it('defaultLocalPools returns a fresh copy each time', () => {
    const pools = defaultLocalPools();
    pools[0]!.base = '10.0.0.0/8';
    assert.equal(defaultLocalPools()[0]!.base, '172.17.0.0/16');
  });

  it('expands lazily: the first subnets of 10.0.0.0/8 by /24 come without building 65,536 strings', () => {
    const it = expandPools([{ base: '10.0.0.0/8', size: 24 }]);
    assert.deepEqual([it.next().value, it.next().value, it.next().value], ['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']);
    const huge = expandPools([{ base: '2001:db8::/32', size: 64 }]); // 2^32 subnets
    assert.equal(huge.next().value, '2001:db8::/64');
    assert.equal(huge.next().value, '2001:db8:0:1::/64');
  });
});

describe('parseAddressPoolFlag', () => {
  it('parses base and size in either order', () => {
    assert.deepEqual(parseAddressPoolFlag('base=10.10.0.0/16,size=24'), { base: '10.10.0.0/16', size: 24 });
    assert.deepEqual(parseAddressPoolFlag('size=24,base=10.10.0.0/16'), { base: '10.10.0.0/16', size: 24 });
    assert.deepEqual(parseAddressPoolFlag('base=fd00::/48,size=64'), { base: 'fd00::/48', size: 64 });
    assert.deepEqual(parseAddressPoolFlag('base=10.10.3.0/16,size=16'), { base: '10.10.0.0/16', size: 16 });
  });

  it('refuses bad input with an InvalidParameter error naming the flag value', () => {
    const cases: [string, string][] = [
      ['base=10.10.0.0/16', 'both base=CIDR and size=N are required'],
      ['size=24', 'both base=CIDR and size=N are required'],
      ['base=10.10.0.0/16,size=24,x=1', 'unexpected "x=1"; expected base=CIDR,size=N'],
      ['10.10.0.0/16', 'unexpected "10.10.0.0/16"; expected base=CIDR,size=N'],
      ['base=10.10.0.0/16,base=10.11.0.0/16,size=24', 'base is given twice'],
      ['base=10.10.0.0/16,size=abc', 'size "abc" is not a prefix length'],
      ['base=10.10.0.0/16,size=', 'size "" is not a prefix length'],
      ['base=10.10.0.0,size=24', 'base "10.10.0.0" is not a CIDR block'],
      ['base=10.10.0.0/16,size=8', 'size must be an integer from 16 (the base prefix) to 31'],
      ['base=10.10.0.0/16,size=32', 'size must be an integer from 16 (the base prefix) to 31'],
      ['base=fd00::/48,size=128', 'size must be an integer from 48 (the base prefix) to 127'],
    ];
    for (const [flag, reason] of cases) {
      assert.throws(() => parseAddressPoolFlag(flag), { code: 'PB_ERR_INVALID_OPTION', message: `invalid default address pool "${flag}": ${reason}` }, flag);
    }
  });

  it('validatePoolDef checks daemon.json entries the same way', () => {
    assert.deepEqual(validatePoolDef({ base: '10.1.2.0/16', size: 20 }), { base: '10.1.0.0/16', size: 20 });
    assert.throws(() => validatePoolDef({ base: '10.1.0.0/16', size: 20.5 }), {
      message: 'invalid default address pool "base=10.1.0.0/16,size=20.5": size must be an integer from 16 (the base prefix) to 31',
    });
  });
});

describe('choosePool', () => {
  const pools = defaultLocalPools();

  it('takes the first default pool when nothing is in use', () => {
    assert.equal(choosePool({ pools, inUse: [], hostRoutes: [], family: 4 }), '172.17.0.0/16');
  });

  it('skips pools in use, including ones an in-use subnet only partly covers', () => {
    assert.equal(choosePool({ pools, inUse: ['172.17.0.0/16', '172.18.5.0/24'], hostRoutes: [], family: 4 }), '172.19.0.0/16');
    assert.equal(choosePool({ pools, inUse: ['172.16.0.0/12'], hostRoutes: [], family: 4 }), '192.168.0.0/20');
  });

  it('skips pools that overlap an on-link host route or a nameserver', () => {
    assert.equal(choosePool({ pools, inUse: [], hostRoutes: ['172.17.0.0/16', '172.18.0.0/24'], family: 4 }), '172.19.0.0/16');
    assert.equal(choosePool({ pools, inUse: ['172.17.0.0/16'], hostRoutes: [], nameservers: ['172.18.0.53', '127.0.0.53', 'fe80::1'], family: 4 }), '172.19.0.0/16');
  });

  it('ignores host facts that do not parse or are of the other family', () => {
    assert.equal(choosePool({ pools, inUse: [], hostRoutes: ['default', 'fe80::/64', ''], nameservers: ['nope'], family: 4 }), '172.17.0.0/16');
  });

  it('fails with PB_ERR_NO_POOL when every candidate is taken', () => {
    const all = [...expandPools(pools)];
    assert.throws(() => choosePool({ pools, inUse: all, hostRoutes: [], family: 4 }), { code: 'PB_ERR_NO_POOL', message: NO_POOL });
    // A VPN's 0.0.0.0/1 + 128.0.0.0/1 on-link routes cover everything.
    assert.throws(() => choosePool({ pools, inUse: [], hostRoutes: ['0.0.0.0/1', '128.0.0.0/1'], family: 4 }), { code: 'PB_ERR_NO_POOL' });
  });

  it('walks 65,536 candidates past thousands of in-use subnets quickly', () => {
    const big = [{ base: '10.0.0.0/8', size: 24 }];
    const inUse = Array.from({ length: 5000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const started = performance.now();
    assert.equal(choosePool({ pools: big, inUse, hostRoutes: ['10.19.0.0/16'], family: 4 }), '10.20.0.0/24');
    assert.equal(choosePool({ pools: big, inUse, hostRoutes: ['10.19.136.0/21'], family: 4 }), '10.19.144.0/24');
    assert.throws(() => choosePool({ pools: big, inUse: [], hostRoutes: ['10.0.0.0/9', '10.128.0.0/9'], family: 4 }), { code: 'PB_ERR_NO_POOL' });
    assert.ok(performance.now() - started < 1000);
  });

  it('chooses IPv6 pools from IPv6 definitions only', () => {
    const mixed = [...pools, { base: 'fd00:1::/48', size: 64 }];
    assert.equal(choosePool({ pools: mixed, inUse: ['fd00:1::/64', '172.17.0.0/16'], hostRoutes: [], family: 6 }), 'fd00:1:0:1::/64');
    assert.throws(() => choosePool({ pools, inUse: [], hostRoutes: [], family: 6 }), {
      code: 'PB_ERR_NO_POOL',
      message: 'could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network',
    });
  });
});

describe('pool overlap', () => {
  const existing = [
    { subnet: '10.1.0.0/16', networkName: 'foo' },
    { subnet: '2001:db8::/64', networkName: 'six' },
  ];

  it('findOverlap names the other network, or nothing', () => {
    assert.deepEqual(findOverlap('10.1.2.0/24', existing), existing[0]);
    assert.deepEqual(findOverlap('10.0.0.0/8', existing), existing[0]);
    assert.equal(findOverlap('10.2.0.0/16', existing), undefined);
    assert.deepEqual(findOverlap('2001:db8::/48', existing), existing[1]);
  });

  it('assertNoPoolOverlap throws the 403-kind libnetwork error naming the other network', () => {
    assert.throws(() => assertNoPoolOverlap('10.1.128.0/17', existing), {
      code: 'PB_ERR_POOL_OVERLAP',
      kind: 'Forbidden',
      message: 'Pool overlaps with other one on this address space: 10.1.0.0/16 (network foo)',
    });
    assert.doesNotThrow(() => assertNoPoolOverlap('10.2.0.0/16', existing));
  });
});
