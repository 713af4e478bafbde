import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collapseIPv6Number, IPv4, IPv6 } from 'ip-num';
import { contains, familyOf, formatAddress, normalizeAddress, normalizeSubnet, overlaps, parseCidr, tryParseAddress } from '../src/index.js';

// Deterministic pseudo-random numbers (mulberry32).
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('addresses', () => {
  it('parses and formats IPv4', () => {
    assert.deepEqual(tryParseAddress('10.1.2.3'), { family: 4, value: 0x0a010203n });
    assert.equal(formatAddress(4, 0xffffffffn), '255.255.255.255');
    assert.equal(formatAddress(4, 0n), '0.0.0.0');
  });

  it('refuses malformed IPv4 (leading zeros, out of range, junk)', () => {
    for (const bad of ['010.0.0.1', '256.0.0.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/32', '+1.2.3.4', '', '1..2.3']) {
      assert.equal(tryParseAddress(bad), undefined, bad);
    }
  });

  it('parses the IPv6 text forms: ::, compressed, uppercase, dotted tail', () => {
    assert.deepEqual(tryParseAddress('::'), { family: 6, value: 0n });
    assert.deepEqual(tryParseAddress('::1'), { family: 6, value: 1n });
    assert.equal(tryParseAddress('2001:DB8::1')?.value, 0x20010db8000000000000000000000001n);
    assert.equal(tryParseAddress('::ffff:10.0.0.1')?.value, 0xffff0a000001n);
    assert.equal(tryParseAddress('1:2:3:4:5:6:7::')?.value, 0x00010002000300040005000600070000n);
    assert.equal(tryParseAddress('1:2:3:4:5:6:1.2.3.4')?.value, 0x00010002000300040005000601020304n);
  });

  it('refuses malformed IPv6, and zones', () => {
    for (const bad of ['1::2::3', ':::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '12345::', 'fe80::1%eth0', '2001:db8::/64', ':1::', '1::2:', '::1.2.3', '::1.2.3.04', '1.2.3.4::', '1:2:3:4:5:6:7:8::']) {
      assert.equal(tryParseAddress(bad), undefined, bad);
    }
  });

  it('formats IPv6 per RFC 5952 (longest zero run, first on a tie, no single-group ::)', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ];
    for (const [input, expected] of cases) assert.equal(normalizeAddress(input), expected);
  });

  it('agrees with ip-num on random addresses in expanded and compressed form', () => {
    const rand = random(42);
    for (let n = 0; n < 2000; n++) {
      // Random groups with many zeros, so compression paths are exercised.
      const groups = Array.from({ length: 8 }, () => (rand() < 0.5 ? 0 : Math.floor(rand() * 0x10000)));
      const expanded = groups.map((g) => g.toString(16)).join(':');
      const oracle = IPv6.fromString(expanded).value;
      assert.equal(tryParseAddress(expanded)?.value, oracle, expanded);
      const compressed = collapseIPv6Number(expanded);
      assert.equal(tryParseAddress(compressed)?.value, oracle, compressed);
      assert.equal(tryParseAddress(formatAddress(6, oracle))?.value, oracle);
      const v4 = Math.floor(rand() * 2 ** 32);
      const dotted = formatAddress(4, BigInt(v4));
      assert.equal(tryParseAddress(dotted)?.value, IPv4.fromString(dotted).value, dotted);
    }
  });
});

describe('CIDR', () => {
  it('canonicalizes host bits away', () => {
    assert.equal(normalizeSubnet('10.1.2.3/24'), '10.1.2.0/24');
    assert.equal(normalizeSubnet('2001:DB8::1234/64'), '2001:db8::/64');
    const c = parseCidr('172.20.0.0/14');
    assert.equal(c.family, 4);
    assert.equal(c.prefix, 14);
    assert.equal(formatAddress(4, c.last), '172.23.255.255');
  });

  it('refuses bad CIDRs with the field named', () => {
    assert.throws(() => parseCidr('10.0.0.0/33'), { code: 'PB_ERR_INVALID_SUBNET', message: 'invalid subnet "10.0.0.0/33": prefix length /33 is out of range for IPv4' });
    assert.throws(() => parseCidr('2001:db8::/129'), { message: 'invalid subnet "2001:db8::/129": prefix length /129 is out of range for IPv6' });
    assert.throws(() => parseCidr('10.0.0.0', 'ip range'), { code: 'PB_ERR_INVALID_SUBNET', message: 'invalid ip range "10.0.0.0": not a CIDR block' });
    for (const bad of ['10.0.0.0/', '10.0.0.0/024', '10.0.0.0/-1', '10.0.0.0/24/1', 'x/8', '/8', '10.0.0.0/ 8']) {
      assert.throws(() => parseCidr(bad), { code: 'PB_ERR_INVALID_SUBNET' }, bad);
    }
  });

  it('detects overlap in both directions and never across families', () => {
    assert.equal(overlaps('10.0.0.0/8', '10.1.0.0/16'), true);
    assert.equal(overlaps('10.1.0.0/16', '10.0.0.0/8'), true);
    assert.equal(overlaps('10.1.0.0/16', '10.2.0.0/16'), false);
    assert.equal(overlaps('10.1.255.0/24', '10.2.0.0/16'), false);
    assert.equal(overlaps('192.168.0.0/20', '192.168.15.255/32'), true);
    assert.equal(overlaps('::/0', '10.0.0.0/8'), false);
  });

  it('contains checks the address against the block', () => {
    assert.equal(contains('10.1.0.0/16', '10.1.255.255'), true);
    assert.equal(contains('10.1.0.0/16', '10.2.0.0'), false);
    assert.equal(contains('2001:db8::/64', '2001:db8::ffff'), true);
    assert.equal(contains('2001:db8::/64', '10.1.0.1'), false);
    assert.throws(() => contains('10.1.0.0/16', 'nope'), { code: 'PB_ERR_INVALID_ADDRESS' });
  });
});

describe('familyOf', () => {
  it('tells the family of addresses and CIDRs', () => {
    assert.equal(familyOf('10.0.0.1'), 4);
    assert.equal(familyOf('10.0.0.0/8'), 4);
    assert.equal(familyOf('fd00::/8'), 6);
    assert.equal(familyOf('::1'), 6);
    assert.equal(familyOf('10.0.0.0/40'), undefined);
    assert.equal(familyOf('host.example'), undefined);
  });
});
