import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCniIpam, poolRequestOf } from '../src/cni/ipam-config.js';

const pool = (ipam: Record<string, unknown>) => poolRequestOf(parseCniIpam(ipam)!);

describe('CNI ipam → patchbay pool', () => {
  it('the whole subnet: no range, gateway the first usable address (host-local’s defaults)', () => {
    assert.deepEqual(pool({ subnet: '10.1.0.0/24' }), { subnet: '10.1.0.0/24', gateway: '10.1.0.1' });
    assert.deepEqual(pool({ subnet: '10.1.0.0/24', rangeStart: '10.1.0.2', rangeEnd: '10.1.0.254' }), { subnet: '10.1.0.0/24', gateway: '10.1.0.1' });
    assert.deepEqual(pool({ subnet: '10.1.0.9/24', gateway: '10.1.0.254' }), { subnet: '10.1.0.0/24', gateway: '10.1.0.254' });
  });

  it('a range that is a CIDR block, give or take a few addresses at its ends', () => {
    assert.deepEqual(pool({ subnet: '10.1.0.0/24', rangeStart: '10.1.0.64', rangeEnd: '10.1.0.127' }), { subnet: '10.1.0.0/24', gateway: '10.1.0.1', ipRange: '10.1.0.64/26' });
    assert.deepEqual(pool({ subnet: '10.1.0.0/24', rangeStart: '10.1.0.65', rangeEnd: '10.1.0.126' }), {
      subnet: '10.1.0.0/24',
      gateway: '10.1.0.1',
      ipRange: '10.1.0.64/26',
      auxAddresses: { 'cni-outside-range-0': '10.1.0.64', 'cni-outside-range-1': '10.1.0.127' },
    });
    assert.deepEqual(pool({ subnet: 'fd00:1::/64', rangeStart: 'fd00:1::100', rangeEnd: 'fd00:1::1ff' }), { subnet: 'fd00:1::/64', gateway: 'fd00:1::1', ipRange: 'fd00:1::100/120' });
  });

  it('refuses what a CIDR range cannot say, unknown fields and other routes', () => {
    assert.throws(() => pool({ subnet: '10.1.0.0/24', rangeStart: '10.1.0.100', rangeEnd: '10.1.0.200' }), /unsupported range 10\.1\.0\.100-10\.1\.0\.200/);
    assert.throws(() => pool({ subnet: '10.1.0.0/24', rangeStart: '10.1.0.200', rangeEnd: '10.1.0.100' }), /is after/);
    assert.throws(() => pool({ subnet: '10.1.0.0/24', rangeStart: '10.2.0.1' }), /not an address of subnet/);
    assert.throws(() => parseCniIpam({ subnet: '10.1.0.0/24', dataDir: '/x' }), (e: Error & { code?: string }) => e.code === 'PB_ERR_CNI_UNSUPPORTED_FIELD' && /ipam\.dataDir/.test(e.message));
    assert.deepEqual(pool({ subnet: '10.1.0.0/24', routes: [{ dst: '0.0.0.0/0' }, { dst: '0.0.0.0/0', gw: '10.1.0.1' }] }).gateway, '10.1.0.1');
    assert.throws(() => pool({ subnet: '10.1.0.0/24', routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.9' }] }), /unsupported route/);
  });
});
