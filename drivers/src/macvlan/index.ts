import { MACVLAN_MODES, type MacvlanMode } from '@patchbay/kernel';
import { createLowerDriver } from '../lower/driver.js';

/** macvlan: each endpoint a link with its own MAC on the parent (`-o macvlan_mode=bridge|private|vepa|passthru`). */
export const createMacvlanDriver = () =>
  createLowerDriver({
    kind: 'macvlan',
    dummyPrefix: 'dm-',
    modeOption: 'macvlan_mode',
    modes: MACVLAN_MODES,
    flags: [],
    linkOp: ({ name, parent, mode, netns, mtu, mac }) => ({
      op: 'macvlan.add',
      name,
      parent,
      mode: mode as MacvlanMode,
      netns,
      ...(mtu ? { mtu } : {}),
      ...(mac ? { mac } : {}),
    }),
    routesViaDevice: () => false,
    // passthru hands the whole parent (its MAC, promiscuous) to one link
    sharesParentMac: (mode) => mode === 'passthru',
    maxLinksPerParent: (mode) => (mode === 'passthru' ? 1 : undefined),
  });
