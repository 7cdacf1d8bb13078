/**
 * Ziplist (format.md 7.1): `zlbytes u32le | zltail u32le | zllen u16le |
 * entry* | 0xFF`; each entry is `prevlen` (1 byte, or 0xFE + u32le), an
 * encoding byte and a payload. String lengths of 14 and 32 bits are
 * big-endian inside this otherwise little-endian structure.
 */
import { corrupt } from '../../errors.js';
import { int64ToAscii, parseCanonicalInt } from './int-text.js';
import { ElementList, handOver, type ElementReceiver } from '../sink.js';

const ZIP_END = 0xff;
const ZIP_BIG_PREVLEN = 0xfe;
const ZIP_STR_06B = 0x00;
const ZIP_STR_14B = 0x40;
const ZIP_STR_32B = 0x80;
const ZIP_INT_16B = 0xc0;
const ZIP_INT_32B = 0xd0;
const ZIP_INT_64B = 0xe0;
const ZIP_INT_24B = 0xf0;
const ZIP_INT_8B = 0xfe;
const ZIP_INT_IMM_MIN = 0xf1;
const ZIP_INT_IMM_MAX = 0xfd;
const HEADER = 10;

/** Decodes a ziplist blob into its entries (integers as decimal text; strings as views). */
export function decodeZiplist(blob: Uint8Array, baseOffset: number): Uint8Array[] {
  const list = new ElementList();
  walkZiplist(blob, baseOffset, list);
  return list.out;
}

/**
 * Checks a ziplist blob and hands its entries to `r` in order, each once the
 * next entry's prevlen (for the last, the terminator and the entry count)
 * has confirmed its size: a receiver that checks what it gets (a sorted
 * set's scores) then fails where reading the whole blob first would.
 * Returns how many there were.
 */
export function walkZiplist(blob: Uint8Array, baseOffset: number, r: ElementReceiver): number {
  const n = blob.length;
  if (n < HEADER + 1) throw corrupt(`ziplist of ${n} bytes is too short`, baseOffset);
  const dv = new DataView(blob.buffer, blob.byteOffset, n);
  const zlbytes = dv.getUint32(0, true);
  if (zlbytes !== n) throw corrupt(`ziplist says ${zlbytes} bytes, blob has ${n}`, baseOffset);
  const zllen = dv.getUint16(8, true);
  if (blob[n - 1] !== ZIP_END) throw corrupt('ziplist is not terminated by 0xFF', baseOffset + n - 1);
  let found = 0;
  let p = HEADER;
  let prevSize = 0;
  const end = n - 1;
  // The entry read last, handed over once the next entry's prevlen (or the
  // terminator) confirms its size: the string blob[s, e), or the integer v,
  // or text t (a 64-bit integer beyond 2^53).
  let has = false;
  let s = -1;
  let e = 0;
  let v = 0;
  let t: Uint8Array | null = null;
  while (p < end) {
    const start = p;
    // prevlen
    let prevlen = blob[p]!;
    if (prevlen === ZIP_BIG_PREVLEN) {
      if (p + 5 > end) throw corrupt('ziplist entry prevlen runs past the end', baseOffset + p);
      prevlen = dv.getUint32(p + 1, true);
      p += 5;
    } else {
      p += 1;
    }
    if (prevlen !== prevSize) throw corrupt(`ziplist entry prevlen ${prevlen} does not match the previous entry (${prevSize} bytes)`, baseOffset + start);
    if (has) handOver(r, blob, s, e, v, t);
    has = true;
    s = -1;
    t = null;
    if (p >= end) throw corrupt('ziplist entry has no encoding byte', baseOffset + p);
    const enc = blob[p]!;
    const kind = enc & 0xc0;
    if (kind !== 0xc0) {
      let len: number;
      if (kind === ZIP_STR_06B) {
        len = enc & 0x3f;
        p += 1;
      } else if (kind === ZIP_STR_14B) {
        if (p + 2 > end) throw corrupt('ziplist string header runs past the end', baseOffset + p);
        len = ((enc & 0x3f) << 8) | blob[p + 1]!;
        p += 2;
      } else {
        if (enc !== ZIP_STR_32B) throw corrupt(`invalid ziplist encoding byte 0x${enc.toString(16)}`, baseOffset + p);
        if (p + 5 > end) throw corrupt('ziplist string header runs past the end', baseOffset + p);
        len = dv.getUint32(p + 1, false);
        p += 5;
      }
      if (len > end - p) throw corrupt(`ziplist string of ${len} bytes runs past the end`, baseOffset + p);
      s = p;
      e = p + len;
      p += len;
    } else {
      const at = p;
      p += 1;
      switch (enc) {
        case ZIP_INT_16B:
          if (p + 2 > end) throw corrupt('ziplist integer runs past the end', baseOffset + at);
          v = dv.getInt16(p, true);
          p += 2;
          break;
        case ZIP_INT_32B:
          if (p + 4 > end) throw corrupt('ziplist integer runs past the end', baseOffset + at);
          v = dv.getInt32(p, true);
          p += 4;
          break;
        case ZIP_INT_64B:
          if (p + 8 > end) throw corrupt('ziplist integer runs past the end', baseOffset + at);
          {
            const hi = dv.getInt32(p + 4, true);
            const lo = dv.getUint32(p, true);
            p += 8;
            if (hi >= -0x200000 && hi < 0x200000) v = hi * 0x100000000 + lo;
            else t = int64ToAscii(hi, lo);
          }
          break;
        case ZIP_INT_24B:
          if (p + 3 > end) throw corrupt('ziplist integer runs past the end', baseOffset + at);
          v = ((blob[p]! | (blob[p + 1]! << 8) | (blob[p + 2]! << 16)) << 8) >> 8;
          p += 3;
          break;
        case ZIP_INT_8B:
          if (p + 1 > end) throw corrupt('ziplist integer runs past the end', baseOffset + at);
          v = (blob[p]! << 24) >> 24;
          p += 1;
          break;
        default:
          if (enc >= ZIP_INT_IMM_MIN && enc <= ZIP_INT_IMM_MAX) {
            v = enc - ZIP_INT_IMM_MIN;
            break;
          }
          throw corrupt(`invalid ziplist encoding byte 0x${enc.toString(16)}`, baseOffset + at);
      }
    }
    found++;
    prevSize = p - start;
  }
  if (p !== end) throw corrupt('ziplist entry runs into the terminator', baseOffset + p);
  if (zllen !== 0xffff && zllen !== found) throw corrupt(`ziplist says ${zllen} entries, found ${found}`, baseOffset + 8);
  if (has) handOver(r, blob, s, e, v, t);
  return found;
}

