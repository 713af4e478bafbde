/** Kernel names of an overlay network on each host: the same on every host (from the network id). */
export const overlayBridgeFor = (networkId: string) => `pbo${networkId.slice(0, 12)}`;
export const overlayVxlanFor = (networkId: string) => `pbx${networkId.slice(0, 12)}`;
export const OVERLAY_LINK_PREFIXES = ['pbo', 'pbx'] as const;

/** Docker's overlay option naming the VNI; the cluster fills it in when the network is created. */
export const VXLAN_ID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
/** IANA's VXLAN port (the kernel's default is Linux's old 8472) */
export const VXLAN_PORT = 4789;
/** what VXLAN over IPv4 adds to a frame: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 */
export const VXLAN_OVERHEAD = 50;
