/** Deterministic kernel names, so teardown and recovery can recompute them without state. */
export const bridgeNameFor = (networkId: string) => `pb-${networkId.slice(0, 12)}`;
export const hostVethFor = (endpointId: string) => `pbv${endpointId.slice(0, 12)}`;
/** A left endpoint's peer in the sandbox, until the reaper deletes its retired host end. */
export const retiredPeerFor = (endpointId: string) => `pbr${endpointId.slice(0, 12)}`;
export const PATCHBAY_LINK_PREFIXES = ['pb-', 'pbv'] as const;
