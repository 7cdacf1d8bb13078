/**
 * Listpack (format.md 7.2): `total-bytes u32le | num-elements u16le |
 * element* | 0xFF`; an element is its encoding+data followed by `backlen`,
 * the size of encoding+data in 1–5 bytes of 7-bit groups (most significant
 * group first). A forward reader cannot see where backlen ends from its
 * bits: its size follows from the element size.
 */
import { corrupt } from '../../errors.js';
import { int64ToAscii, parseCanonicalInt } from './int-text.js';
import { ElementList, handOver, type ElementReceiver } from '../sink.js';

const LP_HDR_SIZE = 6;
const LP_EOF = 0xff;
const LP_ENCODING_7BIT_UINT = 0x00;
const LP_ENCODING_6BIT_STR = 0x80;
const LP_ENCODING_13BIT_INT = 0xc0;
const LP_ENCODING_12BIT_STR = 0xe0;
const LP_ENCODING_32BIT_STR = 0xf0;
const LP_ENCODING_16BIT_INT = 0xf1;
const LP_ENCODING_24BIT_INT = 0xf2;
const LP_ENCODING_32BIT_INT = 0xf3;
const LP_ENCODING_64BIT_INT = 0xf4;

/** Bytes `backlen` takes for an element whose encoding+data is `l` bytes. */
export function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Decodes a listpack blob into its elements (integers as decimal text; strings as views). */
export function decodeListpack(blob: Uint8Array, baseOffset: number): Uint8Array[] {
  const list = new ElementList();
  walkListpack(blob, baseOffset, list);
  return list.out;
}

/**
 * Checks a listpack blob and hands its elements to `r` in order, each once
 * it is checked whole (its backlen included): a receiver never sees bytes
 * of a damaged element. Returns how many there were.
 */
export function walkListpack(blob: Uint8Array, baseOffset: number, r: ElementReceiver): number {
  const n = blob.length;
  if (n < LP_HDR_SIZE + 1) throw corrupt(`listpack of ${n} bytes is too short`, baseOffset);
  const total = (blob[0]! | (blob[1]! << 8) | (blob[2]! << 16) | (blob[3]! << 24)) >>> 0;
  if (total !== n) throw corrupt(`listpack says ${total} bytes, blob has ${n}`, baseOffset);
  const count = blob[4]! | (blob[5]! << 8);
  if (blob[n - 1] !== LP_EOF) throw corrupt('listpack is not terminated by 0xFF', baseOffset + n - 1);
  const end = n - 1;
  let found = 0;
  let p = LP_HDR_SIZE;
  while (p < end) {
    const start = p;
    const b = blob[p]!;
    // The element: an integer `iv`, or the string blob[s, e) (or `text`, for a 64-bit integer beyond 2^53).
    let iv = 0;
    let s = -1;
    let e = 0;
    let text: Uint8Array | null = null;
    if ((b & 0x80) === LP_ENCODING_7BIT_UINT) {
      iv = b;
      p += 1;
    } else if ((b & 0xc0) === LP_ENCODING_6BIT_STR) {
      const len = b & 0x3f;
      if (1 + len > end - p) throw corrupt('listpack string runs past the end', baseOffset + p);
      s = p + 1;
      e = p + 1 + len;
      p = e;
    } else if ((b & 0xe0) === LP_ENCODING_13BIT_INT) {
      if (p + 2 > end) throw corrupt('listpack integer runs past the end', baseOffset + p);
      let x = ((b & 0x1f) << 8) | blob[p + 1]!;
      if (x >= 4096) x -= 8192;
      iv = x;
      p += 2;
    } else if ((b & 0xf0) === LP_ENCODING_12BIT_STR) {
      if (p + 2 > end) throw corrupt('listpack string header runs past the end', baseOffset + p);
      const len = ((b & 0x0f) << 8) | blob[p + 1]!;
      if (2 + len > end - p) throw corrupt('listpack string runs past the end', baseOffset + p);
      s = p + 2;
      e = p + 2 + len;
      p = e;
    } else {
      switch (b) {
        case LP_ENCODING_32BIT_STR: {
          if (p + 5 > end) throw corrupt('listpack string header runs past the end', baseOffset + p);
          const len = (blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16) | (blob[p + 4]! << 24)) >>> 0;
          if (len > end - p - 5) throw corrupt('listpack string runs past the end', baseOffset + p);
          s = p + 5;
          e = p + 5 + len;
          p = e;
          break;
        }
        case LP_ENCODING_16BIT_INT:
          if (p + 3 > end) throw corrupt('listpack integer runs past the end', baseOffset + p);
          iv = ((blob[p + 1]! | (blob[p + 2]! << 8)) << 16) >> 16;
          p += 3;
          break;
        case LP_ENCODING_24BIT_INT:
          if (p + 4 > end) throw corrupt('listpack integer runs past the end', baseOffset + p);
          iv = ((blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16)) << 8) >> 8;
          p += 4;
          break;
        case LP_ENCODING_32BIT_INT:
          if (p + 5 > end) throw corrupt('listpack integer runs past the end', baseOffset + p);
          iv = blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16) | (blob[p + 4]! << 24);
          p += 5;
          break;
        case LP_ENCODING_64BIT_INT: {
          if (p + 9 > end) throw corrupt('listpack integer runs past the end', baseOffset + p);
          const lo = (blob[p + 1]! | (blob[p + 2]! << 8) | (blob[p + 3]! << 16) | (blob[p + 4]! << 24)) >>> 0;
          const hi = blob[p + 5]! | (blob[p + 6]! << 8) | (blob[p + 7]! << 16) | (blob[p + 8]! << 24);
          if (hi >= -0x200000 && hi < 0x200000) iv = hi * 0x100000000 + lo;
          else text = int64ToAscii(hi, lo);
          p += 9;
          break;
        }
        default:
          throw corrupt(`invalid listpack encoding byte 0x${b.toString(16)}`, baseOffset + p);
      }
    }
    const l = p - start;
    const bl = backlenSize(l);
    if (bl > end - p) throw corrupt('listpack backlen runs past the end', baseOffset + p);
    // Check the backlen: 7-bit groups, most significant first, high bit set on all but the first.
    let back = 0;
    for (let k = 0; k < bl; k++) {
      const c = blob[p + k]!;
      if ((k === 0) !== ((c & 0x80) === 0)) throw corrupt('invalid listpack backlen', baseOffset + p);
      back = back * 128 + (c & 0x7f);
    }
    if (back !== l) throw corrupt(`listpack backlen ${back} does not match the element size ${l}`, baseOffset + p);
    p += bl;
    found++;
    handOver(r, blob, s, e, iv, text);
  }
  if (p !== end) throw corrupt('listpack element runs into the terminator', baseOffset + p);
  if (count !== 0xffff && count !== found) throw corrupt(`listpack says ${count} elements, found ${found}`, baseOffset + 4);
  return found;
}

