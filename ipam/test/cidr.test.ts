import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress } from '@patchbay/ip';
import { contains, normalizeSubnet, overlaps, parseCidr } from '../src/index.js';

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
