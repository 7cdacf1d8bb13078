/**
 * LZF (liblzf, as Redis uses it for compressed strings; format.md 4.1):
 * chunks of literal runs (control < 32: copy control+1 bytes) and back
 * references (length = control >> 5, 7 meaning "add the next byte"; distance
 * from the low 5 bits and the next byte, plus one; copy length + 2 bytes).
 */
import { corrupt } from '../errors.js';
import { KERNEL_DATA, kernels } from './kernels.js';

/**
 * Values up to this size (input + output) decompress in the WebAssembly
 * kernel (kernels.ts, ~1.5× faster with the copies in and out); larger ones
 * here, so that the kernel's memory, which never shrinks, stays small.
 */
const KERNEL_MAX = 8 << 20;
/** What the kernel's fault codes mean (kernels.wat). */
const KERNEL_FAULTS = [
  '',
  'LZF literal run past the end of the compressed data',
  'LZF output longer than its stated length',
  'LZF back reference past the end of the compressed data',
  'LZF back reference before the start of the output',
];

/** Decompresses `input` into exactly `outLen` bytes. Faults are CORRUPT at `baseOffset` + input index. */
export function lzfDecompress(input: Uint8Array, outLen: number, baseOffset: number): Uint8Array {
  const out = new Uint8Array(outLen);
  lzfDecompressInto(input, 0, input.length, out, outLen, baseOffset);
  return out;
}

/**
 * Decompresses `input[start, end)` in the WebAssembly kernel's memory, the
 * output left there: returns a view of it, valid only until the next
 * decompression or checksum (any of them, anywhere: the memory is shared),
 * or null when the kernel is not available or the data is too large for it
 * (then use lzfDecompressInto). Faults as lzfDecompressInto. Saves copying
 * the output for a caller that consumes it at once.
 */
export function lzfDecompressView(input: Uint8Array, start: number, end: number, outLen: number, baseOffset: number): Uint8Array | null {
  if (end - start + outLen > KERNEL_MAX || outLen < 0 || end <= start) return null;
  const k = kernels();
  if (k === null) return null;
  // Input at KERNEL_DATA, output after it (8-aligned).
  const inLen = end - start;
  const o = KERNEL_DATA + ((inLen + 7) & ~7);
  // 16 bytes of room after the output: the kernel copies in 16-byte steps.
  const mem = k.memory(o + outLen + 16);
  mem.set(input.subarray(start, end), KERNEL_DATA);
  const r = k.lzf(KERNEL_DATA, KERNEL_DATA + inLen, o, o + outLen);
  if (r < 0) throw corrupt(KERNEL_FAULTS[k.fault()]!, baseOffset + (-1 - r - KERNEL_DATA));
  if (r - o !== outLen) throw corrupt(`LZF output is ${r - o} bytes, expected ${outLen}`, baseOffset + inLen);
  return mem.subarray(o, o + outLen);
}

/**
 * Decompresses `input[start, end)` into `out[0, outLen)` (`out` may be longer:
 * a reused buffer). Faults are CORRUPT at `baseOffset` + index from `start`.
 * With `out` null nothing is written: the data is only checked, with the same
 * faults at the same offsets (for callers that copy the compressed bytes).
 */
