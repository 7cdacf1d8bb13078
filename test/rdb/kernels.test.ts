/**
 * The WebAssembly kernels (src/rdb/kernels.wat) against the JavaScript
 * versions they stand in for: same CRCs, same LZF output, and the same
 * errors at the same offsets on damaged data. Also: the committed module is
 * what the .wat source assembles to.
 */
import { afterEach, describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RdbkitError } from '../../src/index.js';
import { Crc64 } from '../../src/rdb/crc64.js';
import { kernels, resetKernels } from '../../src/rdb/kernels.js';
import { KERNELS_WASM } from '../../src/rdb/kernels.wasm.js';
import { lzfCompress, lzfDecompressInto } from '../../src/rdb/lzf.js';
import { assembleKernels, kernelsModuleText } from '../../scripts/kernels.mjs';
import { readFileSync } from 'node:fs';

afterEach(() => resetKernels());

/** Runs `f` with the kernels (true) or with WebAssembly treated as missing (false). */
function using<T>(wasm: boolean, f: () => T): T {
  resetKernels(!wasm);
  try {
    return f();
  } finally {
    resetKernels();
  }
}

function crcOf(b: Uint8Array, cuts: number[]): [number, number] {
  const c = new Crc64();
  let at = 0;
  for (const cut of [...cuts, b.length]) {
    const k = Math.min(b.length, Math.max(at, cut));
    c.update(b, at, k);
    at = k;
  }
  return [c.lo, c.hi];
}

function lzfOutcome(b: Uint8Array, n: number): string {
  try {
    const out = new Uint8Array(n + 3).fill(0xee);
    lzfDecompressInto(b, 0, b.length, out, n, 7);
    return 'ok ' + Buffer.from(out).toString('hex');
  } catch (e) {
    if (!(e instanceof RdbkitError)) throw e;
    return `${e.code} ${e.message} @${e.offset}`;
  }
}

describe('WebAssembly kernels', () => {
  it('the committed module is the assembled kernels.wat, and Node loads it', async () => {
    const bytes = await assembleKernels();
    expect(readFileSync(new URL('../../src/rdb/kernels.wasm.ts', import.meta.url), 'utf8')).toBe(kernelsModuleText(bytes));
    expect(Buffer.from(KERNELS_WASM, 'base64').equals(Buffer.from(bytes))).toBe(true);
    expect(kernels()).not.toBeNull();
  });

  it('CRC-64: the kernel agrees with slicing-by-16 at any length and split, across the copy window', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 200, maxLength: 5000 }), fc.array(fc.nat(5000), { maxLength: 4 }), (b, cuts) => {
        cuts.sort((x, y) => x - y);
        expect(using(true, () => crcOf(b, cuts))).toEqual(using(false, () => crcOf(b, cuts)));
      }),
      { numRuns: 300 },
    );
    // Over 1 MiB: more than one window, with an odd start.
    const big = new Uint8Array(3 * (1 << 20) + 12345);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    expect(using(true, () => crcOf(big, [3, 1 << 20, (1 << 21) + 1]))).toEqual(using(false, () => crcOf(big, [])));
  });

  it('LZF: the kernel gives the same bytes, and the same errors and offsets, as lzf.ts', () => {
    const damaged = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 600 }), fc.nat(), fc.nat(255), fc.integer({ min: -3, max: 3 })).chain(([b, at, v, d]) => {
      const z = lzfCompress(new Uint8Array([...b, ...b.subarray(1), ...b]));
      const n = 3 * b.length - 1;
      if (!z) return fc.constant<[Uint8Array, number]>([b, b.length]);
      const m = z.slice();
      if (d === 0) m[at % m.length] = v;
      return fc.constant<[Uint8Array, number]>([m, n + d]);
    });
    // Periodic data: back references at every distance from 1 to 12, on both
    // sides of the kernel's 8 (below it, copies overlap their source).
    const periodic = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 400 })).map(([unit, n]): [Uint8Array, number] => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = unit[i % unit.length]!;
      return [lzfCompress(b) ?? b, lzfCompress(b) ? n : b.length];
    });
    let failures = 0;
    fc.assert(
      fc.property(fc.oneof(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(200)), damaged, periodic), ([b, n]) => {
        const wasm = using(true, () => lzfOutcome(b, n));
        if (!wasm.startsWith('ok')) failures++;
        expect(wasm).toBe(using(false, () => lzfOutcome(b, n)));
      }),
      { numRuns: 5000 },
    );
    // Both outcomes were exercised.
    expect(failures).toBeGreaterThan(500);
    expect(failures).toBeLessThan(4000);
  });

  it('LZF: long values (memory grows), and values over the kernel limit take the JavaScript path', () => {
    for (const n of [100_000, 3 << 20, 9 << 20]) {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = i % 251 < 40 ? (i * 7919) & 0xff : i % 13;
      const z = lzfCompress(b)!;
      const out = new Uint8Array(n);
      lzfDecompressInto(z, 0, z.length, out, n, 0);
      expect(Buffer.from(out).equals(Buffer.from(b))).toBe(true);
    }
  });
});
