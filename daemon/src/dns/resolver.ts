/**
 * What one network's server answers (the rules match aardvark-dns, podman's resolver):
 * - A/AAAA/ANY for names on this network, PTR for their addresses: authoritative answers; a known
 *   name asked for a type it lacks gets NOERROR without records (NODATA), never NXDOMAIN. A client
 *   whose sandbox is on other networks too also gets those networks' names (this one first).
 * - A name not on this network that is single-label (`db`) or in the search domain
 *   (`db.patchbay.internal`) gets NXDOMAIN here and is never forwarded: another network's names
 *   neither resolve nor leave the host.
 * - `internal` networks forward nothing: every other name is NXDOMAIN too (aardvark's answer).
 * - Everything else goes to the host's resolvers, and their reply back unchanged; SERVFAIL when
 *   none answers.
 * - A client outside the network's subnets gets REFUSED (the gateway address is reachable from
 *   other networks through the host; they must not learn this network's names).
 */
import type { BlockList } from 'node:net';
import { isIPv6 } from 'node:net';
import type { Answer } from 'dns-packet';
import { addressOfReverseName, canonicalName, inOwnZone, isSingleLabel, SEARCH_DOMAIN } from './names.js';
import type { RecordIndex } from './records.js';
import type { Forwarder } from './upstream.js';
import { buildReply, decodeQuery, headerReply, inspectHeader, Rcode, replyLimit } from './wire.js';

/** Short, as aardvark's: containers come and go, and the resolver is local anyway. */
export const RECORD_TTL = 60;

export interface NetworkView {
  networkId: string;
  internal: boolean;
  records: RecordIndex;
  forwarder: Forwarder;
  /** The network's subnets; clients outside them are refused. Undefined: anyone may ask. */
  clients?: BlockList;
}

export type Transport = 'udp' | 'tcp';

function answersIn(view: NetworkView, networkId: string, name: string, type: string): Answer[] | undefined {
  const record = (t: 'A' | 'AAAA', data: string): Answer => ({ type: t, name, ttl: RECORD_TTL, class: 'IN', data });
  if (type === 'PTR') {
    const address = addressOfReverseName(canonicalName(name));
    const target = address === undefined ? undefined : view.records.reverse(networkId, address);
    return target === undefined ? undefined : [{ type: 'PTR', name, ttl: RECORD_TTL, class: 'IN', data: target }];
  }
  const v4 = view.records.lookup(networkId, name, 4);
  if (v4 === undefined) return undefined;
  if (type === 'A') return v4.map((a) => record('A', a));
  const v6 = view.records.lookup(networkId, name, 6) ?? [];
  if (type === 'AAAA') return v6.map((a) => record('AAAA', a));
  if (type === 'ANY') return [...v4.map((a) => record('A', a)), ...v6.map((a) => record('AAAA', a))];
  return [];
}

/** The first of the client's networks that knows the name answers (Docker's order: this one first). */
function localAnswers(view: NetworkView, client: string, name: string, type: string): Answer[] | undefined {
  for (const networkId of view.records.networksOf(view.networkId, client)) {
    const answers = answersIn(view, networkId, name, type);
    if (answers !== undefined) return answers;
  }
  return undefined;
}

/**
 * The reply to one raw query from `client`, or undefined to stay silent (too short to answer, or
 * itself a response). Never throws for any input.
 */
export async function answerQuery(view: NetworkView, raw: Buffer, transport: Transport, client: string): Promise<Buffer | undefined> {
  const header = inspectHeader(raw);
  if (header.kind === 'drop') return undefined;
  if (header.kind === 'error') return headerReply(raw, header.rcode);
  const decoded = decodeQuery(raw);
  if (!decoded) return headerReply(raw, Rcode.FORMERR);
  const { packet, question } = decoded;
  const limit = replyLimit(packet, transport);
  const reply = (rcode: Rcode, answers?: Answer[], authoritative = false) => buildReply(packet, question, { rcode, answers, authoritative, limit });

  if (view.clients && !view.clients.check(client, isIPv6(client) ? 'ipv6' : 'ipv4')) return reply(Rcode.REFUSED);
  if (question.class !== 'IN') return reply(Rcode.REFUSED);

  const name = canonicalName(question.name);
  const answers = localAnswers(view, client, question.name, question.type);
  if (answers !== undefined) return reply(Rcode.NOERROR, answers, true);
  // the zone apex exists (names live under it): NODATA for it, NXDOMAIN below it
  if (inOwnZone(name)) return reply(name === SEARCH_DOMAIN ? Rcode.NOERROR : Rcode.NXDOMAIN, [], true);
  if (isSingleLabel(name) || view.internal) return reply(Rcode.NXDOMAIN);

  const forwarded = await view.forwarder.forward(raw, transport);
  return forwarded ?? reply(Rcode.SERVFAIL);
}