export function lzfDecompressInto(input: Uint8Array, start: number, end: number, out: Uint8Array | null, outLen: number, baseOffset: number): void {
  if (out !== null) {
    const view = lzfDecompressView(input, start, end, outLen, baseOffset);
    if (view !== null) {
      out.set(view);
      return;
    }
  }
  baseOffset -= start;
  const n = end;
  let ip = start;
  let op = 0;
  // Runs move four bytes at a time through DataViews (big-endian both ways,
  // so bytes keep their order): 20–40% faster than byte loops here.
  const iv = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const ov = out === null ? null : new DataView(out.buffer, out.byteOffset, out.byteLength);
  while (ip < n) {
    const at = ip;
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (ip + len > n) throw corrupt('LZF literal run past the end of the compressed data', baseOffset + at);
      if (op + len > outLen) throw corrupt('LZF output longer than its stated length', baseOffset + at);
      if (ov === null) {
        ip += len;
        op += len;
        continue;
      }
      // Literal runs are at most 32 bytes: a loop beats subarray + set.
      let k = len;
      for (; k >= 4; k -= 4, op += 4, ip += 4) ov.setUint32(op, iv.getUint32(ip));
      for (; k > 0; k--) out![op++] = input[ip++]!;
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (ip >= n) throw corrupt('LZF back reference past the end of the compressed data', baseOffset + at);
        len += input[ip++]!;
      }
      if (ip >= n) throw corrupt('LZF back reference past the end of the compressed data', baseOffset + at);
      const ref = op - ((ctrl & 0x1f) << 8) - input[ip++]! - 1;
      len += 2;
      if (ref < 0) throw corrupt('LZF back reference before the start of the output', baseOffset + at);
      if (op + len > outLen) throw corrupt('LZF output longer than its stated length', baseOffset + at);
      if (ov === null) {
        op += len;
        continue;
      }
      const dist = op - ref;
      if (dist >= len && len > 16) {
        out!.copyWithin(op, ref, ref + len);
        op += len;
      } else if (dist >= 4) {
        // Each four-byte read is of bytes already written (the run may overlap its source).
        let r = ref;
        let k = len;
        for (; k >= 4; k -= 4, op += 4, r += 4) ov.setUint32(op, ov.getUint32(r));
        for (; k > 0; k--) out![op++] = out![r++]!;
      } else {
        for (let k = 0; k < len; k++) out![op++] = out![ref + k]!;
      }
    }
  }
  if (op !== outLen) throw corrupt(`LZF output is ${op} bytes, expected ${outLen}`, baseOffset + n);
}

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_LIT = 32;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const htabShared = new Int32Array(HSIZE);
let hbase = 1;

/**
 * Compresses `input` with LZF (compatible with Redis's lzf_c.c). Returns null
 * when the result would not be smaller than the input.
 */
