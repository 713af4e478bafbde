import { createFakeKernel } from '@patchbay/kernel';
import { createBuiltinRegistry, createOverlayDriver, VXLAN_ID_OPTION } from '../src/index.js';
import { driverContract } from './contract.js';

// macvlan and ipvlan on a host interface eth0 (a network without parent is internal: unit-tested
// in lower.test.ts), and on an 802.1Q sub-interface the driver makes
const withEth0 = () => createFakeKernel({ hostLinks: [{ name: 'eth0', up: true }] });
const onLan = () => createBuiltinRegistry().all().filter((d) => d.name === 'macvlan' || d.name === 'ipvlan');
driverContract('fake kernel', () => createBuiltinRegistry().all(), withEth0, { macvlan: { parent: 'eth0' }, ipvlan: { parent: 'eth0' } });
driverContract('fake kernel, parent eth0.10', onLan, withEth0, { macvlan: { parent: 'eth0.10' }, ipvlan: { parent: 'eth0.10' } });
// ipvlan l3: no gateway, the default route goes through the device (the parent routes)
const ipvlanOnly = () => createBuiltinRegistry().all().filter((d) => d.name === 'ipvlan');
driverContract('fake kernel, ipvlan l3', ipvlanOnly, withEth0, { ipvlan: { parent: 'eth0', ipvlan_mode: 'l3' } }, ['ipvlan']);
driverContract('fake kernel, ipvlan l3s on eth0.10', ipvlanOnly, withEth0, { ipvlan: { parent: 'eth0.10', ipvlan_mode: 'l3s' } }, ['ipvlan']);
// overlay in a cluster: this host's VTEP and underlay MTU come with the context, the VNI with the network
driverContract('fake kernel, in a cluster', () => [createOverlayDriver()], withEth0, { overlay: { [VXLAN_ID_OPTION]: '4096' } }, [], {
  cluster: { localAddress: '192.0.2.1', underlayMtu: 1500 },
});
