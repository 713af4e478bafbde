/**
 * Reading netlink answers without slicing them: a dump of thousands of namespaces or ports is
 * parsed message by message, and a Buffer or Map per message and attribute was most of the
 * garbage a check made. Same framing rules as replyMessages and attributes (parse.ts).
 */

const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLA_TYPE_MASK = 0x3fff;
/** attribute types indexed (the highest IFLA_ type is about 70); larger ones are skipped */
const INDEXED_TYPES = 128;
const align4 = (n: number): number => (n + 3) & ~3;
const EMPTY = Buffer.alloc(0);

/**
 * Calls `fn` for each message of a raw reply but errors and dump ends, with its type and where its
 * body starts and ends in `reply`. Throws, as replyMessages does, on a message that overruns it.
 */
export function forEachMessage(reply: Buffer | undefined, fn: (type: number, start: number, end: number) => void): void {
  if (reply === undefined) return;
  let at = 0;
  while (at + NLMSG_HDRLEN <= reply.length) {
    const len = reply.readUInt32LE(at);
    if (len < NLMSG_HDRLEN || at + len > reply.length) throw new Error(`netlink reply: message at ${at} overruns the reply`);
    const type = reply.readUInt16LE(at + 4);
    if (type !== NLMSG_ERROR && type !== NLMSG_DONE) fn(type, at + NLMSG_HDRLEN, at + len);
    at += align4(len);
  }
}

/**
 * Where each attribute of one message (or nest) starts, found in one pass; the first of a type
 * wins, as in iproute2's parse_rtattr. Its storage is reused by the next `scan`: read what you
 * need from one message before scanning the next (parsing is synchronous).
 */
export class AttrIndex {
  private readonly offset = new Int32Array(INDEXED_TYPES).fill(-1);
  private readonly length = new Int32Array(INDEXED_TYPES);
  /** the types found by the last scan (to clear them, not the whole table) */
  private readonly found = new Int32Array(INDEXED_TYPES);
  private count = 0;
  private buf: Buffer = EMPTY;

  /** Indexes the attributes of `buf` from `from` to `end`. */
  scan(buf: Buffer, from: number, end: number = buf.length): this {
    for (let i = 0; i < this.count; i++) this.offset[this.found[i]!] = -1;
    this.count = 0;
    this.buf = buf;
    let at = from;
    while (at + 4 <= end) {
      const len = buf[at]! | (buf[at + 1]! << 8);
      if (len < 4 || at + len > end) break;
      const type = (buf[at + 2]! | (buf[at + 3]! << 8)) & NLA_TYPE_MASK;
      if (type < INDEXED_TYPES && this.offset[type] === -1) {
        this.offset[type] = at + 4;
        this.length[type] = len - 4;
        this.found[this.count++] = type;
      }
      at += align4(len);
    }
    return this;
  }

  has(type: number): boolean {
    return this.offset[type] !== -1;
  }

  /** The attribute's value as a u32 (undefined when missing or shorter). */
  u32(type: number): number | undefined {
    const at = this.offset[type]!;
    return at !== -1 && this.length[type]! >= 4 ? this.buf.readUInt32LE(at) : undefined;
  }

  /** The attribute's value (a view into the reply, not a copy). */
  bytes(type: number): Buffer | undefined {
    const at = this.offset[type]!;
    return at === -1 ? undefined : this.buf.subarray(at, at + this.length[type]!);
  }

  /** The attribute's value as a NUL-terminated string. */
  str(type: number): string | undefined {
    const at = this.offset[type]!;
    if (at === -1) return undefined;
    const end = at + this.length[type]!;
    const nul = this.buf.indexOf(0, at);
    return this.buf.toString('utf8', at, nul < 0 || nul > end ? end : nul);
  }
}
