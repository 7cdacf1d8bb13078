/**
 * CRC-64/Jones as Redis computes it (format.md 2.7): polynomial
 * 0xAD93D23594C935A9, reflected (LSB-first table uses 0x95AC9329AC4BC9B5),
 * init 0, no final XOR. Check value of "123456789": 0xe9c6d914c4b8d9ca.
 *
 * Runs of 256 bytes or more go through the WebAssembly kernel (kernels.ts,
 * 2.7 GB/s); the rest, and everything where WebAssembly is missing, through
 * slicing-by-16 over two Uint32 halves, with no BigInt in the loop (0.9 GB/s).
 */

import { KERNEL_DATA, kernels, type Kernels } from './kernels.js';
import { crcTables } from './crc64-tables.js';

/** Shorter runs stay in JavaScript: the copy and call would cost more than they save. */
const KERNEL_MIN = 256;
/** How much is copied into the kernel's memory at a time. */
const KERNEL_WINDOW = 1 << 20;

/** Incremental CRC-64/Jones. */
export class Crc64 {
  /** Low 32 bits of the running CRC. */
  lo = 0;
  /** High 32 bits of the running CRC. */
  hi = 0;

  /** Adds `bytes[start, end)` to the checksum. */
  update(bytes: Uint8Array, start = 0, end = bytes.length): void {
    if (end - start >= KERNEL_MIN) {
      const k = kernels();
      if (k !== null) {
        this.kernelUpdate(k, bytes, start, end);
        return;
      }
    }
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    const [T, H] = crcTables();
    if (end - start >= 16) {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const stop16 = end - 16;
      while (i <= stop16) {
        const a = (lo ^ dv.getUint32(i, true)) >>> 0;
        const b = (hi ^ dv.getUint32(i + 4, true)) >>> 0;
        const c = dv.getUint32(i + 8, true);
        const d = dv.getUint32(i + 12, true);
        const k0 = 3840 + (a & 0xff), k1 = 3584 + ((a >>> 8) & 0xff), k2 = 3328 + ((a >>> 16) & 0xff), k3 = 3072 + (a >>> 24);
        const k4 = 2816 + (b & 0xff), k5 = 2560 + ((b >>> 8) & 0xff), k6 = 2304 + ((b >>> 16) & 0xff), k7 = 2048 + (b >>> 24);
        const k8 = 1792 + (c & 0xff), k9 = 1536 + ((c >>> 8) & 0xff), k10 = 1280 + ((c >>> 16) & 0xff), k11 = 1024 + (c >>> 24);
        const k12 = 768 + (d & 0xff), k13 = 512 + ((d >>> 8) & 0xff), k14 = 256 + ((d >>> 16) & 0xff), k15 = d >>> 24;
        lo = T[k0]! ^ T[k1]! ^ T[k2]! ^ T[k3]! ^ T[k4]! ^ T[k5]! ^ T[k6]! ^ T[k7]! ^ T[k8]! ^ T[k9]! ^ T[k10]! ^ T[k11]! ^ T[k12]! ^ T[k13]! ^ T[k14]! ^ T[k15]!;
        hi = H[k0]! ^ H[k1]! ^ H[k2]! ^ H[k3]! ^ H[k4]! ^ H[k5]! ^ H[k6]! ^ H[k7]! ^ H[k8]! ^ H[k9]! ^ H[k10]! ^ H[k11]! ^ H[k12]! ^ H[k13]! ^ H[k14]! ^ H[k15]!;
        i += 16;
      }
    }
    while (i < end) {
      const idx = (lo ^ bytes[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ T[idx]!;
      hi = (hi >>> 8) ^ H[idx]!;
      i++;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /**
   * For a caller that fills the kernel's memory itself (the checksum worker
   * reads the file straight into it, one copy less): a view of `n` bytes
   * there, valid until the next `update` of any Crc64 on this thread, or null
   * where the kernel is missing. Then `updateWindow(m)` adds its first m bytes.
   */
  static window(n: number): Uint8Array | null {
    const k = kernels();
    return k === null ? null : k.memory(KERNEL_DATA + n).subarray(KERNEL_DATA, KERNEL_DATA + n);
  }

  /** Adds the first `n` bytes of `Crc64.window`'s view to the checksum. */
  updateWindow(n: number): void {
    const k = kernels()!;
    k.crc(this.lo, this.hi, KERNEL_DATA, KERNEL_DATA + n);
    this.lo = k.crcLo();
    this.hi = k.crcHi();
  }

  private kernelUpdate(k: Kernels, bytes: Uint8Array, start: number, end: number): void {
    let lo = this.lo;
    let hi = this.hi;
    const mem = k.memory(KERNEL_DATA + KERNEL_WINDOW);
    for (let p = start; p < end; p += KERNEL_WINDOW) {
      const q = Math.min(end, p + KERNEL_WINDOW);
      mem.set(bytes.subarray(p, q), KERNEL_DATA);
      k.crc(lo, hi, KERNEL_DATA, KERNEL_DATA + q - p);
      lo = k.crcLo();
      hi = k.crcHi();
    }
    this.lo = lo;
    this.hi = hi;
  }

  /** The CRC so far. */
  get value(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }

  /** Starts over. */
  reset(): void {
    this.lo = 0;
    this.hi = 0;
  }
}

/** Compares a running CRC with an 8-byte little-endian stored value, without BigInt. */
export function crc64Equals(c: Crc64, stored: Uint8Array): boolean {
  const lo = (stored[0]! | (stored[1]! << 8) | (stored[2]! << 16) | (stored[3]! << 24)) >>> 0;
  const hi = (stored[4]! | (stored[5]! << 8) | (stored[6]! << 16) | (stored[7]! << 24)) >>> 0;
  return lo === c.lo >>> 0 && hi === c.hi >>> 0;
}

/** CRC-64/Jones of `bytes` (continuing from `seed`, default 0). */
export function crc64(bytes: Uint8Array, seed = 0n): bigint {
  const c = new Crc64();
  c.lo = Number(seed & 0xffffffffn);
  c.hi = Number((seed >> 32n) & 0xffffffffn);
  c.update(bytes);
  return c.value;
}
