/**
 * Score text (listpack/ziplist sorted sets, type-3 scores): parseScore's fast
 * path (no string made, Clinger's exact division) must give the double that
 * the engine's own decimal parser (`Number`, like C strtod) gives, bit for bit
 * (-0 included), and hand every other form to the general path. The
 * 16–19-digit path (Redis 7.0 writes %.17g) rounds with exact integer
 * arithmetic; it is checked on the cases that decide rounding: texts a hair
 * above, at and below the midpoint between two neighbouring doubles, ties at
 * x.5 and x.25, and the neighbours of powers of two.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseScore } from '../../src/rdb/double.js';
import { RdbkitError } from '../../src/errors.js';
import { respKernel, RUN_IN } from '../../src/rdb/kernels.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** The RESP kernel's reading (kernels.wat $lpscore, as lpcheck and run use it for listpack sorted sets): NaN where it leaves the text to JavaScript. */
const kernel = respKernel();
function kernelScore(s: string): number {
  const b = enc(s);
  kernel!.mem.set(b, RUN_IN);
  return kernel!.scoretext(RUN_IN, b.length);
}
let kernelRead = 0;
/** parseScore, and the kernel where it reads the text, give Number's double. */
const same = (s: string): void => {
  expect(Object.is(parseScore(enc(s), 0), Number(s)), s).toBe(true);
  if (kernel === null) return;
  const v = kernelScore(s);
  if (Number.isNaN(v)) return;
  kernelRead++;
  expect(Object.is(v, Number(s)), `kernel: ${s}`).toBe(true);
};

describe('parseScore', () => {
  it('edge forms read as Number reads them', () => {
    for (const s of ['0', '-0', '1', '-1', '0.5', '.5', '-.5', '1.50', '007', '123456789012345', '1234567890123456', '12345678901234567890', '0.000123', '-0.0', '999999999999999.9', '0.30000000000000004', '1e5', '-2.5E-3', '0.00000000000000000000001', '5.']) same(s);
    for (const s of ['inf', '-inf', '+inf', 'Infinity', 'nan']) expect(parseScore(enc(s), 0)).toSatisfy((v: number) => Number.isNaN(v) || !Number.isFinite(v));
    for (const s of ['', '.', '-', '1.2.3', 'abc', '1-2']) expect(() => parseScore(enc(s), 9)).toThrow(RdbkitError);
  });

  it('every shortest form of a double (what Redis writes) reads back as that double', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => same(String(d))), { numRuns: 20000 });
  });

  it('fixed-point texts of up to 8 decimals read as Number reads them', () => {
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 0, max: 8 }), (m, k) => same((m / 10 ** k).toFixed(k))), { numRuns: 20000 });
  });

  it('%.17g texts and 16–19-digit decimals read as Number reads them', () => {
    const scale = fc.integer({ min: -6, max: 15 });
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), scale, fc.integer({ min: 16, max: 19 }), fc.boolean(), (u, e, digits, neg) => {
        const d = (neg ? -u : u) * 10 ** e;
        for (const s of [d.toPrecision(17), d.toPrecision(digits), d.toFixed(Math.max(0, Math.min(22, digits - e - 1)))]) if (!/e/.test(s)) same(s);
      }),
      { numRuns: 30000 },
    );
  });

  it('texts next to the midpoint between two doubles, and exact ties, round as Number rounds them', () => {
    /** The exact decimal of the midpoint above the positive double c, as [integer digits, fraction digits]. */
    const midpoint = (c: number): string => {
      const v = new DataView(new ArrayBuffer(8));
      v.setFloat64(0, c);
      const hi = v.getUint32(0);
      const M = (BigInt((hi & 0xfffff) | 0x100000) << 32n) | BigInt(v.getUint32(4));
      const E = (hi >>> 20) - 1075 - 1; // (2M + 1) × 2^E
      const n = 2n * M + 1n;
      if (E >= 0) return (n << BigInt(E)).toString();
      const digits = (n * 5n ** BigInt(-E)).toString().padStart(-E + 1, '0');
      return `${digits.slice(0, digits.length + E)}.${digits.slice(digits.length + E)}`;
    };
    const around = (text: string): string[] => {
      // cut to 16–19 significant digits, and the last digit one up or down
      const out: string[] = [];
      const first = text.search(/[1-9]/);
      for (let n = 16; n <= 19; n++) {
        let end = first;
        for (let seen = 0; end < text.length && seen < n; end++) if (text[end] !== '.') seen++;
        const cut = text.slice(0, end);
        if (!cut.includes('.') && end < text.length && text.indexOf('.') !== end) continue; // would drop integer digits
        out.push(cut);
        const last = Number(cut[cut.length - 1]);
        if (last < 9) out.push(cut.slice(0, -1) + (last + 1));
        if (last > 0) out.push(cut.slice(0, -1) + (last - 1));
      }
      return out;
    };
    fc.assert(
      fc.property(fc.double({ min: 2 ** -19, max: 2 ** 53, noNaN: true }), (c) => {
        for (const s of around(midpoint(c))) {
          same(s);
          same(`-${s}`);
        }
      }),
      { numRuns: 20000 },
    );
    // exact ties: x.5 in [2^52, 2^53), x.25 / x.75 in [2^51, 2^52), both ways to even
    for (const c of [2 ** 52, 2 ** 52 + 1, 2 ** 52 + 2, 2 ** 53 - 2, 2 ** 51, 2 ** 51 + 0.5, 2 ** 51 + 1, 6004799503160661, 1e15 + 0.25]) {
      same(midpoint(c));
      for (const s of around(midpoint(c))) same(s);
    }
    // the neighbours of powers of two (where the spacing of doubles halves)
    for (let e = -19; e <= 52; e++) {
      for (const c of [2 ** e, 2 ** e * (1 - 2 ** -53), 2 ** e * (1 + 2 ** -52)]) {
        same(c.toPrecision(17));
        for (const s of around(midpoint(c))) same(s);
        const below = c - (e > -19 ? 2 ** (e - 54) : 0);
        same(below.toPrecision(18));
      }
    }
  });

  it.skipIf(kernel === null)('the kernel reads the same texts (the checks above ran it too), and leaves the other forms to JavaScript', () => {
    // Every text the tests above gave: the kernel read most of them, each as Number does.
    expect(kernelRead).toBeGreaterThan(100000);
    for (const s of ['0.5', '-0', '007', '123456.78899999999', '1700000000000', '0.1', '-12.25']) expect(Object.is(kernelScore(s), Number(s)), s).toBe(true);
    for (const s of ['1e5', 'inf', '-inf', 'nan', '5.', '.', '-', '', '+1', '12345678901234567890', '0.00000000000000000000001', '1 ']) expect(kernelScore(s), s).toBeNaN();
  });
});
