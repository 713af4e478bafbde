import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatchbayError } from '@patchbay/errors';
import { validatePoolConfig, type PoolConfig } from '../src/index.js';

const v4 = (cfg: PoolConfig) => validatePoolConfig(cfg, { family: 4, networkName: 'web' });
const v6 = (cfg: PoolConfig) => validatePoolConfig(cfg, { family: 6, networkName: 'web' });

function refuses(run: () => unknown, code: string, message: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof PatchbayError);
    assert.equal(e.code, code);
    assert.equal(e.kind, 'InvalidParameter');
    assert.equal(e.message, message);
    assert.deepEqual(e.details, { network: 'web' });
    return true;
  });
}

describe('validatePoolConfig', () => {
  it('returns the pool in canonical form', () => {
    assert.deepEqual(
      v4({ subnet: '10.1.2.3/16', ipRange: '10.1.5.7/24', gateway: '10.1.0.1', auxAddresses: { router: '10.1.0.2' } }),
      { family: 4, subnet: '10.1.0.0/16', ipRange: '10.1.5.0/24', gateway: '10.1.0.1', auxAddresses: { router: '10.1.0.2' } },
    );
    assert.deepEqual(v6({ subnet: '2001:DB8:0:0::/64', gateway: '2001:db8:0::1' }), {
      family: 6,
      subnet: '2001:db8::/64',
      gateway: '2001:db8::1',
      auxAddresses: {},
    });
    assert.deepEqual(v4({ subnet: '10.9.0.0/24', ipRange: '', gateway: '' }), { family: 4, subnet: '10.9.0.0/24', auxAddresses: {} });
  });

  it('accepts /30 and /31, and a /31 gateway on either address', () => {
    assert.equal(v4({ subnet: '10.0.0.0/30', gateway: '10.0.0.1' }).gateway, '10.0.0.1');
    assert.equal(v4({ subnet: '10.0.0.0/31', gateway: '10.0.0.0' }).gateway, '10.0.0.0');
    assert.equal(v4({ subnet: '10.0.0.0/31', gateway: '10.0.0.1' }).gateway, '10.0.0.1');
    assert.equal(v6({ subnet: '2001:db8::/127', gateway: '2001:db8::' }).gateway, '2001:db8::');
  });

  it('refuses a bad subnet', () => {
    refuses(() => v4({ subnet: '10.0.0.0/33' }), 'PB_ERR_INVALID_SUBNET', 'invalid subnet "10.0.0.0/33": prefix length /33 is out of range for IPv4');
    refuses(() => v4({ subnet: 'ten/8' }), 'PB_ERR_INVALID_SUBNET', 'invalid subnet "ten/8": not a CIDR block');
    refuses(() => v4({ subnet: '' }), 'PB_ERR_INVALID_SUBNET', 'invalid subnet "": not a CIDR block');
  });

  it('refuses a subnet of the wrong family', () => {
    refuses(() => v4({ subnet: '2001:db8::/64' }), 'PB_ERR_INVALID_SUBNET', 'invalid subnet "2001:db8::/64": not an IPv4 CIDR block');
    refuses(() => v6({ subnet: '10.0.0.0/8' }), 'PB_ERR_INVALID_SUBNET', 'invalid subnet "10.0.0.0/8": not an IPv6 CIDR block');
  });

  it('refuses /32, /128 and /0', () => {
    refuses(
      () => v4({ subnet: '10.0.0.1/32' }),
      'PB_ERR_INVALID_SUBNET',
      'invalid subnet "10.0.0.1/32": a /32 subnet has no room for endpoint addresses; use /31 or shorter',
    );
    refuses(
      () => v6({ subnet: '2001:db8::1/128' }),
      'PB_ERR_INVALID_SUBNET',
      'invalid subnet "2001:db8::1/128": a /128 subnet has no room for endpoint addresses; use /127 or shorter',
    );
    refuses(() => v4({ subnet: '0.0.0.0/0' }), 'PB_ERR_INVALID_SUBNET', 'invalid subnet "0.0.0.0/0": a /0 subnet would overlap every other network');
    refuses(() => v6({ subnet: '::/0' }), 'PB_ERR_INVALID_SUBNET', 'invalid subnet "::/0": a /0 subnet would overlap every other network');
  });

  it('refuses an ip range that is malformed, of the other family, or not inside the subnet', () => {
    refuses(() => v4({ subnet: '10.1.0.0/16', ipRange: '10.1.0.0' }), 'PB_ERR_INVALID_SUBNET', 'invalid ip range "10.1.0.0": not a CIDR block');
    refuses(() => v4({ subnet: '10.1.0.0/16', ipRange: '2001:db8::/64' }), 'PB_ERR_INVALID_SUBNET', 'invalid ip range "2001:db8::/64": not an IPv4 CIDR block');
    refuses(() => v4({ subnet: '10.1.0.0/16', ipRange: '10.2.0.0/24' }), 'PB_ERR_INVALID_SUBNET', 'ip range 10.2.0.0/24 is not inside subnet 10.1.0.0/16');
    refuses(() => v4({ subnet: '10.1.0.0/16', ipRange: '10.0.0.0/15' }), 'PB_ERR_INVALID_SUBNET', 'ip range 10.0.0.0/15 is not inside subnet 10.1.0.0/16');
  });

  it('refuses a gateway that is malformed, of the other family, outside, or the network/broadcast address', () => {
    const subnet = '10.1.0.0/16';
    refuses(() => v4({ subnet, gateway: '10.1.0.1/16' }), 'PB_ERR_INVALID_ADDRESS', 'invalid gateway "10.1.0.1/16": not an IP address');
    refuses(() => v4({ subnet, gateway: '2001:db8::1' }), 'PB_ERR_INVALID_ADDRESS', 'invalid gateway "2001:db8::1": not an IPv4 address');
    refuses(() => v4({ subnet, gateway: '10.2.0.1' }), 'PB_ERR_INVALID_ADDRESS', 'gateway 10.2.0.1 is not inside subnet 10.1.0.0/16');
    refuses(() => v4({ subnet, gateway: '10.1.0.0' }), 'PB_ERR_INVALID_ADDRESS', 'gateway 10.1.0.0 is the network address of subnet 10.1.0.0/16');
    refuses(() => v4({ subnet, gateway: '10.1.255.255' }), 'PB_ERR_INVALID_ADDRESS', 'gateway 10.1.255.255 is the broadcast address of subnet 10.1.0.0/16');
    refuses(() => v6({ subnet: '2001:db8::/64', gateway: '2001:db8::' }), 'PB_ERR_INVALID_ADDRESS', 'gateway 2001:db8:: is the network address of subnet 2001:db8::/64');
  });

  it('accepts a gateway outside the ip range but inside the subnet', () => {
    assert.equal(v4({ subnet: '10.1.0.0/16', ipRange: '10.1.128.0/17', gateway: '10.1.0.1' }).gateway, '10.1.0.1');
  });

  it('refuses aux addresses that are malformed, outside, reserved, the gateway, or repeated', () => {
    const subnet = '10.1.0.0/16';
    refuses(() => v4({ subnet, auxAddresses: { db: 'x' } }), 'PB_ERR_INVALID_ADDRESS', 'invalid auxiliary address db "x": not an IP address');
    refuses(() => v4({ subnet, auxAddresses: { db: '10.2.0.5' } }), 'PB_ERR_INVALID_ADDRESS', 'auxiliary address db=10.2.0.5 is not inside subnet 10.1.0.0/16');
    refuses(() => v4({ subnet, auxAddresses: { db: '10.1.255.255' } }), 'PB_ERR_INVALID_ADDRESS', 'auxiliary address db=10.1.255.255 is the broadcast address of subnet 10.1.0.0/16');
    refuses(() => v4({ subnet, gateway: '10.1.0.1', auxAddresses: { db: '10.1.0.1' } }), 'PB_ERR_INVALID_ADDRESS', 'auxiliary address db=10.1.0.1 is the gateway address');
    refuses(
      () => v4({ subnet, auxAddresses: { a: '10.1.0.9', b: '10.1.0.9' } }),
      'PB_ERR_INVALID_ADDRESS',
      'auxiliary address b=10.1.0.9 repeats auxiliary address a',
    );
    refuses(() => v4({ subnet, auxAddresses: { '': '10.1.0.9' } }), 'PB_ERR_INVALID_ADDRESS', 'auxiliary address "=10.1.0.9" has no name');
  });
});