function writeBacklen(out: Uint8Array, p: number, l: number): number {
  const bl = backlenSize(l);
  for (let k = bl - 1; k >= 0; k--) {
    out[p + k] = (l & 0x7f) | (k === 0 ? 0 : 0x80);
    l = Math.floor(l / 128);
  }
  return p + bl;
}

function elementSize(e: Uint8Array, iv: number | bigint | null): number {
  if (iv !== null) {
    if (typeof iv === 'bigint') return 9;
    if (iv >= 0 && iv <= 127) return 1;
    if (iv >= -4096 && iv <= 4095) return 2;
    if (iv >= -32768 && iv <= 32767) return 3;
    if (iv >= -8388608 && iv <= 8388607) return 4;
    if (iv >= -2147483648 && iv <= 2147483647) return 5;
    return 9;
  }
  const len = e.length;
  if (len < 64) return 1 + len;
  if (len < 4096) return 2 + len;
  return 5 + len;
}

/** Encodes elements as a listpack the way Redis builds one (canonical integers in their smallest form). */
export function encodeListpack(entries: Uint8Array[]): Uint8Array {
  const ints: Array<number | bigint | null> = [];
  let total = LP_HDR_SIZE + 1;
  for (const e of entries) {
    const iv = e.length <= 20 ? parseCanonicalInt(e) : null;
    ints.push(iv);
    const l = elementSize(e, iv);
    total += l + backlenSize(l);
  }
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, total, true);
  dv.setUint16(4, Math.min(entries.length, 0xffff), true);
  let p = LP_HDR_SIZE;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const iv = ints[i]!;
    const start = p;
    const l = elementSize(e, iv);
    if (iv !== null) {
      if (typeof iv === 'bigint' || l === 9) {
        out[p] = LP_ENCODING_64BIT_INT;
        dv.setBigInt64(p + 1, BigInt(iv), true);
      } else if (l === 1) {
        out[p] = iv;
      } else if (l === 2) {
        const u = iv < 0 ? iv + 8192 : iv;
        out[p] = LP_ENCODING_13BIT_INT | (u >> 8);
        out[p + 1] = u & 0xff;
      } else if (l === 3) {
        out[p] = LP_ENCODING_16BIT_INT;
        dv.setInt16(p + 1, iv, true);
      } else if (l === 4) {
        out[p] = LP_ENCODING_24BIT_INT;
        out[p + 1] = iv & 0xff;
        out[p + 2] = (iv >> 8) & 0xff;
        out[p + 3] = (iv >> 16) & 0xff;
      } else {
        out[p] = LP_ENCODING_32BIT_INT;
        dv.setInt32(p + 1, iv, true);
      }
      p += l;
    } else {
      const len = e.length;
      if (len < 64) {
        out[p++] = LP_ENCODING_6BIT_STR | len;
      } else if (len < 4096) {
        out[p++] = LP_ENCODING_12BIT_STR | (len >> 8);
        out[p++] = len & 0xff;
      } else {
        out[p++] = LP_ENCODING_32BIT_STR;
        dv.setUint32(p, len, true);
        p += 4;
      }
      out.set(e, p);
      p += len;
    }
    p = writeBacklen(out, p, p - start);
  }
  out[p] = LP_EOF;
  return out;
}
