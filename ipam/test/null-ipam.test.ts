import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertNullIpamConfig, ipamDriverNames, isNullIpam, nullIpam, resolveIpamDriver } from '../src/index.js';

describe('IPAM drivers', () => {
  it('knows default and null; empty means default', () => {
    assert.deepEqual(ipamDriverNames, ['default', 'null']);
    assert.equal(resolveIpamDriver(undefined), 'default');
    assert.equal(resolveIpamDriver(''), 'default');
    assert.equal(resolveIpamDriver('null'), 'null');
    assert.throws(() => resolveIpamDriver('dhcp'), { code: 'PB_ERR_DRIVER_NOT_FOUND', message: 'ipam driver "dhcp" not found' });
  });

  it('the null driver assigns nothing and takes no pool requests', () => {
    assert.equal(isNullIpam('null'), true);
    assert.equal(isNullIpam('default'), false);
    assert.equal(isNullIpam(undefined), false);
    assert.equal(nullIpam.assignsAddresses, false);
    assert.doesNotThrow(() => assertNullIpamConfig([]));
    assert.throws(() => assertNullIpamConfig([{ subnet: '10.0.0.0/24' }]), {
      code: 'PB_ERR_INVALID_OPTION',
      message: 'null ipam driver does not handle specific address pool requests',
    });
    assert.throws(() => assertNullIpamConfig([{ auxAddresses: { a: '10.0.0.1' } }]), { code: 'PB_ERR_INVALID_OPTION' });
  });
});
