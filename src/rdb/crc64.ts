/**
 * CRC-64/Jones as Redis computes it (format.md 2.7): polynomial
 * 0xAD93D23594C935A9, reflected (LSB-first table uses 0x95AC9329AC4BC9B5),
 * init 0, no final XOR. Check value of "123456789": 0xe9c6d914c4b8d9ca.
 *
 * Slicing-by-8 over two Uint32 halves: the hot loop uses no BigInt.
 */

const SLICES = 8;
/** Low and high 32-bit halves of the 8 slicing tables, 256 entries each. */
const TLO = new Uint32Array(256 * SLICES);
const THI = new Uint32Array(256 * SLICES);

(function buildTables(): void {
  const POLY_LO = 0xac4bc9b5;
  const POLY_HI = 0x95ac9329;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const lsb = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = hi >>> 1;
      if (lsb) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    TLO[i] = lo;
    THI[i] = hi;
  }
  for (let s = 1; s < SLICES; s++) {
    for (let i = 0; i < 256; i++) {
      const plo = TLO[(s - 1) * 256 + i]!;
      const phi = THI[(s - 1) * 256 + i]!;
      const idx = plo & 0xff;
      TLO[s * 256 + i] = (((plo >>> 8) | (phi << 24)) ^ TLO[idx]!) >>> 0;
      THI[s * 256 + i] = ((phi >>> 8) ^ THI[idx]!) >>> 0;
    }
  }
})();

/** Incremental CRC-64/Jones. */
export class Crc64 {
  /** Low 32 bits of the running CRC. */
  lo = 0;
  /** High 32 bits of the running CRC. */
  hi = 0;

  /** Adds `bytes[start, end)` to the checksum. */
  update(bytes: Uint8Array, start = 0, end = bytes.length): void {
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    const T = TLO;
    const H = THI;
    // Slicing-by-8 over aligned-or-not words read byte by byte (no DataView per call).
    const stop8 = end - 8;
    while (i <= stop8) {
      const a = (lo ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
      const b = (hi ^ (bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24))) >>> 0;
      const i7 = 1792 + (a & 0xff);
      const i6 = 1536 + ((a >>> 8) & 0xff);
      const i5 = 1280 + ((a >>> 16) & 0xff);
      const i4 = 1024 + (a >>> 24);
      const i3 = 768 + (b & 0xff);
      const i2 = 512 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = T[i7]! ^ T[i6]! ^ T[i5]! ^ T[i4]! ^ T[i3]! ^ T[i2]! ^ T[i1]! ^ T[i0]!;
      hi = H[i7]! ^ H[i6]! ^ H[i5]! ^ H[i4]! ^ H[i3]! ^ H[i2]! ^ H[i1]! ^ H[i0]!;
      i += 8;
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
