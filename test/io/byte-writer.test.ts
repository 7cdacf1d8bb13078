/**
 * The byte writer's hot helpers. digitCount and putDigits, the integer
 * formatting under every writer's lengths, scores, expiries and stream IDs:
 * against String(n) at each power of ten, around 2^31 (where putDigits turns
 * to 32-bit integer division) and 2^53, and at random magnitudes. copyBytes,
 * under every RESP bulk string: against the source bytes, for the DataView
 * path and its fallbacks.
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter, digitCount, putDigits } from '../../src/io/byte-writer.js';

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

/** A ByteWriter whose copyBytes the test can call. */
class Copier extends ByteWriter {
  copy(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    this.pos = this.copyBytes(src, start, end, this.pos);
  }
}

describe('ByteWriter.copyBytes', () => {
  it('copies every length and offset exactly, from sources that repeat, alternate and are views, across buffer growth', () => {
    let seed = 99;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const bases = [0, 1, 2, 3].map((k) => {
      const b = new Uint8Array(300 + k);
      for (let i = 0; i < b.length; i++) b[i] = rnd(256);
      return b;
    });
    // Views at odd offsets into the same buffers, and small arrays of their own.
    const sources = [...bases, bases[0]!.subarray(3), bases[1]!.subarray(7, 200), ...Array.from({ length: 4 }, () => bases[2]!.slice(rnd(50), 60 + rnd(50)))];
    for (let round = 0; round < 20; round++) {
      const w = new Copier(16);
      const want: number[] = [];
      for (let k = 0; k < 400; k++) {
        // Runs of the same source and switches, as the writers see them.
        const src = sources[k % 7 < 4 ? (k >> 3) % sources.length : rnd(sources.length)]!;
        const start = rnd(src.length + 1);
        const end = start + rnd(Math.min(src.length - start, rnd(3) === 0 ? 100 : 12) + 1);
        w.copy(src, start, end);
        for (let i = start; i < end; i++) want.push(src[i]!);
      }
      expect(Buffer.from(w.result()).equals(Buffer.from(want))).toBe(true);
    }
  });
});
