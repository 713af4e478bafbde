import { createFakeKernel } from '@patchbay/kernel';
import { createBuiltinRegistry } from '../src/index.js';
import { driverContract } from './contract.js';

driverContract('fake kernel', () => createBuiltinRegistry().all(), () => createFakeKernel());

// macvlan and ipvlan on a host interface, and on an 802.1Q sub-interface the driver makes
const onLan = () => createBuiltinRegistry().all().filter((d) => d.name === 'macvlan' || d.name === 'ipvlan');
const withEth0 = () => createFakeKernel({ hostLinks: [{ name: 'eth0', up: true }] });
driverContract('fake kernel, parent eth0', onLan, withEth0, { macvlan: { parent: 'eth0' }, ipvlan: { parent: 'eth0' } });
driverContract('fake kernel, parent eth0.10', onLan, withEth0, { macvlan: { parent: 'eth0.10' }, ipvlan: { parent: 'eth0.10' } });
driverContract('fake kernel, ipvlan l3', () => onLan().filter((d) => d.name === 'ipvlan'), withEth0, { ipvlan: { parent: 'eth0', ipvlan_mode: 'l3' } });
