/**
 * digitCount and putDigits, the integer formatting under every writer's
 * lengths, scores, expiries and stream IDs: against String(n) at each power
 * of ten, around 2^31 (where putDigits turns to 32-bit integer division) and
 * 2^53, and at random magnitudes.
 */
import { describe, expect, it } from 'vitest';
import { digitCount, putDigits } from '../../src/io/byte-writer.js';

function check(n: number): void {
  const want = String(n);
  expect(digitCount(n), `digitCount(${want})`).toBe(want.length);
  const buf = new Uint8Array(want.length + 4).fill(0x78);
  const end = putDigits(buf, 2, n);
  expect(end).toBe(2 + want.length);
  expect(new TextDecoder().decode(buf)).toBe(`xx${want}xx`);
}

describe('digitCount and putDigits write what String(n) writes', () => {
  it('at every power of ten and its neighbours', () => {
    check(0);
    for (let e = 0; e <= 15; e++) {
      const p = 10 ** e;
      for (const n of [p - 1, p, p + 1]) if (n >= 0) check(n);
    }
    check(Number.MAX_SAFE_INTEGER);
    check(Number.MAX_SAFE_INTEGER - 1);
  });

  it('around 2^31 and 2^32', () => {
    for (const b of [2 ** 31, 2 ** 32]) for (let d = -3; d <= 3; d++) check(b + d);
  });

  it('at random magnitudes', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 20000; i++) {
      const n = Math.floor(rnd() * 10 ** Math.floor(rnd() * 16));
      check(Math.min(n, Number.MAX_SAFE_INTEGER));
    }
  });
});
