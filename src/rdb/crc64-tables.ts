/**
 * The slicing-by-16 tables of CRC-64/Jones (reflected polynomial
 * 0x95AC9329AC4BC9B5), as low and high 32-bit halves, for crc64.ts's
 * JavaScript path (short runs, or no WebAssembly): built on first use. (The
 * WebAssembly kernel builds its own copy, kernels.wat `crctables`: a loop
 * over them at every start was the first function V8 compiled, ahead of
 * the decoder's.)
 */

const SLICES = 16;

let tables: [lo: Uint32Array, hi: Uint32Array] | null = null;

/** Low and high 32-bit halves of the 16 slicing tables, 256 entries each. */
export function crcTables(): [lo: Uint32Array, hi: Uint32Array] {
  if (tables !== null) return tables;
  const TLO = new Uint32Array(256 * SLICES);
  const THI = new Uint32Array(256 * SLICES);
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
  tables = [TLO, THI];
  return tables;
}
