import type { Endpoint, Sandbox } from '@patchbay/api';
import type { Controller } from '../controller/index.js';
import { sandboxDnsConfig } from '../controller/sandbox-dns.js';
import type { StoreWrite } from '../store/index.js';
import type { Views } from './views.js';

/**
 * An endpoint's view as UTF-8 JSON, less what each request reads afresh: `head` is the view up to
 * its MAC address (no closing brace), `tail` its ports, aliases and creation time (no braces). The
 * gateway (the network's pools), the CNI attachment (the sandbox's origin) and DNS (the DNS
 * service) go between and after them. (Buffers: an answer is their concatenation, copied once,
 * where a string of megabytes built from pieces is flattened, then encoded, on its way out.)
 */
interface EndpointEntry {
  head: Buffer;
  tail: Buffer;
  networkId: string;
  sandboxId: string | null;
  ifName: string | null;
}

/**
 * A sandbox's view as JSON less its DNS (no closing brace); its endpoints' ids, and their networks
 * in interface order (what its DNS is worked out from).
 */
interface SandboxEntry {
  head: Buffer;
  endpointIds: string[];
  networkIds: string;
}

/** More misses than this are built from one read of every row instead of a query each. */
const BATCH_MISSES = 32;

/**
 * GET /v1/endpoints and GET /v1/sandboxes as JSON, from views serialized once per item and kept
 * until the store writes a row they are made of (the store tells `onWrite`; a network write drops
 * them all). After a write the store says again which items a list holds and in what order (one
 * query of ids), and only the items not kept are built, as the single-item route builds them.
 * Between writes a list's entries stay in order, and its last answer is given again while what
 * each request reads afresh (gateways, DNS, CNI attachments) is unchanged: a read of 10,000
 * endpoints then costs a few small queries. Returns the lists and `close` (stops listening).
 */
export function createListViews(controller: Controller, views: Views) {
  const { core } = controller;
  const { store } = core;
  const endpoints = new Map<string, EndpointEntry>();
  const sandboxes = new Map<string, SandboxEntry>();
  /** the kept sandbox view each endpoint appears in */
  const sandboxOfEndpoint = new Map<string, string>();
  /** every endpoint's and sandbox's entry in list order, until a write drops one (a list read then allocates little but its answer) */
  let endpointOrder: EndpointEntry[] | undefined;
  let sandboxOrder: SandboxEntry[] | undefined;
  const endpointAnswer = lastAnswer();
  const sandboxAnswer = lastAnswer();

  function dropSandbox(id: string): void {
    const entry = sandboxes.get(id);
    if (!entry) return;
    for (const ep of entry.endpointIds) sandboxOfEndpoint.delete(ep);
    sandboxes.delete(id);
    sandboxOrder = undefined;
  }

  function forget(w: StoreWrite): void {
    if (w.kind === 'network') {
      endpoints.clear();
      sandboxes.clear();
      sandboxOfEndpoint.clear();
      endpointOrder = sandboxOrder = undefined;
    } else if (w.kind === 'sandbox') {
      dropSandbox(w.id);
      // a sandbox made or removed changes the list, kept views or not
      sandboxOrder = undefined;
    } else {
      endpoints.delete(w.id);
      endpointOrder = undefined;
      const was = sandboxOfEndpoint.get(w.id);
      if (was) dropSandbox(was);
      if (w.sandboxId) dropSandbox(w.sandboxId);
    }
  }
  const close = store.onWrite(forget);

  function keepEndpoint(view: Endpoint): EndpointEntry {
    const { gateway: _gateway, ports, aliases, created, cni: _cni, dns: _dns, ...head } = view;
    const entry = {
      head: Buffer.from(JSON.stringify(head).slice(0, -1)),
      tail: Buffer.from(JSON.stringify({ ports, aliases, created }).slice(1, -1)),
      networkId: view.networkId,
      sandboxId: view.sandboxId,
      ifName: view.ifName,
    };
    endpoints.set(view.id, entry);
    return entry;
  }

  /** (a sandbox's view lists its endpoints in interface order, the order its DNS merges them in) */
  function keepSandbox(view: Sandbox): SandboxEntry {
    const { dns: _dns, ...head } = view;
    const entry = { head: Buffer.from(JSON.stringify(head).slice(0, -1)), endpointIds: view.endpoints.map((e) => e.id), networkIds: view.endpoints.map((e) => e.networkId).join(',') };
    sandboxes.set(view.id, entry);
    for (const id of entry.endpointIds) sandboxOfEndpoint.set(id, view.id);
    return entry;
  }

  /** The kept entries of `ids`, building the missing ones (`all` reads every row once when many are missing). */
  function entriesOf<E>(ids: readonly string[], kept: Map<string, E>, one: (id: string) => void, all: (missing: Set<string>) => void): E[] {
    const entries: (E | undefined)[] = ids.map((id) => kept.get(id));
    const missing = new Set(ids.filter((_, i) => entries[i] === undefined));
    if (missing.size === 0) return entries as E[];
    if (missing.size > BATCH_MISSES) all(missing);
    else for (const id of missing) one(id);
    return ids.map((id) => kept.get(id)!);
  }

  /** The entries of every endpoint (or of a network's) in list order, built where not kept. */
  function endpointEntries(networkId?: string): EndpointEntry[] {
    return entriesOf(
      store.endpointIdsInOrder(networkId),
      endpoints,
      (id) => keepEndpoint(views.endpoint(store.endpointById(id)!)),
      (missing) => {
        const rows = (networkId === undefined ? store.endpoints() : store.endpointsOf(networkId)).filter((e) => missing.has(e.id));
        for (const view of views.endpointList(rows)) keepEndpoint(view);
      },
    );
  }

  /** GET /v1/endpoints (or a network's endpoints) as JSON. */
  function endpointsJson(networkId?: string): Buffer {
    const entries = networkId === undefined ? (endpointOrder ??= endpointEntries()) : endpointEntries(networkId);
    const gatewayIps = new Map<string, string | null>();
    for (const p of store.pools()) if (p.networkId && p.family === 4 && !gatewayIps.has(p.networkId)) gatewayIps.set(p.networkId, p.gateway ?? null);
    const cni = new Map(store.sandboxesWithOrigin().filter((sb) => sb.origin === 'cni').map((sb) => [sb.id, sb.containerId]));
    const gatewayOf = memo((networkId: string) => `,"gateway":${JSON.stringify(gatewayIps.get(networkId) ?? null)},`);
    const dnsOf = memo((networkId: string) => {
      const dns = core.dns.clientConfig(networkId);
      return dns ? `,"dns":${JSON.stringify(dns)}}` : '}';
    });
    const build = () => {
      const [gateway, dns] = [memo((id: string) => Buffer.from(gatewayOf(id))), memo((id: string) => Buffer.from(dnsOf(id)))];
      return jsonArray(entries, (e, put) => {
        e.head = put(e.head);
        put(gateway(e.networkId));
        e.tail = put(e.tail);
        if (e.sandboxId !== null && e.ifName !== null && cni.has(e.sandboxId)) put(Buffer.from(`,"cni":${JSON.stringify({ containerId: cni.get(e.sandboxId), ifName: e.ifName })}`));
        put(dns(e.networkId));
      });
    };
    if (networkId !== undefined) return build();
    const networkIds = [...new Set(entries.map((e) => e.networkId))];
    return endpointAnswer(entries, `${networkIds.map((id) => gatewayOf(id) + dnsOf(id)).join('')}${JSON.stringify([...cni])}`, build);
  }

  function sandboxesJson(): Buffer {
    const entries = (sandboxOrder ??= entriesOf(
      store.sandboxIds(),
      sandboxes,
      (id) => keepSandbox(views.sandbox(store.sandboxById(id)!)),
      (missing) => {
        for (const view of views.sandboxList(store.sandboxes().filter((sb) => missing.has(sb.id)))) keepSandbox(view);
      },
    ));
    const dnsOf = memo((networkIds: string) => {
      const dns = networkIds === '' ? undefined : sandboxDnsConfig(core, networkIds.split(',').map((networkId, ifIndex) => ({ networkId, ifIndex })));
      return dns ? `,"dns":${JSON.stringify(dns)}}` : '}';
    });
    const build = () => {
      const dns = memo((networkIds: string) => Buffer.from(dnsOf(networkIds)));
      return jsonArray(entries, (e, put) => {
        e.head = put(e.head);
        put(dns(e.networkIds));
      });
    };
    return sandboxAnswer(entries, [...new Set(entries.map((e) => e.networkIds))].map(dnsOf).join(''), build);
  }

  return { endpointsJson, sandboxesJson, close };
}
export type ListViews = ReturnType<typeof createListViews>;

