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

export class NlMessage {
  private chunks: Buffer[] = [];
  private length = NLMSG_HDRLEN;
  private readonly fixups: Fixup[] = [];
  private readonly open: number[] = [];
  private readonly nestedLengths: [number, number][] = [];

  constructor(
    private readonly type: number,
    private readonly flags: number,
    header: Buffer,
  ) {
    this.push(header);
  }

  private push(buf: Buffer): void {
    this.chunks.push(buf);
    this.length += buf.length;
    const pad = align4(this.length) - this.length;
    if (pad > 0) {
      this.chunks.push(Buffer.alloc(pad));
      this.length += pad;
    }
  }

  attr(type: number, payload: Buffer): this {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(4 + payload.length, 0);
    head.writeUInt16LE(type, 2);
    this.chunks.push(head);
    this.length += 4;
    this.push(payload);
    return this;
  }

  u8(type: number, value: number): this {
    return this.attr(type, Buffer.from([value]));
  }

  u16(type: number, value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value, 0);
    return this.attr(type, b);
  }

  u32(type: number, value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0, 0);
    return this.attr(type, b);
  }

  /** NUL-terminated string */
  str(type: number, value: string): this {
    return this.attr(type, Buffer.from(`${value}\0`, 'utf8'));
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
  raw(buf: Buffer): number {
    const at = this.length;
    this.push(buf);
    return at;
  }

  begin(type: number): this {
    this.open.push(this.length);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(type, 2);
    this.chunks.push(head);
    this.length += 4;
    return this;
  }

  end(): this {
    const start = this.open.pop();
    if (start === undefined) throw new Error('NlMessage.end without begin');
    this.nestedLengths.push([start, this.length - start]);
    return this;
  }

  build(): NlRequest {
    if (this.open.length > 0) throw new Error('NlMessage: unclosed nested attribute');
    const msg = Buffer.concat([Buffer.alloc(NLMSG_HDRLEN), ...this.chunks], this.length);
    msg.writeUInt32LE(this.length, 0);
    msg.writeUInt16LE(this.type, 4);
    msg.writeUInt16LE(this.flags | NLM_F_REQUEST, 6);
    for (const [at, len] of this.nestedLengths) msg.writeUInt16LE(len, at);
    return { msg, fixups: this.fixups };
  }
}

/** The offset of the family struct inside a message (right after the netlink header). */
export const FAMILY_HEADER_OFFSET = NLMSG_HDRLEN;
