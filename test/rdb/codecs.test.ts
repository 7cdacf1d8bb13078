/**
 * The compact structures, CRC-64 and LZF against bytes built here by small
 * helpers (never by the encoders under test), the format.md examples, and
 * round trips; damage gives RdbkitError only.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RdbkitError } from '../../src/index.js';
import { decodeListpack, encodeListpack, backlenSize } from '../../src/rdb/encodings/listpack.js';
import { decodeZiplist, encodeZiplist } from '../../src/rdb/encodings/ziplist.js';
import { decodeIntset, encodeIntset } from '../../src/rdb/encodings/intset.js';
import { decodeZipmap, encodeZipmap } from '../../src/rdb/encodings/zipmap.js';
import { Crc64, crc64 } from '../../src/rdb/crc64.js';
import { LzfStreamDecoder, lzfCompress, lzfDecompress, lzfDecompressInto } from '../../src/rdb/lzf.js';

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/[\s|]/g, ''), 'hex'));
const txt = (a: Uint8Array[]): string[] => a.map((x) => Buffer.from(x).toString('latin1'));
const u = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** Listpack bytes from raw element encodings (test-side builder). */
function lp(elements: number[][]): Uint8Array {
  const body: number[] = [];
  for (const e of elements) {
    body.push(...e);
    let l = e.length;
    const n = backlenSize(l);
    const bl: number[] = [];
    for (let k = 0; k < n; k++) {
      bl.unshift((l & 127) | (k === 0 ? 0 : 128));
      l = Math.floor(l / 128);
    }
    // most significant group first; the first byte has no continuation bit
    bl[0]! &= 127;
    for (let k = 1; k < n; k++) bl[k]! |= 128;
    body.push(...bl);
  }
  const total = 6 + body.length + 1;
  return new Uint8Array([total & 255, (total >> 8) & 255, (total >> 16) & 255, total >>> 24, elements.length & 255, elements.length >> 8, ...body, 0xff]);
}

/** Ziplist bytes from raw entry encodings (prevlen computed here). */
function zl(entries: number[][]): Uint8Array {
  const body: number[] = [];
  let prev = 0;
  let tail = 10;
  for (const e of entries) {
    tail = 10 + body.length;
    const pl = prev < 254 ? [prev] : [0xfe, prev & 255, (prev >> 8) & 255, (prev >> 16) & 255, prev >>> 24];
    body.push(...pl, ...e);
    prev = pl.length + e.length;
  }
  const total = 10 + body.length + 1;
  const le32 = (v: number): number[] => [v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24];
  return new Uint8Array([...le32(total), ...le32(tail), entries.length & 255, entries.length >> 8, ...body, 0xff]);
}

describe('listpack', () => {
  it('decodes the format.md example (set_listpack.rdb)', () => {
    expect(txt(decodeListpack(hex('13000000|0400|816102|816202|816302|816402|ff'), 0))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('decodes every element kind at its boundaries', () => {
    const s63 = 'x'.repeat(63);
    const s64 = 'y'.repeat(64);
    const s4095 = 'z'.repeat(4095);
    const s4096 = 'w'.repeat(4096);
    const blob = lp([
      [0x00], [0x7f], // 7-bit uint 0, 127
      [0xc0 | 0x10, 0x00], [0xc0 | 0x0f, 0xff], // 13-bit -4096, 4095
      [0xf1, 0x00, 0x80], [0xf1, 0xff, 0x7f], // int16 -32768, 32767
      [0xf2, 0x00, 0x00, 0x80], [0xf2, 0xff, 0xff, 0x7f], // int24 -8388608, 8388607
      [0xf3, 0x00, 0x00, 0x00, 0x80], // int32 min
      [0xf4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // int64 max
      [0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80], // int64 min
      [0x80], // empty string
      [0x80 | 63, ...u(s63)],
      [0xe0, 64, ...u(s64)],
      [0xe0 | 0x0f, 0xff, ...u(s4095)],
      [0xf0, 0x00, 0x10, 0x00, 0x00, ...u(s4096)],
    ]);
    expect(txt(decodeListpack(blob, 0))).toEqual([
      '0', '127', '-4096', '4095', '-32768', '32767', '-8388608', '8388607', '-2147483648',
      '9223372036854775807', '-9223372036854775808', '', s63, s64, s4095, s4096,
    ]);
  });

  it('backlen sizes follow the thresholds 127 / 16382 / 2097150 / 268435454', () => {
    expect([127, 128, 16382, 16383, 2097150, 2097151, 268435454, 268435455].map(backlenSize)).toEqual([1, 2, 2, 3, 3, 4, 4, 5]);
  });

  it('accepts the "unknown count" header and rejects a wrong count, a bad backlen, a bad encoding', () => {
    const ok = lp([[0x01], [0x02]]);
    const unknown = ok.slice();
    unknown[4] = 0xff;
    unknown[5] = 0xff;
    expect(txt(decodeListpack(unknown, 0))).toEqual(['1', '2']);
    const wrongCount = ok.slice();
    wrongCount[4] = 3;
    expect(() => decodeListpack(wrongCount, 100)).toThrow(RdbkitError);
    const badBacklen = ok.slice();
    badBacklen[7] = 2;
    expect(() => decodeListpack(badBacklen, 0)).toThrow(/backlen/);
    expect(() => decodeListpack(lp([[0xf5]]), 0)).toThrow(/encoding/);
    try {
      decodeListpack(wrongCount, 100);
    } catch (e) {
      expect((e as RdbkitError).offset).toBe(104);
    }
  });

  it('round-trips, with the smallest integer forms', () => {
    expect(Buffer.from(encodeListpack([u('a'), u('b'), u('c'), u('d')])).toString('hex')).toBe('1300000004008161028162028163028164' + '02ff');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => u(String(b))))), (els) => {
        expect(txt(decodeListpack(encodeListpack(els), 0))).toEqual(txt(els));
      }),
    );
  });
});

