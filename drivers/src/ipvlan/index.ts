import { IPVLAN_FLAGS, IPVLAN_MODES, type IpvlanFlag, type IpvlanMode } from '@patchbay/kernel';
import { createLowerDriver } from '../lower/driver.js';

/**
 * ipvlan: endpoints share the parent's MAC (`-o ipvlan_mode=l2|l3|l3s`, `-o ipvlan_flag=bridge|private|vepa`).
 * In l3 and l3s the parent routes: no gateway, the default route goes through the device.
 */
export const createIpvlanDriver = () =>
  createLowerDriver({
    kind: 'ipvlan',
    dummyPrefix: 'di-',
    modeOption: 'ipvlan_mode',
    modes: IPVLAN_MODES,
    flagOption: 'ipvlan_flag',
    flags: IPVLAN_FLAGS,
    linkOp: ({ name, parent, mode, flag, netns, mtu }) => ({
      op: 'ipvlan.add',
      name,
      parent,
      mode: mode as IpvlanMode,
      netns,
      ...(flag ? { flag: flag as IpvlanFlag } : {}),
      ...(mtu ? { mtu } : {}),
    }),
    routesViaDevice: (mode) => mode !== 'l2',
    sharesParentMac: () => true,
    maxLinksPerParent: () => undefined,
  });
