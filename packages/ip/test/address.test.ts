import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collapseIPv6Number, IPv4, IPv6 } from 'ip-num';
import { addressFromBytes, addressToBytes, familyOf, formatAddress, isAddress, normalizeAddress, sameAddress, tryParseAddress } from '../src/index.js';
import { random } from './random.js';

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

describe('edge cases of the one grammar', () => {
  it('::, ::1 and the all-ones addresses', () => {
    assert.equal(normalizeAddress('::'), '::');
    assert.equal(normalizeAddress('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(normalizeAddress('FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF'), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    assert.equal(normalizeAddress('255.255.255.255'), '255.255.255.255');
    assert.equal(normalizeAddress('0.0.0.0'), '0.0.0.0');
  });

  it('IPv4-mapped IPv6 is IPv6, never the IPv4 address it maps', () => {
    const mapped = tryParseAddress('::ffff:192.0.2.1')!;
    assert.equal(mapped.family, 6);
    assert.equal(sameAddress(mapped, tryParseAddress('::ffff:c000:201')!), true);
    assert.equal(sameAddress(mapped, tryParseAddress('192.0.2.1')!), false);
    assert.equal(normalizeAddress('::FFFF:192.0.2.1'), '::ffff:c000:201');
    assert.equal(formatAddress(6, mapped.value, { dottedTail: true }), '::ffff:192.0.2.1');
    assert.equal(isAddress('::ffff:192.0.2.1', 4), false);
    assert.equal(isAddress('::ffff:192.0.2.1', 6), true);
  });

  it('leading zeros: refused in a dotted quad (also a tail), allowed up to four hex digits', () => {
    for (const bad of ['01.2.3.4', '1.2.3.00', '::ffff:01.2.3.4', '00000::1']) assert.equal(tryParseAddress(bad), undefined, bad);
    assert.equal(normalizeAddress('0001:0db8::0001'), '1:db8::1');
  });

  it('zone ids and whitespace are refused', () => {
    for (const bad of ['fe80::1%eth0', 'fe80::1%1', 'fe80::1%', ' ::1', '::1 ', '\t10.0.0.1', '10.0.0.1\n', '10.0. 0.1', ':: 1']) {
      assert.equal(tryParseAddress(bad), undefined, JSON.stringify(bad));
      assert.equal(isAddress(bad), false, JSON.stringify(bad));
    }
  });

  it('text that is not a string is not an address', () => {
    assert.equal(tryParseAddress(undefined as unknown as string), undefined);
    assert.equal(tryParseAddress(167772161 as unknown as string), undefined);
  });

  it('glibc inet_ntop forms on request: ::ffff:a.b.c.d and ::a.b.c.d only', () => {
    const fmt = (text: string) => formatAddress(6, tryParseAddress(text)!.value, { dottedTail: true });
    assert.equal(fmt('::10.1.2.3'), '::10.1.2.3');
    assert.equal(fmt('::1'), '::1');
    assert.equal(fmt('::'), '::');
    assert.equal(fmt('::1:0:0'), '::1:0:0');
    assert.equal(fmt('1::ffff:10.1.2.3'), '1::ffff:a01:203');
    assert.equal(formatAddress(6, tryParseAddress('::10.1.2.3')!.value), '::a01:203');
  });

  it('bytes in network order, both ways', () => {
    assert.deepEqual([...addressToBytes(tryParseAddress('192.0.2.255')!)], [192, 0, 2, 255]);
    const v6 = tryParseAddress('2001:db8::ff00:1')!;
    const bytes = addressToBytes(v6);
    assert.deepEqual([...bytes], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0, 1]);
    assert.deepEqual(addressFromBytes(bytes), v6);
    assert.deepEqual(addressFromBytes(Buffer.from([10, 0, 0, 1])), { family: 4, value: 0x0a000001n });
    // a view into a larger buffer reads its own bytes only
    assert.deepEqual(addressFromBytes(Buffer.from([9, 9, 10, 0, 0, 2, 9]).subarray(2, 6)), { family: 4, value: 0x0a000002n });
    assert.equal(addressFromBytes(new Uint8Array(6)), undefined);
  });
});
