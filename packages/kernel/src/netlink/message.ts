/**
 * A builder for one rtnetlink request: header, fixed family struct, attributes (nested ones
 * too), and "fixups": 32-bit fields the native side fills in just before sending (an interface
 * index looked up inside the target namespace, or the descriptor of a namespace file).
 */

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;

export const FIXUP_IFINDEX = 1;
export const FIXUP_NETNS_FD = 2;

export interface Fixup {
  offset: number;
  kind: typeof FIXUP_IFINDEX | typeof FIXUP_NETNS_FD;
  /** interface name (ifindex) or namespace file path (netns fd) */
  value: string;
}

export interface NlRequest {
  msg: Buffer;
  fixups: Fixup[];
}

const NLMSG_HDRLEN = 16;
const align4 = (n: number): number => (n + 3) & ~3;
const INITIAL_CAPACITY = 256;

/**
 * Written straight into one buffer (from node's pool: no allocation of its own for a small
 * message), grown when needed: a join's six requests were some sixty small buffers and a concat
 * each, which a daemon that idles between requests runs cold.
 */
export class NlMessage {
  private buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private length = NLMSG_HDRLEN;
  private readonly fixups: Fixup[] = [];
  private readonly open: number[] = [];

  constructor(
    private readonly type: number,
    private readonly flags: number,
    header: Buffer,
  ) {
    this.buf.fill(0, 0, NLMSG_HDRLEN);
    this.push(header);
  }

  /** Room for `n` more bytes. */
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  /** Zero padding after `n` bytes just written at the end (reserved beforehand), to 4 bytes. */
  private advance(n: number): void {
    const padded = align4(n);
    this.buf.fill(0, this.length + n, this.length + padded);
    this.length += padded;
  }

  private push(data: Uint8Array): void {
    this.reserve(align4(data.length));
    this.buf.set(data, this.length);
    this.advance(data.length);
  }

  /** An attribute's header and room for its `n`-byte payload, which the caller writes at this.length. */
  private head(n: number, type: number): void {
    this.reserve(4 + align4(n));
    this.buf.writeUInt16LE(4 + n, this.length);
    this.buf.writeUInt16LE(type, this.length + 2);
    this.length += 4;
  }

  attr(type: number, payload: Uint8Array): this {
    this.head(payload.length, type);
    this.push(payload);
    return this;
  }

  u8(type: number, value: number): this {
    this.head(1, type);
    this.buf.writeUInt8(value, this.length);
    this.advance(1);
    return this;
  }

  u16(type: number, value: number): this {
    this.head(2, type);
    this.buf.writeUInt16LE(value, this.length);
    this.advance(2);
    return this;
  }

  u32(type: number, value: number): this {
    this.head(4, type);
    this.buf.writeUInt32LE(value >>> 0, this.length);
    this.advance(4);
    return this;
  }

  /** NUL-terminated string */
  str(type: number, value: string): this {
    const n = Buffer.byteLength(value, 'utf8') + 1;
    this.head(n, type);
    this.buf.write(value, this.length, 'utf8');
    this.buf[this.length + n - 1] = 0;
    this.advance(n);
    return this;
  }

  /** A 32-bit attribute whose value the native side fills in (see Fixup). */
  fixed(type: number, kind: Fixup['kind'], value: string): this {
    this.fixups.push({ offset: this.length + 4, kind, value });
    return this.u32(type, 0);
  }

  /** A fixup of a field already written, at `offset` bytes from the start of the message. */
  fixupAt(offset: number, kind: Fixup['kind'], value: string): this {
    this.fixups.push({ offset, kind, value });
    return this;
  }

  /** Appends a raw struct (e.g. the ifinfomsg of a veth peer); returns its offset. */
  raw(buf: Uint8Array): number {
    const at = this.length;
    this.push(buf);
    return at;
  }

  begin(type: number): this {
    this.open.push(this.length);
    this.head(0, type); // its length is written by end()
    return this;
  }

  end(): this {
    const start = this.open.pop();
    if (start === undefined) throw new Error('NlMessage.end without begin');
    this.buf.writeUInt16LE(this.length - start, start);
    return this;
  }

  build(): NlRequest {
    if (this.open.length > 0) throw new Error('NlMessage: unclosed nested attribute');
    const msg = this.buf.subarray(0, this.length);
    msg.writeUInt32LE(this.length, 0);
    msg.writeUInt16LE(this.type, 4);
    msg.writeUInt16LE(this.flags | NLM_F_REQUEST, 6);
    return { msg, fixups: this.fixups };
  }
}

/** The offset of the family struct inside a message (right after the netlink header). */
export const FAMILY_HEADER_OFFSET = NLMSG_HDRLEN;
