import { requireIsolatedNamespace } from '../../test/helpers/isolation.js';
requireIsolatedNamespace();

import { createRealKernel } from '@patchbay/kernel';
import { createBuiltinRegistry } from '../src/index.js';
import { driverContract } from './contract.js';

// macvlan and ipvlan sit on a parent this test makes: one end of a veth pair, up (this
// namespace is the test's own). A link type the kernel lacks (ipvlan here) is left out: its
// refusal is tested in test/integration/macvlan.int.test.ts.
const kernel = createRealKernel();
await kernel.ip(null, [
  { op: 'veth.add', name: 'pbdcpar0', peer: 'pbdcpar1', peerNetns: null },
  { op: 'link.set', name: 'pbdcpar0', up: true },
  { op: 'link.set', name: 'pbdcpar1', up: true },
]);
const missing = new Set<string>();
for (const kind of ['macvlan', 'ipvlan'] as const) if (!(await kernel.supportsLinkKind(kind))) missing.add(kind);

driverContract(
  'real kernel',
  () => createBuiltinRegistry().all().filter((d) => !missing.has(d.name)),
  () => createRealKernel(),
  { macvlan: { parent: 'pbdcpar0' }, ipvlan: { parent: 'pbdcpar1' } },
);
