import { PatchbayError } from '@patchbay/errors';
import { DETACHED, type EndpointPlacement, type EndpointRecord, type NetworkRecord } from '../store/index.js';
import { isUniqueViolation, type Core } from './core.js';
import { driverNetwork } from './driver-objects.js';
import { macFor, newId, nowRfc3339Nano } from './ids.js';
import { assignPorts, type PortRequest } from './ports.js';

export interface CreateEndpointInput {
  /** the caller's id (Docker's remote driver: the EndpointID dockerd chose); default a new one */
  id?: string;
  name: string;
  ipv4Address?: string;
  ipv6Address?: string;
  macAddress?: string;
  ports?: PortRequest[];
  aliases?: string[];
  /**
   * The requested addresses may already be held by an IpamDriver.RequestAddress (dockerd asks the
   * IPAM driver first, then creates the endpoint with that address): the endpoint takes such an
   * allocation over instead of claiming the address again.
   */
  adoptRequestedAddresses?: boolean;
}

/** An endpoint with its addresses claimed, not yet written: store() writes it, release() gives the addresses back. */
export interface PreparedEndpoint {
  readonly record: EndpointRecord;
  /** the network takes a limited number of endpoints (checked when the row is written) */
  readonly limited: boolean;
  /** The row (where it is placed, if joined) and its ports, in one transaction; throws (nothing written) when refused. */
  store(placement?: EndpointPlacement): EndpointRecord;
  /** After a refused store() or when the endpoint is given up before it: its addresses go back. */
  release(): Promise<void>;
}

/** Checked in the transaction that inserts the endpoint, so two creates cannot both pass. */
function checkEndpointLimit(net: NetworkRecord, existing: EndpointRecord[], limit: { max: number; reason: string }) {
  if (existing.length < limit.max) return;
  const names = existing.map((e) => e.name).join(', ');
  throw new PatchbayError('PB_ERR_PARENT_IN_USE', `network ${net.name} takes no more endpoints: ${limit.reason}, and it has ${names}`);
}

const nameTaken = (net: NetworkRecord, name: string, cause?: unknown) =>
  new PatchbayError('PB_ERR_ENDPOINT_EXISTS', `endpoint with name ${name} already exists in network ${net.name}`, cause === undefined ? undefined : { cause });

/**
 * The endpoint's checks and its addresses (claimed in the IPAM store), before its row: a connect
 * writes the row while the kernel makes the link. A crash before the row is written leaves the
 * addresses (and a link) to reconcile.
 */
export async function prepareEndpoint(core: Core, net: NetworkRecord, input: CreateEndpointInput, range: [number, number], state: 'ready' | 'creating'): Promise<PreparedEndpoint> {
  const { store, registry, ipam } = core;
  const driver = registry.get(net.driver);
  if (store.endpointByName(net.id, input.name)) throw nameTaken(net, input.name);
  const publishes = () => driver.firewallFacts?.(driverNetwork(store, net))?.publishesPorts === true;
  if ((input.ports?.length ?? 0) > 0 && net.internal) throw new PatchbayError('PB_ERR_FORBIDDEN', `ports cannot be published on internal network ${net.name}`);
  if ((input.ports?.length ?? 0) > 0 && !publishes()) {
    // macvlan, ipvlan: the endpoint is on the LAN itself, nothing to publish through the host
    throw new PatchbayError('PB_ERR_INVALID_OPTION', `ports cannot be published on network ${net.name}: network driver ${net.driver} does not publish ports`);
  }
  const limit = driver.endpointLimit?.(driverNetwork(store, net));
  const id = input.id ?? newId();
  const requested = { ipv4: input.ipv4Address, ipv6: input.ipv6Address };
  const addrs = driver.usesIpam ? await ipam.allocateEndpoint(net.id, net.name, { id, name: input.name }, requested, { adopt: input.adoptRequestedAddresses === true }) : undefined;
  const record: EndpointRecord = {
    id,
    networkId: net.id,
    name: input.name,
    ...DETACHED,
    mac: driver.usesIpam ? (input.macAddress ?? macFor(addrs?.ipv4)) : null,
    ipv4: addrs?.ipv4 ?? null,
    ipv6: addrs?.ipv6 ?? null,
    aliases: input.aliases ?? [],
    created: nowRfc3339Nano(),
    state,
  };
  let settled = false;
  const settle = () => {
    if (!settled) addrs?.done();
    settled = true;
  };
  return {
    record,
    limited: limit !== undefined,
    store(placement = DETACHED) {
      try {
        const written = store.tx(() => {
          if (store.networkById(net.id)?.state !== 'ready') throw new PatchbayError('PB_ERR_NETWORK_NOT_FOUND', `network ${net.name} not found (it is being removed)`);
          if (limit) checkEndpointLimit(net, store.endpointsOf(net.id), limit);
          const row = { ...record, ...placement };
          store.insertEndpoint(row);
          assignPorts(store, id, input.ports ?? [], range);
          return row;
        });
        settle();
        return written;
      } catch (err) {
        throw isUniqueViolation(err) ? nameTaken(net, input.name, err) : err;
      }
    },
    async release() {
      if (settled) return;
      try {
        await addrs?.undo();
      } finally {
        settle();
      }
    },
  };
}

/**
 * Addresses first (claimed in the IPAM store), then the endpoint row and ports in one
 * transaction; a failed write gives the addresses back.
 */
export async function insertEndpoint(core: Core, net: NetworkRecord, input: CreateEndpointInput, range: [number, number], state: 'ready' | 'creating' = 'ready'): Promise<EndpointRecord> {
  const prepared = await prepareEndpoint(core, net, input, range, state);
  try {
    return prepared.store();
  } catch (err) {
    await prepared.release();
    throw err;
  }
}
