/**
 * Intset (format.md 7.3): `encoding u32le (2, 4 or 8) | length u32le |
 * length × integer (LE)`, strictly ascending. Members are exposed as their
 * decimal text.
 */
import { RdbkitError, corrupt } from '../../errors.js';
import { int64ToAscii, parseCanonicalInt } from './int-text.js';
import { ElementList, type ElementReceiver } from '../sink.js';

/** Decodes an intset blob into its members as decimal text. */
export function decodeIntset(blob: Uint8Array, baseOffset: number): Uint8Array[] {
  const list = new ElementList();
  walkIntset(blob, baseOffset, list);
  return list.out;
}

/** Checks an intset blob and hands its members to `r` in order; returns how many there were. */
export function walkIntset(blob: Uint8Array, baseOffset: number, r: ElementReceiver): number {
  const n = blob.length;
  if (n < 8) throw corrupt(`intset of ${n} bytes is too short`, baseOffset);
  const dv = new DataView(blob.buffer, blob.byteOffset, n);
  const enc = dv.getUint32(0, true);
  const len = dv.getUint32(4, true);
  if (enc !== 2 && enc !== 4 && enc !== 8) throw corrupt(`invalid intset encoding ${enc}`, baseOffset);
  if (8 + len * enc !== n) throw corrupt(`intset of ${len} × ${enc} bytes does not fit a ${n}-byte blob`, baseOffset + 4);
  let p = 8;
  if (enc === 8) {
    let prev: bigint | null = null;
    for (let i = 0; i < len; i++, p += 8) {
      const v = dv.getBigInt64(p, true);
      if (prev !== null && v <= prev) throw corrupt('intset members are not strictly ascending', baseOffset + p);
      prev = v;
      const hi = dv.getInt32(p + 4, true);
      const lo = dv.getUint32(p, true);
      if (hi >= -0x200000 && hi < 0x200000) r.int(hi * 0x100000000 + lo);
      else {
        const t = int64ToAscii(hi, lo);
        r.str(t, 0, t.length);
      }
    }
    return len;
  }
  let prev = -Infinity;
  for (let i = 0; i < len; i++, p += enc) {
    const v = enc === 2 ? dv.getInt16(p, true) : dv.getInt32(p, true);
    if (v <= prev) throw corrupt('intset members are not strictly ascending', baseOffset + p);
    prev = v;
    r.int(v);
  }
  return len;
}

/** Encodes canonical integer texts as an intset (sorted, smallest width that fits). */
export function encodeIntset(members: Uint8Array[]): Uint8Array {
  const vals: bigint[] = [];
  for (const m of members) {
    const v = parseCanonicalInt(m);
    if (v === null) throw new RdbkitError('USAGE', 'intset members must be canonical 64-bit integers');
    vals.push(BigInt(v));
  }
  vals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let enc = 2;
  for (const v of vals) {
    if (v < -2147483648n || v > 2147483647n) enc = 8;
    else if (enc < 4 && (v < -32768n || v > 32767n)) enc = 4;
  }
  const out = new Uint8Array(8 + vals.length * enc);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, enc, true);
  dv.setUint32(4, vals.length, true);
  let p = 8;
  for (const v of vals) {
    if (enc === 2) dv.setInt16(p, Number(v), true);
    else if (enc === 4) dv.setInt32(p, Number(v), true);
    else dv.setBigInt64(p, v, true);
    p += enc;
  }
  return out;
}
