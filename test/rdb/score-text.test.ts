/**
 * Score text (listpack/ziplist sorted sets, type-3 scores): parseScore's fast
 * path (no string made, Clinger's exact division) must give the double that
 * the engine's own decimal parser (`Number`, like C strtod) gives, bit for bit
 * (-0 included), and hand every other form to the general path.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseScore } from '../../src/rdb/double.js';
import { RdbkitError } from '../../src/errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const same = (s: string): void => {
  expect(Object.is(parseScore(enc(s), 0), Number(s)), s).toBe(true);
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
});