describe('ziplist', () => {
  it('decodes the format.md example (zset-ziplist.rdb)', () => {
    expect(txt(decodeZiplist(zl([[0x03, ...u('one')], [0xf2], [0x03, ...u('two')], [0xf3]]), 0))).toEqual(['one', '1', 'two', '2']);
  });

  it('decodes every entry kind; 5-byte prevlens, also holding values < 254', () => {
    const big = 'q'.repeat(300);
    const blob = zl([
      [0xf1], [0xfd], // imm 0, 12
      [0xfe, 0x80], // int8 -128
      [0xc0, 0x00, 0x80], // int16 -32768
      [0xf0, 0x00, 0x00, 0x80], // int24 -8388608
      [0xd0, 0xff, 0xff, 0xff, 0x7f], // int32 max
      [0xe0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // int64 max
      [0x40 | 0x01, 0x2c, ...u(big)], // 14-bit length, big-endian
      [0x05, ...u('after')], // prevlen 0xFE form (previous entry ≥ 254 bytes)
      [0x80, 0x00, 0x00, 0x00, 0x02, ...u('hi')], // 32-bit length, big-endian
    ]);
    expect(txt(decodeZiplist(blob, 0))).toEqual(['0', '12', '-128', '-32768', '-8388608', '2147483647', '9223372036854775807', big, 'after', 'hi']);
    // A 5-byte prevlen holding a small value (Redis never shrinks them).
    const five = hex('1500000000000000|0200|00 02 6869|fe 04000000 02 686f|ff'.replace(/\|/g, ''));
    five[0] = five.length;
    expect(txt(decodeZiplist(five, 0))).toEqual(['hi', 'ho']);
  });

  it('rejects wrong prevlens, lengths and encodings with the offset', () => {
    const ok = zl([[0x02, ...u('ab')], [0x02, ...u('cd')]]);
    const badPrev = ok.slice();
    badPrev[14] = 9;
    expect(() => decodeZiplist(badPrev, 50)).toThrow(/prevlen/);
    const badEnc = zl([[0xc1]]);
    expect(() => decodeZiplist(badEnc, 0)).toThrow(/encoding/);
    const short = ok.slice(0, ok.length - 1);
    expect(() => decodeZiplist(short, 0)).toThrow(RdbkitError);
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => u(String(b))))), (els) => {
        expect(txt(decodeZiplist(encodeZiplist(els), 0))).toEqual(txt(els));
      }),
    );
  });
});

describe('intset and zipmap', () => {
  it('decodes 16/32/64-bit intsets and refuses unsorted ones', () => {
    expect(txt(decodeIntset(hex('02000000 03000000 0080 ffff 0100'), 0))).toEqual(['-32768', '-1', '1']);
    expect(txt(decodeIntset(hex('04000000 01000000 00000080'), 0))).toEqual(['-2147483648']);
    expect(txt(decodeIntset(hex('08000000 01000000 ffffffffffffff7f'), 0))).toEqual(['9223372036854775807']);
    expect(() => decodeIntset(hex('02000000 02000000 0200 0100'), 0)).toThrow(/ascending/);
    expect(() => decodeIntset(hex('03000000 00000000'), 0)).toThrow(/encoding/);
    expect(() => decodeIntset(hex('02000000 05000000 0100'), 0)).toThrow(RdbkitError);
    expect(txt(decodeIntset(encodeIntset([u('5'), u('-70000'), u('3')]), 0))).toEqual(['-70000', '3', '5']);
  });

  it('decodes the format.md zipmap example, free bytes, 5-byte lengths and the unknown count', () => {
    expect(txt(decodeZipmap(hex('02 02 6631 02 00 7631 02 6632 02 00 7632 ff'), 0))).toEqual(['f1', 'v1', 'f2', 'v2']);
    expect(txt(decodeZipmap(hex('01 01 61 01 02 62 7878 ff'), 0))).toEqual(['a', 'b']);
    const v = 'v'.repeat(300);
    const blob = new Uint8Array([0xff, 1, 0x6b, 0xfe, 300 & 255, 300 >> 8, 0, 0, 0, ...u(v), 0xff]);
    expect(txt(decodeZipmap(blob, 0))).toEqual(['k', v]);
    expect(() => decodeZipmap(hex('03 01 61 01 00 62 ff'), 0)).toThrow(/pairs/);
    expect(txt(decodeZipmap(encodeZipmap([u('a'), u(v)]), 0))).toEqual(['a', v]);
  });
});

