/**
 * Stream listpack nodes (format.md section 8.1): a node key (master ID, two
 * u64 big-endian) and a listpack holding a master entry followed by entries
 * whose IDs are deltas from the master ID, computed modulo 2^64.
 */
import { corrupt } from '../../errors.js';
import type { Int64, StreamEntry, StreamId } from '../../events.js';
import { STREAM_ITEM_FLAG } from '../constants.js';
import type { ElementReceiver } from '../sink.js';
import { intToAscii } from './int-text.js';
import { walkListpack } from './listpack.js';

const TWO53 = 2 ** 53;

/**
 * Parses a listpack element holding an integer written as decimal text
 * (listpack integers are decoded to text): a number when safe, else a bigint.
 */
export function parseStreamInt(b: Uint8Array, offset: number): Int64 {
  const n = b.length;
  if (n === 0 || n > 20) throw corrupt('expected an integer element', offset);
  let i = 0;
  let neg = false;
  if (b[0] === 0x2d) {
    neg = true;
    i = 1;
    if (n === 1) throw corrupt('expected an integer element', offset);
  }
  let v = 0;
  for (; i < n; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) throw corrupt('expected an integer element', offset);
    v = v * 10 + d;
  }
  if (v < TWO53) return neg ? -v : v;
  let s = '';
  for (let k = 0; k < n; k++) s += String.fromCharCode(b[k]!);
  const big = BigInt(s);
  if (big > 0x7fffffffffffffffn || big < -0x8000000000000000n) throw corrupt('integer element out of range', offset);
  return big;
}

/** Adds two 64-bit values modulo 2^64 (as unsigned): a number when safe. */
export function addU64(a: Int64, b: Int64): Int64 {
  if (typeof a === 'number' && typeof b === 'number') {
    const s = a + b;
    if (s >= 0 && s < TWO53) return s;
  }
  const r = BigInt.asUintN(64, BigInt(a) + BigInt(b));
  return r < BigInt(TWO53) ? Number(r) : r;
}

/** Reads a 16-byte big-endian stream ID. */
export function readRawStreamId(b: Uint8Array, at: number): StreamId {
  const dv = new DataView(b.buffer, b.byteOffset + at, 16);
  const hiMs = dv.getUint32(0, false);
  const hiSeq = dv.getUint32(8, false);
  const ms: Int64 = hiMs < 0x200000 ? hiMs * 0x100000000 + dv.getUint32(4, false) : dv.getBigUint64(0, false);
  const seq: Int64 = hiSeq < 0x200000 ? hiSeq * 0x100000000 + dv.getUint32(12, false) : dv.getBigUint64(8, false);
  return { ms, seq };
}

/** A stream node's key is its master ID: 16 bytes (CORRUPT at `at` otherwise). */
export function checkStreamNodeKey(nodeKey: Uint8Array, at: number): void {
  if (nodeKey.length !== 16) throw corrupt(`stream node key is ${nodeKey.length} bytes, expected 16`, at);
}

/**
 * Receives the entries of a stream node: `streamEntry` for each, then its fields
 * and values alternating through `str`/`int` (`pairs` of them; the bytes
 * are valid only during the call, as for any ElementReceiver).
 */
export interface StreamEntryReceiver extends ElementReceiver {
  streamEntry(ms: Int64, seq: Int64, deleted: boolean, pairs: number): void;
}

// What the next listpack element of a stream node is (N_SAME_VALUE … N_VALUE, an entry's fields and values, are contiguous).
const N_COUNT = 0; // live entries
const N_DELETED = 1; // deleted entries
const N_FIELDS = 2; // the master entry's field count
const N_MASTER = 3; // a master field
const N_MASTER_END = 4; // the master entry's terminating 0
const N_FLAGS = 5; // an entry's flags
const N_MS = 6; // its ID's ms delta
const N_SEQ = 7; // its ID's seq delta
const N_PAIRS = 8; // its field count (entries without SAMEFIELDS)
const N_SAME_VALUE = 9; // a value of the master fields
const N_FIELD = 10; // an entry's own field
const N_VALUE = 11; // its value
const N_BACK = 12; // the entry's element count
const N_END = 13; // nothing: every entry is read

/**
 * Reads a stream node's listpack element by element (no element list), checks
 * its structure as it goes, and hands the entries to a receiver.
 */
class StreamNodeWalk implements ElementReceiver {
  private state = N_COUNT;
  private count = 0;
  private total = 0;
  private masterFields: Uint8Array[] = [];
  private nFields = 0;
  /** Entries read, live ones among them. */
  private entries = 0;
  private live = 0;
  private flags = 0;
  /** The current entry is a tombstone. */
  private deleted = false;
  private msDelta: Int64 = 0;
  private seqDelta: Int64 = 0;
  /** Elements of the current entry still to come (values, or fields and values). */
  private left = 0;
  private k = 0;
  private lpCount = 0;
  /** The current entry goes to the receiver. */
  private give = false;
  private readonly master: StreamId;
  constructor(
    nodeKey: Uint8Array,
    private readonly offset: number,
    private readonly tombstones: boolean,
    private readonly r: StreamEntryReceiver,
  ) {
    this.master = readRawStreamId(nodeKey, 0);
  }

  str(buf: Uint8Array, start: number, end: number): void {
    const s = this.state;
    if (s === N_MASTER) this.masterField(buf.subarray(start, end));
    else if (s >= N_SAME_VALUE && s <= N_VALUE) {
      if (this.give) {
        this.masterFirst();
        this.r.str(buf, start, end);
      }
      this.element();
    } else this.number(parseStreamInt(buf.subarray(start, end), this.offset));
  }