const [OPEN, COMMA, CLOSE] = [...Buffer.from('[,]')];

/**
 * A JSON array of `entries` made of the pieces `pieces` puts for each, written into one buffer:
 * a first walk adds up the length, a second copies (no array of every piece is built). `put`
 * returns where the piece now is in the answer: an entry that keeps that instead of its own copy
 * lets the copy go, so a list's kept views and its last answer share one buffer.
 */
function jsonArray<E>(entries: readonly E[], pieces: (entry: E, put: (piece: Buffer) => Buffer) => void): Buffer {
  let length = Math.max(2, entries.length + 1);
  const count = (piece: Buffer) => {
    length += piece.length;
    return piece;
  };
  for (const e of entries) pieces(e, count);
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  const put = (piece: Buffer) => {
    out.set(piece, at);
    at += piece.length;
    return out.subarray(at - piece.length, at);
  };
  out[at++] = OPEN!;
  entries.forEach((e, i) => {
    if (i > 0) out[at++] = COMMA!;
    pieces(e, put);
  });
  out[at++] = CLOSE!;
  if (at !== length) throw new Error(`list JSON: wrote ${at} bytes of ${length}`);
  return out;
}

/**
 * The last answer of a list, given again while its entries are the same array (no write dropped
 * one since) and what a request reads afresh (`inputs`: gateways, DNS, CNI attachments) is unchanged.
 */
function lastAnswer() {
  let last: { entries: readonly unknown[]; inputs: string; json: Buffer } | undefined;
  return (entries: readonly unknown[], inputs: string, build: () => Buffer): Buffer => {
    if (last?.entries === entries && last.inputs === inputs) return last.json;
    last = { entries, inputs, json: build() };
    return last.json;
  };
}

/** `fn` with its answers kept for the lifetime of the returned function (one request). */
function memo<T>(fn: (key: string) => T): (key: string) => T {
  const answers = new Map<string, T>();
  return (key) => {
    let answer = answers.get(key);
    if (answer === undefined && !answers.has(key)) answers.set(key, (answer = fn(key)));
    return answer as T;
  };
}