export function lzfCompress(input: Uint8Array): Uint8Array | null {
  const n = input.length;
  if (n < 4) return null;
  const outCap = n - 1;
  const out = new Uint8Array(outCap + 64);
  // One hash table for all calls: positions are stored offset by `base`, so
  // entries left by earlier calls (below base) read as empty without a reset.
  if (hbase + n + 1 > 0x7fffffff) {
    htabShared.fill(0);
    hbase = 1;
  }
  const base = hbase;
  hbase += n + 1;
  const htab = htabShared;
  let ip = 0;
  let op = 1; // room for the first literal control byte
  let lit = 0;
  const hash = (p: number): number => {
    const v = (input[p]! << 16) | (input[p + 1]! << 8) | input[p + 2]!;
    return Math.imul(v, 0x9e3779b1) >>> (32 - HLOG);
  };
  while (ip < n) {
    // A back reference needs 3 bytes to match.
    const h = ip < n - 2 ? hash(ip) : -1;
    const stored = h < 0 ? 0 : htab[h]!;
    const ref = stored >= base ? stored - base : -1;
    if (h >= 0) htab[h] = ip + base;
    const off = ip - ref - 1;
    if (
      ref >= 0 &&
      off < MAX_OFF &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      let len = 2;
      const maxLen = Math.min(n - ip - len, MAX_REF);
      do len++;
      while (len < maxLen && input[ref + len] === input[ip + len]);
      len -= 2; // encoded length
      // close the pending literal run
      if (lit) {
        out[op - lit - 1] = lit - 1;
      } else {
        op--; // no literal: drop the reserved control byte
      }
      if (op + 3 + 1 > outCap) return null;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // reserve the next control byte
      ip += len + 2;
      if (ip < n - 2) {
        // re-hash the last two positions of the match, as liblzf does
        htab[hash(ip - 2)] = ip - 2 + base;
        htab[hash(ip - 1)] = ip - 1 + base;
      }
      continue;
    }
    if (op >= outCap) return null;
    lit++;
    out[op++] = input[ip++]!;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  if (lit) out[op - lit - 1] = lit - 1;
  else op--;
  if (op >= n) return null;
  return out.slice(0, op);
}

const HISTORY = 8192;
const WINDOW = 1 << 16;

/**
 * Streaming LZF decompression for large values: compressed input arrives in
 * pieces split anywhere; output comes back in pieces (copies) while only the
 * last 8 KiB of output is kept for back references.
 */
export class LzfStreamDecoder {
  private readonly win = new Uint8Array(HISTORY + WINDOW + 512);
  private wpos = 0;
  private emitted = 0;
  private carry: Uint8Array = new Uint8Array(0);
  private consumed = 0;
  /** Output bytes produced so far. */
  produced = 0;

  constructor(
    private readonly outLen: number,
    private readonly baseOffset: number,
  ) {}

  private flush(out: Uint8Array[]): void {
    if (this.wpos > this.emitted) out.push(this.win.slice(this.emitted, this.wpos));
    this.emitted = this.wpos;
  }

  private room(len: number, out: Uint8Array[]): void {
    if (this.wpos + len <= this.win.length) return;
    this.flush(out);
    const keep = Math.min(this.wpos, HISTORY);
    this.win.copyWithin(0, this.wpos - keep, this.wpos);
    this.wpos = keep;
    this.emitted = keep;
  }

  /** Feeds the next piece of compressed input; returns the output it completes. */
  push(piece: Uint8Array): Uint8Array[] {
    let input = piece;
    if (this.carry.length > 0) {
      input = new Uint8Array(this.carry.length + piece.length);
      input.set(this.carry, 0);
      input.set(piece, this.carry.length);
    }
    const out: Uint8Array[] = [];
    const n = input.length;
    const win = this.win;
    let ip = 0;
    for (;;) {
      if (ip >= n) break;
      const at = ip;
      const ctrl = input[ip]!;
      if (ctrl < 32) {
        const len = ctrl + 1;
        if (at + 1 + len > n) break;
        if (this.produced + len > this.outLen) throw corrupt('LZF output longer than its stated length', this.baseOffset + this.consumed + at);
        this.room(len, out);
        win.set(input.subarray(at + 1, at + 1 + len), this.wpos);
        this.wpos += len;
        this.produced += len;
        ip = at + 1 + len;
      } else {
        let len = ctrl >>> 5;
        let p = at + 1;
        if (len === 7) {
          if (p >= n) break;
          len += input[p++]!;
        }
        if (p >= n) break;
        const dist = ((ctrl & 0x1f) << 8) + input[p++]! + 1;
        len += 2;
        if (dist > this.produced) throw corrupt('LZF back reference before the start of the output', this.baseOffset + this.consumed + at);
        if (this.produced + len > this.outLen) throw corrupt('LZF output longer than its stated length', this.baseOffset + this.consumed + at);
        this.room(len, out);
        let ref = this.wpos - dist;
        for (let k = 0; k < len; k++) win[this.wpos++] = win[ref++]!;
        this.produced += len;
        ip = p;
      }
    }
    this.consumed += ip;
    this.carry = ip < n ? input.slice(ip) : new Uint8Array(0);
    this.consumed -= 0;
    this.flush(out);
    // Keep at most HISTORY bytes behind the write position between pushes.
    if (this.wpos > HISTORY + WINDOW / 2) {
      const keep = HISTORY;
      win.copyWithin(0, this.wpos - keep, this.wpos);
      this.wpos = keep;
      this.emitted = keep;
    }
    return out;
  }

  /** Checks that the input ended on a chunk boundary with exactly the stated output length. */
  finish(): void {
    if (this.carry.length > 0) throw corrupt('LZF data ends inside a chunk', this.baseOffset + this.consumed);
    if (this.produced !== this.outLen) throw corrupt(`LZF output is ${this.produced} bytes, expected ${this.outLen}`, this.baseOffset + this.consumed);
  }
}