  int(v: number): void {
    const s = this.state;
    if (s === N_MASTER) this.masterField(intToAscii(v));
    else if (s >= N_SAME_VALUE && s <= N_VALUE) {
      if (this.give) {
        this.masterFirst();
        this.r.int(v);
      }
      this.element();
    } else this.number(v);
  }

  /** Before a value of the master fields: its field, given whole (the same array for every entry). */
  private masterFirst(): void {
    if (this.state !== N_SAME_VALUE) return;
    const f = this.masterFields[this.k]!;
    this.r.str(f, 0, f.length);
  }

  private masterField(f: Uint8Array): void {
    this.masterFields.push(f);
    if (this.masterFields.length === this.nFields) this.state = N_MASTER_END;
  }

  /** A field or value of the current entry is read. */
  private element(): void {
    this.k++;
    if (this.state === N_FIELD) this.state = N_VALUE;
    else if (this.state === N_VALUE) this.state = N_FIELD;
    if (--this.left === 0) this.state = N_BACK;
  }

  /** The current entry's fields and values come next: `left` elements, the first in state `first`. */
  private startEntry(pairs: number, lpCount: number, left: number, first: number): void {
    this.lpCount = lpCount;
    this.left = left;
    this.k = 0;
    this.state = left === 0 ? N_BACK : first;
    if (this.give) this.r.streamEntry(addU64(this.master.ms, this.msDelta), addU64(this.master.seq, this.seqDelta), this.deleted, pairs);
  }

  private small(v: Int64): number {
    if (typeof v === 'bigint') throw corrupt('stream node count out of range', this.offset);
    return v;
  }

  /** An integer element where the node's layout has one. */
  private number(v: Int64): void {
    switch (this.state) {
      case N_COUNT:
        this.count = this.small(v);
        this.state = N_DELETED;
        return;
      case N_DELETED:
        this.total = this.count + this.small(v);
        if (this.count < 0 || this.total < this.count) throw corrupt('invalid stream node master entry', this.offset);
        this.state = N_FIELDS;
        return;
      case N_FIELDS:
        this.nFields = this.small(v);
        if (this.nFields < 0) throw corrupt('invalid stream node master entry', this.offset);
        this.state = this.nFields === 0 ? N_MASTER_END : N_MASTER;
        return;
      case N_MASTER_END:
        if (v !== 0) throw corrupt('stream node master entry is not terminated by 0', this.offset);
        this.state = this.total === 0 ? N_END : N_FLAGS;
        return;
      case N_FLAGS:
        this.flags = this.small(v);
        this.state = N_MS;
        return;
      case N_MS:
        this.msDelta = v;
        this.state = N_SEQ;
        return;
      case N_SEQ: {
        this.seqDelta = v;
        this.deleted = (this.flags & STREAM_ITEM_FLAG.DELETED) !== 0;
        if (!this.deleted) this.live++;
        this.give = !this.deleted || this.tombstones;
        if (this.flags & STREAM_ITEM_FLAG.SAMEFIELDS) this.startEntry(this.nFields, this.nFields + 3, this.nFields, N_SAME_VALUE);
        else this.state = N_PAIRS;
        return;
      }
      case N_PAIRS: {
        const f = this.small(v);
        if (f < 0) throw corrupt('stream entry field count exceeds its listpack', this.offset);
        this.startEntry(f, f * 2 + 4, f * 2, N_FIELD);
        return;
      }
      case N_BACK:
        if (v !== this.lpCount) throw corrupt('stream entry back-count does not match its fields', this.offset);
        this.state = ++this.entries === this.total ? N_END : N_FLAGS;
        return;
      case N_END:
        throw corrupt('stream node listpack has trailing elements', this.offset);
    }
  }

  /** After the last element: the node must be complete. */
  finish(): void {
    if (this.state === N_COUNT) throw corrupt('empty stream listpack node', this.offset);
    if (this.state !== N_END) throw corrupt('stream node listpack ends early', this.offset);
    if (this.live !== this.count) throw corrupt(`stream node says ${this.count} live entries, found ${this.live}`, this.offset);
  }
}

/**
 * Walks one stream node: `nodeKey` is its master ID (16 bytes), `lp` its
 * listpack, at input offset `offset` (where errors point). Its entries go to
 * `r`; tombstones (deleted entries) only when `tombstones` is true.
 */
export function walkStreamNode(nodeKey: Uint8Array, lp: Uint8Array, offset: number, tombstones: boolean, r: StreamEntryReceiver): void {
  const w = new StreamNodeWalk(nodeKey, offset, tombstones, r);
  walkListpack(lp, offset, w);
  w.finish();
}

/** A StreamEntryReceiver that collects the entries (fields as views, integers as decimal text). */
export class StreamEntryList implements StreamEntryReceiver {
  out: StreamEntry[] = [];
  private fields: Uint8Array[] = [];
  streamEntry(ms: Int64, seq: Int64, deleted: boolean): void {
    this.fields = [];
    this.out.push({ id: { ms, seq }, fields: this.fields, deleted });
  }
  str(buf: Uint8Array, start: number, end: number): void {
    // A master field comes whole, the same array for every entry.
    this.fields.push(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }
  int(v: number): void {
    this.fields.push(intToAscii(v));
  }
}

/** Decodes the entries of one stream node (see walkStreamNode). */
export function decodeStreamNode(nodeKey: Uint8Array, lp: Uint8Array, offset: number, tombstones: boolean): StreamEntry[] {
  const list = new StreamEntryList();
  walkStreamNode(nodeKey, lp, offset, tombstones, list);
  return list.out;
}
