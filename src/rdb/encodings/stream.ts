/**
 * Stream listpack nodes (format.md section 8.1): a node key (master ID, two
 * u64 big-endian) and a listpack holding a master entry followed by entries
 * whose IDs are deltas from the master ID, computed modulo 2^64.
 */
import { corrupt } from '../../errors.js';
import type { Int64, StreamEntry, StreamId } from '../../events.js';
import { STREAM_ITEM_FLAG } from '../constants.js';

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

/**
 * Decodes the entries of one stream node. `elements` are the node's listpack
 * elements (integers as decimal text); `offset` locates errors (the listpack).
 * Tombstones are skipped unless `tombstones` is true.
 */
export function decodeStreamNode(nodeKey: Uint8Array, elements: Uint8Array[], offset: number, tombstones: boolean): StreamEntry[] {
  const master = readRawStreamId(nodeKey, 0);
  let i = 0;
  const n = elements.length;
  const next = (): Uint8Array => {
    if (i >= n) throw corrupt('stream node listpack ends early', offset);
    return elements[i++]!;
  };
  const int = (): number => {
    const v = parseStreamInt(next(), offset);
    if (typeof v === 'bigint') throw corrupt('stream node count out of range', offset);
    return v;
  };
  const count = int();
  const deleted = int();
  const masterFieldCount = int();
  if (count < 0 || deleted < 0 || masterFieldCount < 0 || masterFieldCount > n) throw corrupt('invalid stream node master entry', offset);
  const masterFields: Uint8Array[] = [];
  for (let k = 0; k < masterFieldCount; k++) masterFields.push(next());
  if (int() !== 0) throw corrupt('stream node master entry is not terminated by 0', offset);
  const total = count + deleted;
  if (total > n) throw corrupt('stream node entry count exceeds its listpack', offset);
  const out: StreamEntry[] = [];
  let live = 0;
  for (let e = 0; e < total; e++) {
    const flags = int();
    const msDelta = parseStreamInt(next(), offset);
    const seqDelta = parseStreamInt(next(), offset);
    const id: StreamId = { ms: addU64(master.ms, msDelta), seq: addU64(master.seq, seqDelta) };
    const fields: Uint8Array[] = [];
    let lpCount: number;
    if (flags & STREAM_ITEM_FLAG.SAMEFIELDS) {
      for (let k = 0; k < masterFieldCount; k++) {
        fields.push(masterFields[k]!, next());
      }
      lpCount = masterFieldCount + 3;
    } else {
      const f = int();
      if (f < 0 || f * 2 > n - i) throw corrupt('stream entry field count exceeds its listpack', offset);
      for (let k = 0; k < f; k++) fields.push(next(), next());
      lpCount = f * 2 + 4;
    }
    if (int() !== lpCount) throw corrupt('stream entry back-count does not match its fields', offset);
    const isDeleted = (flags & STREAM_ITEM_FLAG.DELETED) !== 0;
    if (!isDeleted) live++;
    if (!isDeleted || tombstones) out.push({ id, fields, deleted: isDeleted });
  }
  if (i !== n) throw corrupt('stream node listpack has trailing elements', offset);
  if (live !== count) throw corrupt(`stream node says ${count} live entries, found ${live}`, offset);
  return out;
}
