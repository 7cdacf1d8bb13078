/**
 * ByteReader: a window over a queue of input chunks, read synchronously.
 *
 * Readers work in *units*: a unit starts at `mark`; every `need(n)` that
 * cannot be satisfied throws the `NEED_MORE` signal after recording how many
 * bytes from `mark` the unit needs at least (`wanted`). The owner then rewinds
 * to `mark`, waits until that many bytes are buffered, and runs the unit
 * again. A unit that keeps failing waits for twice what it had before, so a
 * large unit is re-parsed a bounded number of times: total work stays linear.
 *
 * Views returned by `bytes()` point into input chunks or into buffers this
 * class allocated; neither is ever written after the view is handed out.
 */

/** Thrown by `need()` when the buffered bytes do not hold the current unit. */
export const NEED_MORE: unique symbol = Symbol('rdbkit.needMore');

const EMPTY = new Uint8Array(0);
/** Bytes copied beyond what a straddling unit needs, so the next few units need no copy either. */
const MERGE_SLACK = 16384;

/**
 * A plain Uint8Array over the same bytes as `b` (a Node Buffer or another
 * Uint8Array subclass): what the decoders hand out must be plain
 * Uint8Arrays, and `subarray` on a plain array is also much cheaper.
 */
export function plainView(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export class ByteReader {
  /** Current contiguous buffer. */
  protected buf: Uint8Array = EMPTY;
  protected view: DataView = new DataView(EMPTY.buffer);
  /** Read position inside `buf`. */
  protected pos = 0;
  /** Absolute input offset of `buf[0]`. */
  protected base = 0;
  /** Start of the current unit inside `buf`. */
  protected mark = 0;
  /** Bytes (from `mark`) the current unit is known to need. */
  protected wanted = 0;
  protected pending: Uint8Array[] = [];
  protected pendingBytes = 0;
  /** True once the input is known to be complete. */
  protected ended = false;
  /**
   * After a merge that copied only the start of a chunk: that chunk, where
   * its copy starts in `buf`, and the view of its rest left pending. A later
   * unit that starts in the copied part goes back to the chunk itself instead
   * of merging again (otherwise every unit that straddled the merged
   * buffer's end would copy the next piece, and a whole chunk would be
   * copied in MERGE_SLACK steps).
   */
  private bridge: Uint8Array | null = null;
  /** True when `buf` is a buffer `gather` copied into, not (part of) an input chunk. */
  private merged = false;
  private bridgeAt = 0;
  private bridgeRest: Uint8Array | null = null;

  /** Absolute offset of the read position. */
  get offset(): number {
    return this.base + this.pos;
  }

  /**
   * An input offset before which the reader holds no byte of an input
   * chunk: `buf` starts there, or when `buf` is a copy, the pending chunks
   * start after it (a bridge chunk, partly copied, still has bytes pending,
   * so no chunk that ends before this offset is one).
   */
  protected get heldFrom(): number {
    return this.merged ? this.base + this.buf.length : this.base;
  }

  /** Bytes available from the read position without more input. */
  protected get available(): number {
    return this.buf.length - this.pos + this.pendingBytes;
  }

  /** Appends a chunk of input. The reader keeps a reference; do not modify the chunk afterwards. */
  protected append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    chunk = plainView(chunk);
    if (this.pos === this.buf.length && this.pending.length === 0) {
      this.onDiscard(this.buf, this.pos);
      this.base += this.buf.length;
      this.setBuffer(chunk);
      this.pos = 0;
      this.mark = 0;
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  /** Bytes the current unit needs from `mark` before it can be retried, or 0 when it can run. */
  protected missing(): number {
    const have = this.buf.length - this.mark + this.pendingBytes;
    return have >= this.wanted ? 0 : this.wanted - have;
  }

  /**
   * Makes at least `wanted` bytes from `mark` contiguous in `buf` (or all the
   * bytes there are, once the input has ended). Called before a retry.
   */
  protected gather(): void {
    if (this.buf.length - this.mark >= this.wanted || this.pending.length === 0) return;
    if (this.bridge !== null) this.unbridge();
    const inBuf = this.buf.length - this.mark;
    if (inBuf >= this.wanted) return;
    if (inBuf === 0 && this.pending[0]!.length >= this.wanted) {
      // The unit starts exactly at the next chunk: adopt it without copying.
      this.onDiscard(this.buf, this.mark);
      this.base += this.buf.length;
      const next = this.pending.shift()!;
      this.pendingBytes -= next.length;
      this.pos = 0;
      this.mark = 0;
      this.setBuffer(next);
      return;
    }
    // Copy the unread tail and just the bytes the unit wants (with some
    // slack) from the pending chunks into one buffer; the rest of a chunk
    // stays pending, to be adopted without copying once the reader gets there.
    this.onDiscard(this.buf, this.mark);
    const total = Math.min(inBuf + this.pendingBytes, Math.max(this.wanted, inBuf + MERGE_SLACK));
    const merged = new Uint8Array(total);
    merged.set(this.buf.subarray(this.mark), 0);
    let at = inBuf;
    while (at < total) {
      const c = this.pending[0]!;
      const take = Math.min(c.length, total - at);
      merged.set(take === c.length ? c : c.subarray(0, take), at);
      if (take === c.length) this.pending.shift();
      else {
        this.pending[0] = c.subarray(take);
        this.bridge = c;
        this.bridgeAt = at;
        this.bridgeRest = this.pending[0];
      }
      at += take;
      this.pendingBytes -= take;
    }
    this.base += this.mark;
    this.pos -= this.mark;
    this.mark = 0;
    this.setBuffer(merged);
    this.merged = true;
  }

  /** Goes back from a merged buffer to the chunk it copied the start of, when the unit starts in that copy. */
  private unbridge(): void {
    const c = this.bridge!;
    const rest = this.bridgeRest;
    const from = this.bridgeAt;
    this.bridge = null;
    this.bridgeRest = null;
    if (this.mark < from || this.pending[0] !== rest) return;
    const idx = this.mark - from;
    this.onDiscard(this.buf, this.mark, idx);
    this.base += from;
    this.pos = this.pos - this.mark + idx;
    this.mark = idx;
    this.pending.shift();
    this.pendingBytes -= rest!.length;
    this.setBuffer(c);
  }

  /**
   * Called with a buffer and the index up to which its bytes were consumed,
   * just before the reader lets go of the consumed part (checksumming hook);
   * the next buffer goes on at its index `nextAt`.
   */
  protected onDiscard(_buf: Uint8Array, _upTo: number, _nextAt = 0): void {
    // overridden by the decoder
  }

  private setBuffer(b: Uint8Array): void {
    this.buf = b;
    this.merged = false;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Ensures `n` more bytes are readable at `pos`, else signals NEED_MORE. */
  protected need(n: number): void {
    if (this.buf.length - this.pos < n) {
      const w = this.pos + n - this.mark;
      const had = this.buf.length - this.mark;
      // Grow geometrically when the same unit keeps failing, so that a
      // large unit is not re-parsed once per incoming chunk.
      this.wanted = this.ended ? w : Math.max(w, had * 2);
      throw NEED_MORE;
    }
  }

  protected u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  protected u16le(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  protected i16le(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }

  protected u32le(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  protected i32le(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  protected u32be(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }

  /** Signed 64-bit little-endian: a number when safe, else a bigint. */
  protected i64le(): number | bigint {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getInt32(this.pos + 4, true);
    const at = this.pos;
    this.pos += 8;
    if (hi >= -0x200000 && hi < 0x200000) return hi * 0x100000000 + lo;
    return this.view.getBigInt64(at, true);
  }

  /** Unsigned 64-bit big-endian: a number when safe, else a bigint. */
  protected u64be(): number | bigint {
    this.need(8);
    const hi = this.view.getUint32(this.pos, false);
    const lo = this.view.getUint32(this.pos + 4, false);
    const at = this.pos;
    this.pos += 8;
    if (hi < 0x200000) return hi * 0x100000000 + lo;
    return this.view.getBigUint64(at, false);
  }

  protected f64le(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  protected f32le(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A view of the next `n` bytes. */
  protected bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Hands out whatever is buffered, up to `max` bytes (at least 1 unless none), without waiting. */
  protected takeUpTo(max: number): Uint8Array {
    let n = this.buf.length - this.pos;
    if (n === 0 && this.pendingBytes > 0) {
      this.wanted = this.pos - this.mark + 1;
      this.gather();
      n = this.buf.length - this.pos;
    }
    if (n > max) n = max;
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}
