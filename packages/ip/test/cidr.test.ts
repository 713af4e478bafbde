import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IPv4CidrRange, IPv6CidrRange } from 'ip-num';
import {
  cidrOf,
  cidrSize,
  contains,
  formatAddress,
  formatInterfaceAddress,
  hasHostBits,
  isInside,
  normalizeCidr,
  overlaps,
  tryParseAddress,
  tryParseCidr,
  tryParsePrefixLength,
  type Cidr,
} from '../src/index.js';
import { random } from './random.js';

const cidr = (text: string): Cidr => {
  const c = tryParseCidr(text);
  assert.ok(c, `${text} should parse`);
  return c;
};
const addr = (text: string) => tryParseAddress(text)!;

describe('CIDR parsing', () => {
  it('keeps the written address and finds the network, last address and size', () => {
    const c = cidr('10.1.2.3/24');
    assert.equal(c.family, 4);
    assert.equal(c.prefix, 24);
    assert.equal(c.value, 0x0a010203n);
    assert.equal(formatAddress(4, c.first), '10.1.2.0');
    assert.equal(formatAddress(4, c.last), '10.1.2.255');
    assert.equal(c.text, '10.1.2.0/24');
    assert.equal(cidrSize(c), 256n);
    assert.equal(hasHostBits(c), true);
    assert.equal(hasHostBits(cidr('10.1.2.0/24')), false);
    assert.equal(formatInterfaceAddress(c), '10.1.2.3/24');
    assert.equal(formatInterfaceAddress(cidr('FD00:0:0::5/64')), 'fd00::5/64');
  });

  it('/0, /32 and /128 are blocks like any other', () => {
    const all4 = cidr('0.0.0.0/0');
    assert.equal(cidrSize(all4), 2n ** 32n);
    assert.equal(formatAddress(4, all4.last), '255.255.255.255');
    assert.equal(cidr('10.9.8.7/0').text, '0.0.0.0/0');
    const all6 = cidr('::/0');
    assert.equal(cidrSize(all6), 2n ** 128n);
    assert.equal(all6.last, 2n ** 128n - 1n);
    const host4 = cidr('10.9.8.7/32');
    assert.equal(cidrSize(host4), 1n);
    assert.equal(host4.text, '10.9.8.7/32');
    const host6 = cidr('2001:db8::1/128');
    assert.equal(host6.first, host6.last);
    assert.equal(host6.text, '2001:db8::1/128');
  });

  it('refuses prefixes out of range, with leading zeros, signs or spaces, and missing ones', () => {
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/024', '10.0.0.0/00', '10.0.0.0/+8', '10.0.0.0/-1', '10.0.0.0/ 8', '10.0.0.0/8 ', ' 10.0.0.0/8', '10.0.0.0/', '10.0.0.0', '/8', '10.0.0.0/8/8', 'fe80::%eth0/64', 'fe80::/64%eth0', '010.0.0.0/8']) {
      assert.equal(tryParseCidr(bad), undefined, bad);
    }
    assert.equal(tryParsePrefixLength('0'), 0);
    assert.equal(tryParsePrefixLength('128'), 128);
    assert.equal(tryParsePrefixLength('08'), undefined);
    assert.equal(tryParsePrefixLength(''), undefined);
  });

  it('a bare address is a host block only when asked (route destinations)', () => {
    assert.equal(tryParseCidr('10.0.0.1'), undefined);
    assert.equal(tryParseCidr('10.0.0.1', { bareAddressIsHost: true })?.text, '10.0.0.1/32');
    assert.equal(tryParseCidr('fd00::1', { bareAddressIsHost: true })?.prefix, 128);
    assert.equal(tryParseCidr('fd00::1%eth0', { bareAddressIsHost: true }), undefined);
  });

  it('IPv4-mapped IPv6 blocks are IPv6 blocks', () => {
    const mapped = cidr('::ffff:10.0.0.0/104');
    assert.equal(mapped.family, 6);
    assert.equal(mapped.text, '::ffff:a00:0/104');
    assert.equal(contains(mapped, addr('::ffff:10.255.1.2')), true);
    assert.equal(contains(mapped, addr('10.0.0.1')), false);
    assert.equal(overlaps(mapped, cidr('10.0.0.0/8')), false);
  });

  it('normalizes to the canonical network text', () => {
    assert.equal(normalizeCidr('2001:DB8:0:0::1234/64'), '2001:db8::/64');
    assert.equal(normalizeCidr('10.1.2.3/16'), '10.1.0.0/16');
    assert.equal(normalizeCidr('nope/8'), undefined);
    assert.equal(cidrOf(6, 0xfd00n << 112n, 8).text, 'fd00::/8');
  });
});

describe('containment and overlap', () => {
  it('address in block, block in block, overlap, across families never', () => {
    assert.equal(contains(cidr('10.1.0.0/16'), addr('10.1.255.255')), true);
    assert.equal(contains(cidr('10.1.0.0/16'), addr('10.2.0.0')), false);
    assert.equal(contains(cidr('0.0.0.0/0'), addr('::')), false);
    assert.equal(contains(cidr('::/0'), addr('255.255.255.255')), false);
    assert.equal(isInside(cidr('10.1.2.0/24'), cidr('10.1.0.0/16')), true);
    assert.equal(isInside(cidr('10.1.0.0/16'), cidr('10.1.2.0/24')), false);
    assert.equal(isInside(cidr('10.1.0.0/16'), cidr('10.1.0.0/16')), true);
    assert.equal(overlaps(cidr('10.1.0.0/16'), cidr('10.1.255.0/24')), true);
    assert.equal(overlaps(cidr('10.1.255.0/24'), cidr('10.2.0.0/16')), false);
    assert.equal(overlaps(cidr('::/0'), cidr('0.0.0.0/0')), false);
  });

  it('agrees with ip-num on random blocks: network, last, size, containment, overlap', () => {
    const rand = random(7);
    const rangeOf = (c: Cidr) => (c.family === 4 ? IPv4CidrRange.fromCidr(c.text) : IPv6CidrRange.fromCidr(c.text));
    const seen = { overlap: 0, apart: 0 };
    for (let n = 0; n < 300; n++) {
      const family = rand() < 0.5 ? 4 : 6;
      const bits = family === 4 ? 32 : 128;
      // a block of /0../16 somewhere, and a block of /1../24 near it: some overlap, some do not
      const a = cidrOf(family, BigInt(Math.floor(rand() * 2 ** 32)) << BigInt(bits - 32), Math.floor(rand() * 17));
      const near = a.first + BigInt(Math.floor(rand() * 2 ** 20)) * (1n << BigInt(bits - 20));
      const b = cidrOf(family, BigInt.asUintN(bits, near), Math.floor(rand() * 24) + 1);
      const ra = rangeOf(a);
      const rb = rangeOf(b);
      assert.equal(a.first, ra.getFirst().value, a.text);
      assert.equal(a.last, ra.getLast().value, a.text);
      assert.equal(cidrSize(a), ra.getSize(), a.text);
      assert.equal(overlaps(a, b), ra.isOverlapping(rb as never), `${a.text} ${b.text}`);
      assert.equal(isInside(b, a), rb.inside(ra as never), `${b.text} in ${a.text}`);
      assert.equal(contains(a, { family, value: b.first }), ra.contains(rb.getFirst() as never), `${b.text} first in ${a.text}`);
      seen[overlaps(a, b) ? 'overlap' : 'apart']++;
    }
    assert.ok(seen.overlap > 20 && seen.apart > 20, JSON.stringify(seen));
  });
});
