import { PatchbayError } from '@patchbay/errors';
import type { EndpointRecord, NetworkRecord, SandboxRecord, Store } from '../store/index.js';

const HEX = /^[0-9a-f]+$/;

/** Network by exact id, then exact name, then unique id prefix (Docker's order). */
export function findNetwork(store: Store, ref: string): NetworkRecord {
  const n = store.networkById(ref) ?? store.networkByName(ref);
  if (n) return n;
  if (HEX.test(ref)) {
    const byPrefix = store.networksByIdPrefix(ref);
    if (byPrefix.length > 1) {
      throw new PatchbayError('PB_ERR_AMBIGUOUS', `network ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    }
    if (byPrefix[0]) return byPrefix[0];
  }
  throw new PatchbayError('PB_ERR_NETWORK_NOT_FOUND', `network ${ref} not found`);
}

/** Sandbox by id, name, container id, then unique id prefix. */
export function findSandbox(store: Store, ref: string): SandboxRecord {
  const s = store.sandboxById(ref) ?? store.sandboxByName(ref);
  if (s) return s;
  const byContainer = store.sandboxesByContainer(ref);
  if (byContainer.length === 1) return byContainer[0]!;
  if (HEX.test(ref)) {
    const byPrefix = store.sandboxesByIdPrefix(ref);
    if (byPrefix.length > 1) throw new PatchbayError('PB_ERR_AMBIGUOUS', `sandbox ${ref} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    if (byPrefix[0]) return byPrefix[0];
  }
  throw new PatchbayError('PB_ERR_SANDBOX_NOT_FOUND', `sandbox ${ref} not found`);
}

/** Endpoint of a network by id, name, then unique id prefix. */
export function findEndpoint(store: Store, network: NetworkRecord, ref: string): EndpointRecord {
  const e = store.endpointById(ref);
  if (e && e.networkId === network.id) return e;
  const byName = store.endpointByName(network.id, ref);
  if (byName) return byName;
  if (HEX.test(ref)) {
    const byPrefix = store.endpointsByIdPrefix(ref).filter((x) => x.networkId === network.id);
    if (byPrefix.length > 1) throw new PatchbayError('PB_ERR_AMBIGUOUS', `endpoint ${ref} is ambiguous`);
    if (byPrefix[0]) return byPrefix[0];
  }
  throw new PatchbayError('PB_ERR_ENDPOINT_NOT_FOUND', `endpoint ${ref} not found in network ${network.name}`);
}
