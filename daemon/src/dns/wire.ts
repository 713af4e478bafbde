/**
 * DNS messages in and out, through dns-packet (the codec is never written here). What this adds:
 * a look at the raw header before decoding (so hostile counts never reach the decoder), replies
 * that always carry the query's id, and truncation to the size the client can take.
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';

export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = (typeof Rcode)[keyof typeof Rcode];

const HEADER_BYTES = 12;
const QR = 0x8000;
/** RFC 1035's limit without EDNS, and the payload size DNS flag day 2020 recommends with it. */
export const UDP_PLAIN_MAX = 512;
export const UDP_EDNS_MAX = 1232;
export const TCP_MAX = 65_535;

export type Inspection = { kind: 'drop' } | { kind: 'error'; rcode: Rcode } | { kind: 'query' };

/**
 * Decide from the 12 header bytes alone: fewer bytes or a response (QR set) → drop (answering a
 * response invites loops); an opcode other than QUERY → NOTIMP; anything but exactly one question,
 * or answer/authority records in a query, or more than two additionals (OPT, TSIG) → FORMERR.
 */
export function inspectHeader(raw: Buffer): Inspection {
  if (raw.length < HEADER_BYTES) return { kind: 'drop' };
  const flags = raw.readUInt16BE(2);
  if ((flags & QR) !== 0) return { kind: 'drop' };
  if (((flags >> 11) & 0xf) !== 0) return { kind: 'error', rcode: Rcode.NOTIMP };
  const [qd, an, ns, ar] = [4, 6, 8, 10].map((o) => raw.readUInt16BE(o));
  if (qd !== 1 || an !== 0 || ns !== 0 || ar! > 2) return { kind: 'error', rcode: Rcode.FORMERR };
  return { kind: 'query' };
}

/** The decoded query, or undefined when it does not decode or its question is unusable. */
export function decodeQuery(raw: Buffer): { packet: DecodedPacket; question: Question } | undefined {
  let packet: DecodedPacket;
  try {
    packet = dnsPacket.decode(raw);
  } catch {
    return undefined;
  }
  const question = packet.questions?.[0];
  if (!question || !encodable(question.name)) return undefined;
  return { packet, question };
}

/** Whether a decoded name re-encodes to the same wire labels (labels ≤ 63 bytes, name ≤ 253). */
function encodable(name: string): boolean {
  if (Buffer.byteLength(name) > 253) return false;
  return name === '' || name.split('.').every((label) => label.length > 0 && Buffer.byteLength(label) <= 63);
}

/** A reply carrying only the header of a query that could not be decoded (id and RD kept). */
export function headerReply(raw: Buffer, rcode: Rcode): Buffer {
  const flags = raw.readUInt16BE(2);
  return dnsPacket.encode({ id: raw.readUInt16BE(0), type: 'response', flags: (flags & 0x7900) | rcode, questions: [] });
}

function ednsSize(query: DecodedPacket): number | undefined {
  const opt = query.additionals?.find((a) => a.type === 'OPT');
  return opt && 'udpPayloadSize' in opt ? opt.udpPayloadSize : undefined;
}

/** How large a reply to this query may be on this transport. */
export function replyLimit(query: DecodedPacket, transport: 'udp' | 'tcp'): number {
  if (transport === 'tcp') return TCP_MAX;
  const size = ednsSize(query);
  return size === undefined ? UDP_PLAIN_MAX : Math.min(Math.max(size, UDP_PLAIN_MAX), UDP_EDNS_MAX);
}

export interface ReplyOptions {
  rcode: Rcode;
  answers?: Answer[];
  authoritative?: boolean;
  limit: number;
}

/**
 * A reply to a decoded query: same id and question (the client's spelling, so 0x20 case
 * randomisation checks pass), RD echoed with RA set, an OPT record when the client sent one, and
 * answers dropped from the end with TC set until it fits `limit`.
 */
export function buildReply(query: DecodedPacket, question: Question, options: ReplyOptions): Buffer {
  let flags = options.rcode | dnsPacket.RECURSION_AVAILABLE;
  if (query.flag_rd) flags |= dnsPacket.RECURSION_DESIRED;
  if (options.authoritative) flags |= dnsPacket.AUTHORITATIVE_ANSWER;
  const additionals: Answer[] =
    ednsSize(query) === undefined
      ? []
      : [{ type: 'OPT', name: '.', udpPayloadSize: UDP_EDNS_MAX, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }];
  const packet: Packet = { id: query.id ?? 0, type: 'response', flags, questions: [question], answers: [...(options.answers ?? [])], additionals };
  while (dnsPacket.encodingLength(packet) > options.limit && packet.answers!.length > 0) {
    packet.answers!.pop();
    packet.flags = flags | dnsPacket.TRUNCATED_RESPONSE;
  }
  return dnsPacket.encode(packet);
}

/** A message as TCP carries it: a two-byte length, then the message (RFC 1035 4.2.2). */
export function tcpFrame(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}

/** Read the id and the response bit of a message without decoding it. */
export function messageId(raw: Buffer): { id: number; response: boolean } | undefined {
  return raw.length < HEADER_BYTES ? undefined : { id: raw.readUInt16BE(0), response: (raw.readUInt16BE(2) & QR) !== 0 };
}
