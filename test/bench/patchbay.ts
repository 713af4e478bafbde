import type { Network, Sandbox } from '@patchbay/api';
import type { UnixHttpClient } from './http.js';
import type { Slot } from './netns.js';
import type { AttachSide, NetworkSide, SandboxSide } from './sides.js';

/**
 * patchbay through its API, exactly the calls an engine makes: the namespace is adopted as a
 * sandbox beforehand (untimed, like creating the netns for the other sides), then only
 * POST /v1/networks/{net}/connect and …/disconnect are timed.
 */
export function createPatchbayAttachSide(
  client: UnixHttpClient,
  o: { network: string; subnet: string; options?: Record<string, string> } & Pick<AttachSide, 'metrics' | 'slotPrefix'>,
): AttachSide {
  const sandboxes = new Map<number, string>();
  let networkId = '';
  const sandboxOf = (slot: Slot): string => {
    const id = sandboxes.get(slot.id);
    if (!id) throw new Error(`no sandbox adopted for ${slot.name}`);
    return id;
  };
  return {
    key: 'patchbay',
    ...(o.metrics && { metrics: o.metrics }),
    ...(o.slotPrefix && { slotPrefix: o.slotPrefix }),
    async setup() {
      networkId = (await createNetwork(client, o.network, o.subnet, o.options)).id;
    },
    async prepare(slot) {
      const sandbox = await client.call<Sandbox>('POST', '/v1/sandboxes', { netnsPath: slot.path });
      sandboxes.set(slot.id, sandbox.id);
    },
    async attach(slot) {
      await client.call('POST', `/v1/networks/${networkId}/connect`, { sandbox: sandboxOf(slot) });
    },
    async detach(slot) {
      await client.call('POST', `/v1/networks/${networkId}/disconnect`, { sandbox: sandboxOf(slot) });
    },
    async release(slot) {
      await client.call('DELETE', `/v1/sandboxes/${sandboxOf(slot)}`);
      sandboxes.delete(slot.id);
    },
    async teardown() {
      await client.call('DELETE', `/v1/networks/${networkId}`);
    },
  };
}

export function createNetwork(client: UnixHttpClient, name: string, subnet: string, options: Record<string, string> = {}): Promise<Network> {
  return client.call<Network>('POST', '/v1/networks', { name, ipam: { config: [{ subnet }] }, options });
}

export function createPatchbayNetworkSide(client: UnixHttpClient, o: { namePrefix: string; subnetOf: (index: number) => string }): NetworkSide {
  const ids = new Map<number, string>();
  return {
    key: 'patchbay',
    async createNetwork(index) {
      ids.set(index, (await createNetwork(client, `${o.namePrefix}${index}`, o.subnetOf(index))).id);
    },
    async deleteNetwork(index) {
      await client.call('DELETE', `/v1/networks/${ids.get(index) ?? `${o.namePrefix}${index}`}`);
      ids.delete(index);
    },
  };
}

/** A sandbox with a namespace of its own: POST /v1/sandboxes {name}, DELETE /v1/sandboxes/{id}. */
export function createPatchbaySandboxSide(client: UnixHttpClient, namePrefix: string): SandboxSide {
  const ids = new Map<number, string>();
  return {
    key: 'patchbay',
    async createSandbox(index) {
      ids.set(index, (await client.call<Sandbox>('POST', '/v1/sandboxes', { name: `${namePrefix}${index}` })).id);
    },
    async deleteSandbox(index) {
      await client.call('DELETE', `/v1/sandboxes/${ids.get(index) ?? `${namePrefix}${index}`}`);
      ids.delete(index);
    },
  };
}

const NFT_STRUCTURE = /^\s*(table|chain|set|map|flowtable|type|policy|flags|elements|comment|\}|#|$)/;

/**
 * Counts rule lines in an nft listing: every line that is not table/chain/set structure.
 * Continuation lines of a multi-line `elements = { … }` are set contents, not rules.
 */
export function countNftRules(listing: string): number {
  let rules = 0;
  let inElements = false;
  for (const line of listing.split('\n')) {
    if (inElements) {
      if (line.includes('}')) inElements = false;
      continue;
    }
    if (/^\s*elements\s*=\s*\{/.test(line) && !line.includes('}')) inElements = true;
    else if (!NFT_STRUCTURE.test(line)) rules++;
  }
  return rules;
}

/** The rules patchbay reports (GET /v1/firewall/rules, text), counted as rule lines. */
export async function patchbayRuleCount(client: UnixHttpClient): Promise<number> {
  const text = await client.call<unknown>('GET', '/v1/firewall/rules');
  return countNftRules(typeof text === 'string' ? text : JSON.stringify(text, null, 1));
}
