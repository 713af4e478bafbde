/**
 * A set of bigints kept as sorted, disjoint, non-adjacent closed intervals [start, end], stored in
 * blocks of at most MAX_BLOCK intervals. Lookups are two binary searches; an insert or delete
 * touches one or two intervals and splices one small block. So the cost grows with the number of
 * *intervals* (logarithmically, plus a block), never with the size of a subnet. Blocks matter:
 * splicing a long array of bigints is slow (every moved slot is a heap pointer).
 */
const MAX_BLOCK = 128;

interface Block {
  starts: bigint[];
  ends: bigint[];
}

/** Where an interval sits: block index and index inside the block. */
interface Slot {
  b: number;
  i: number;
}

export class IntervalSet {
  private readonly blocks: Block[] = [];
  private members = 0;

  get size(): number {
    return this.members;
  }

  get intervalCount(): number {
    return this.blocks.reduce((n, block) => n + block.starts.length, 0);
  }

  /** The last interval whose start is ≤ x, if any. */
  private floor(x: bigint): Slot | undefined {
    let lo = 0;
    let hi = this.blocks.length - 1;
    let b = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.blocks[mid].starts[0] <= x) {
        b = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (b < 0) return undefined;
    const starts = this.blocks[b].starts;
    lo = 0;
    hi = starts.length - 1;
    let i = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= x) {
        i = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return { b, i };
  }

  /** The interval after `slot` (or the very first one when slot is undefined). */
  private next(slot: Slot | undefined): Slot | undefined {
    if (!slot) return this.blocks.length > 0 ? { b: 0, i: 0 } : undefined;
    if (slot.i + 1 < this.blocks[slot.b].starts.length) return { b: slot.b, i: slot.i + 1 };
    return slot.b + 1 < this.blocks.length ? { b: slot.b + 1, i: 0 } : undefined;
  }

  private insertAt(b: number, i: number, start: bigint, end: bigint): void {
    if (this.blocks.length === 0) {
      this.blocks.push({ starts: [start], ends: [end] });
      return;
    }
    const block = this.blocks[b];
    block.starts.splice(i, 0, start);
    block.ends.splice(i, 0, end);
    if (block.starts.length > MAX_BLOCK) {
      const half = block.starts.length >>> 1;
      this.blocks.splice(b + 1, 0, { starts: block.starts.splice(half), ends: block.ends.splice(half) });
    }
  }

  private removeAt({ b, i }: Slot): void {
    const block = this.blocks[b];
    block.starts.splice(i, 1);
    block.ends.splice(i, 1);
    if (block.starts.length === 0) this.blocks.splice(b, 1);
  }

  has(x: bigint): boolean {
    const s = this.floor(x);
    return s !== undefined && this.blocks[s.b].ends[s.i] >= x;
  }

  /** Adds x; false if it was already there. */
  add(x: bigint): boolean {
    const left = this.floor(x);
    if (left && this.blocks[left.b].ends[left.i] >= x) return false;
    const right = this.next(left);
    const joinsLeft = left !== undefined && this.blocks[left.b].ends[left.i] === x - 1n;
    const joinsRight = right !== undefined && this.blocks[right.b].starts[right.i] === x + 1n;
    if (left && joinsLeft && right && joinsRight) {
      this.blocks[left.b].ends[left.i] = this.blocks[right.b].ends[right.i];
      this.removeAt(right);
    } else if (left && joinsLeft) {
      this.blocks[left.b].ends[left.i] = x;
    } else if (right && joinsRight) {
      this.blocks[right.b].starts[right.i] = x;
    } else if (left) {
      this.insertAt(left.b, left.i + 1, x, x);
    } else {
      this.insertAt(0, 0, x, x);
    }
    this.members++;
    return true;
  }

  /** Removes x; false if it was not there. */
  delete(x: bigint): boolean {
    const slot = this.floor(x);
    if (!slot) return false;
    const block = this.blocks[slot.b];
    const start = block.starts[slot.i];
    const end = block.ends[slot.i];
    if (end < x) return false;
    if (start === end) {
      this.removeAt(slot);
    } else if (x === start) {
      block.starts[slot.i] = x + 1n;
    } else if (x === end) {
      block.ends[slot.i] = x - 1n;
    } else {
      block.ends[slot.i] = x - 1n;
      this.insertAt(slot.b, slot.i + 1, x + 1n, end);
    }
    this.members--;
    return true;
  }

  /** The lowest value in [from, to] that is not in the set, or undefined. */
  firstAbsent(from: bigint, to: bigint): bigint | undefined {
    if (from > to) return undefined;
    const s = this.floor(from);
    const coveringEnd = s === undefined ? undefined : this.blocks[s.b].ends[s.i];
    // Intervals never touch, so the value right after the one covering `from` is absent.
    const candidate = coveringEnd !== undefined && coveringEnd >= from ? coveringEnd + 1n : from;
    return candidate <= to ? candidate : undefined;
  }

  /** Every member in ascending order. */
  *values(): Generator<bigint> {
    for (const block of this.blocks) {
      for (let i = 0; i < block.starts.length; i++) {
        for (let x = block.starts[i]; x <= block.ends[i]; x++) yield x;
      }
    }
  }
}