function intEncoding(v: number | bigint): { enc: number; size: number } {
  if (typeof v === 'bigint') return { enc: ZIP_INT_64B, size: 8 };
  if (v >= 0 && v <= 12) return { enc: ZIP_INT_IMM_MIN + v, size: 0 };
  if (v >= -128 && v <= 127) return { enc: ZIP_INT_8B, size: 1 };
  if (v >= -32768 && v <= 32767) return { enc: ZIP_INT_16B, size: 2 };
  if (v >= -8388608 && v <= 8388607) return { enc: ZIP_INT_24B, size: 3 };
  if (v >= -2147483648 && v <= 2147483647) return { enc: ZIP_INT_32B, size: 4 };
  return { enc: ZIP_INT_64B, size: 8 };
}

/** Encodes entries as a ziplist the way Redis builds one (integers in their smallest form). */
export function encodeZiplist(entries: Uint8Array[]): Uint8Array {
  // First pass: entry sizes.
  const ints: Array<number | bigint | null> = [];
  const sizes: number[] = [];
  let total = HEADER + 1;
  let prev = 0;
  for (const e of entries) {
    const iv = e.length <= 20 ? parseCanonicalInt(e) : null;
    ints.push(iv);
    const prevlenSize = prev < 254 ? 1 : 5;
    let body: number;
    if (iv !== null) body = 1 + intEncoding(iv).size;
    else body = (e.length <= 0x3f ? 1 : e.length <= 0x3fff ? 2 : 5) + e.length;
    const size = prevlenSize + body;
    sizes.push(size);
    total += size;
    prev = size;
  }
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, total, true);
  dv.setUint16(8, Math.min(entries.length, 0xffff), true);
  let p = HEADER;
  let tail = HEADER;
  prev = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    tail = p;
    if (prev < 254) out[p++] = prev;
    else {
      out[p] = ZIP_BIG_PREVLEN;
      dv.setUint32(p + 1, prev, true);
      p += 5;
    }
    const iv = ints[i]!;
    if (iv !== null) {
      const { enc } = intEncoding(iv);
      out[p++] = enc;
      switch (enc) {
        case ZIP_INT_8B: out[p++] = Number(iv) & 0xff; break;
        case ZIP_INT_16B: dv.setInt16(p, Number(iv), true); p += 2; break;
        case ZIP_INT_24B: { const v = Number(iv); out[p] = v & 0xff; out[p + 1] = (v >> 8) & 0xff; out[p + 2] = (v >> 16) & 0xff; p += 3; break; }
        case ZIP_INT_32B: dv.setInt32(p, Number(iv), true); p += 4; break;
        case ZIP_INT_64B: dv.setBigInt64(p, BigInt(iv), true); p += 8; break;
        default: break; // immediate
      }
    } else if (e.length <= 0x3f) {
      out[p++] = ZIP_STR_06B | e.length;
      out.set(e, p); p += e.length;
    } else if (e.length <= 0x3fff) {
      out[p++] = ZIP_STR_14B | (e.length >> 8);
      out[p++] = e.length & 0xff;
      out.set(e, p); p += e.length;
    } else {
      out[p++] = ZIP_STR_32B;
      dv.setUint32(p, e.length, false); p += 4;
      out.set(e, p); p += e.length;
    }
    prev = sizes[i]!;
  }
  dv.setUint32(4, tail, true);
  out[p] = ZIP_END;
  return out;
}