describe('CRC-64/Jones', () => {
  it('has the check value and is split-invariant', () => {
    expect(crc64(u('123456789'))).toBe(0xe9c6d914c4b8d9can);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (b, cut) => {
        const c = new Crc64();
        const k = b.length === 0 ? 0 : cut % b.length;
        c.update(b, 0, k);
        c.update(b, k, b.length);
        // bitwise reference, written independently with BigInt
        let ref = 0n;
        for (const byte of b) {
          ref ^= BigInt(byte);
          for (let i = 0; i < 8; i++) ref = ref & 1n ? (ref >> 1n) ^ 0x95ac9329ac4bc9b5n : ref >> 1n;
        }
        expect(c.value).toBe(ref);
      }),
    );
  });
});

describe('LZF', () => {
  it('decodes hand-made literal runs and overlapping back references', () => {
    // literal "ab", then back reference len 3+2... : copy 5 bytes from distance 2 → "ababab a"
    expect(Buffer.from(lzfDecompress(hex('01 6162 60 01'), 7, 0)).toString()).toBe('abababa');
    // len 7 form: ctrl 0xe0 (len 7) + extra byte 1 → 10 bytes from distance 1
    expect(Buffer.from(lzfDecompress(hex('00 78 e0 01 00'), 11, 0)).toString()).toBe('x'.repeat(11));
  });

  it('rejects bad data with CORRUPT and the offset', () => {
    for (const [data, n] of [[hex('01 61'), 2], [hex('20 00'), 3], [hex('00 61'), 5], [hex('02 6162'), 1]] as const) {
      try {
        lzfDecompress(data, n, 10);
        throw new Error('no error');
      } catch (e) {
        expect(e).toBeInstanceOf(RdbkitError);
        expect((e as RdbkitError).code).toBe('CORRUPT');
        expect((e as RdbkitError).offset).toBeGreaterThanOrEqual(10);
      }
    }
  });

  it('round-trips, and the streaming decoder agrees at any split', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 3000 }).map((s) => u(s.repeat(3)))), fc.integer({ min: 1, max: 700 }), (b, step) => {
        const z = lzfCompress(b);
        if (!z) return;
        expect(Buffer.from(lzfDecompress(z, b.length, 0)).equals(Buffer.from(b))).toBe(true);
        const s = new LzfStreamDecoder(b.length, 0);
        const parts: Uint8Array[] = [];
        for (let i = 0; i < z.length; i += step) parts.push(...s.push(z.subarray(i, i + step)));
        s.finish();
        expect(Buffer.concat(parts).equals(Buffer.from(b))).toBe(true);
      }),
    );
    const big = u('0123456789abcdef'.repeat(40000));
    const z = lzfCompress(big)!;
    expect(Buffer.from(lzfDecompress(z, big.length, 0)).equals(Buffer.from(big))).toBe(true);
  });

  it('checking without output (out null) accepts and refuses exactly what decompressing does, with the same message and offset', () => {
    const outcome = (b: Uint8Array, n: number, out: boolean): string => {
      try {
        lzfDecompressInto(b, 0, b.length, out ? new Uint8Array(n) : null, n, 5);
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(RdbkitError);
        return `${(e as RdbkitError).message} @${(e as RdbkitError).offset}`;
      }
    };
    // Arbitrary bytes, and valid compressed data with one byte changed or its length claimed wrong.
    const damaged = fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 400 }), fc.nat(), fc.nat(255), fc.integer({ min: -3, max: 3 })).chain(([b, at, v, d]) => {
      const z = lzfCompress(new Uint8Array([...b, ...b, ...b]));
      if (!z) return fc.constant<[Uint8Array, number]>([b, b.length]);
      const m = z.slice();
      if (d === 0) m[at % m.length] = v;
      return fc.constant<[Uint8Array, number]>([m, 3 * b.length + d]);
    });
    fc.assert(
      fc.property(fc.oneof(fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.nat(200)), damaged), ([b, n]) => {
        expect(outcome(b, n, false)).toBe(outcome(b, n, true));
      }),
      { numRuns: 5000 },
    );
  });

  it('arbitrary input: only RdbkitError escapes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(200), (b, n) => {
        try {
          lzfDecompress(b, n, 0);
        } catch (e) {
          expect(e).toBeInstanceOf(RdbkitError);
        }
        try {
          const s = new LzfStreamDecoder(n, 0);
          s.push(b);
          s.finish();
        } catch (e) {
          expect(e).toBeInstanceOf(RdbkitError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
