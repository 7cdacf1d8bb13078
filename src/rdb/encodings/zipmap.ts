/**
 * Zipmap (Redis ≤ 2.4 hashes; format.md 7.4): `zmlen u8 | (len field len
 * free value free-bytes)* | 0xFF`; a len is one byte 0–253 or 0xFE + u32le.
 */
import { corrupt } from '../../errors.js';

const ZIPMAP_BIGLEN = 254;
const ZIPMAP_END = 255;

/** Decodes a zipmap blob into a flat list `[field, value, field, value, …]` of views. */
export function decodeZipmap(blob: Uint8Array, baseOffset: number): Uint8Array[] {
  const n = blob.length;
  if (n < 2) throw corrupt(`zipmap of ${n} bytes is too short`, baseOffset);
  const dv = new DataView(blob.buffer, blob.byteOffset, n);
  const zmlen = blob[0]!;
  const end = n - 1;
  if (blob[end] !== ZIPMAP_END) throw corrupt('zipmap is not terminated by 0xFF', baseOffset + end);
  const out: Uint8Array[] = [];
  let p = 1;
  const readLen = (): number => {
    const b = blob[p]!;
    if (b < ZIPMAP_BIGLEN) {
      p += 1;
      return b;
    }
    if (b === ZIPMAP_BIGLEN) {
      if (p + 5 > end) throw corrupt('zipmap length runs past the end', baseOffset + p);
      const v = dv.getUint32(p + 1, true);
      p += 5;
      return v;
    }
    throw corrupt('zipmap ends inside an entry', baseOffset + p);
  };
  while (p < end) {
    const flen = readLen();
    if (flen > end - p) throw corrupt('zipmap field runs past the end', baseOffset + p);
    out.push(blob.subarray(p, p + flen));
    p += flen;
    if (p >= end) throw corrupt('zipmap field has no value', baseOffset + p);
    const vlen = readLen();
    if (p >= end) throw corrupt('zipmap value has no free byte', baseOffset + p);
    const free = blob[p++]!;
    if (vlen > end - p || free > end - p - vlen) throw corrupt('zipmap value runs past the end', baseOffset + p);
    out.push(blob.subarray(p, p + vlen));
    p += vlen + free;
  }
  if (p !== end) throw corrupt('zipmap entry runs into the terminator', baseOffset + p);
  if (zmlen < ZIPMAP_BIGLEN && zmlen !== out.length / 2) throw corrupt(`zipmap says ${zmlen} pairs, found ${out.length / 2}`, baseOffset);
  return out;
}

/** Encodes `[field, value, …]` as a zipmap (no free bytes). */
export function encodeZipmap(pairs: Uint8Array[]): Uint8Array {
  const lenSize = (l: number): number => (l < ZIPMAP_BIGLEN ? 1 : 5);
  let total = 2;
  for (let i = 0; i < pairs.length; i++) total += lenSize(pairs[i]!.length) + pairs[i]!.length + (i % 2 === 1 ? 1 : 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out[0] = Math.min(pairs.length / 2, ZIPMAP_BIGLEN);
  let p = 1;
  for (let i = 0; i < pairs.length; i++) {
    const e = pairs[i]!;
    if (e.length < ZIPMAP_BIGLEN) out[p++] = e.length;
    else {
      out[p] = ZIPMAP_BIGLEN;
      dv.setUint32(p + 1, e.length, true);
      p += 5;
    }
    if (i % 2 === 1) out[p++] = 0;
    out.set(e, p);
    p += e.length;
  }
  out[p] = ZIPMAP_END;
  return out;
}
