import assert from 'node:assert/strict';
import { it } from 'node:test';
import { formatMac, isMulticastMac, tryParseMac } from '../src/index.js';

it('MAC addresses: six octets in either case, printed lowercase; anything else refused', () => {
  assert.deepEqual([...tryParseMac('02:42:AC:11:00:02')!], [0x02, 0x42, 0xac, 0x11, 0x00, 0x02]);
  assert.equal(formatMac(tryParseMac('02:42:AC:11:00:02')!), '02:42:ac:11:00:02');
  for (const bad of ['02:42:ac:11:00', '02:42:ac:11:00:02:03', '02-42-ac-11-00-02', '2:42:ac:11:0:2', ' 02:42:ac:11:00:02', '02:42:ac:11:00:0g']) {
    assert.equal(tryParseMac(bad), undefined, bad);
  }
  assert.equal(formatMac([0xfe, 0x80, 0, 0]), 'fe:80:00:00');
  assert.equal(isMulticastMac(tryParseMac('01:00:5e:00:00:01')!), true);
  assert.equal(isMulticastMac(tryParseMac('ff:ff:ff:ff:ff:ff')!), true);
  assert.equal(isMulticastMac(tryParseMac('02:42:ac:11:00:02')!), false);
});
