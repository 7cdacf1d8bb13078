/**
 * RespWriter.strings: runs of string records (with their expiries) that the
 * decoder hands over straight from the input. Hand-built records of every
 * kind it takes or leaves — lengths of each width, integer and LZF values,
 * expiries at and past its range, pending LRU/LFU opcodes, database changes,
 * damaged LZF, limits — must give the bytes of the event path, whole, byte
 * by byte and at random splits, the commands the test spells out itself, and
 * the same errors (code, offset, key) as without `strings`.
 */
import { describe, expect, it } from 'vitest';
import { RespWriter, type RespOptions } from '../../src/writers/resp.js';
import type { RdbDecoderOptions } from '../../src/rdb/decoder.js';
import { RdbkitError } from '../../src/errors.js';
import { rdbLen } from '../helpers/hand-bytes.js';
import { bytewise, random, whole, writeThrough } from '../helpers/pieces.js';

const B = (s: string): Buffer => Buffer.from(s, 'latin1');

/** An RDB string stored plain, its length in the given width. */
const plain = (s: Buffer | string, wide: 'short' | '14' | '32' = 'short'): Buffer => {
  const b = typeof s === 'string' ? B(s) : s;
  return Buffer.concat([rdbLen(b.length, wide), b]);
};
/** A tag byte, then `v` as a signed little-endian integer of `n` bytes. */
const tagged = (tag: number, n: 1 | 2 | 4 | 8, v: number | bigint): Buffer => {
  const b = Buffer.alloc(1 + n);
  b[0] = tag;
  if (n === 8) b.writeBigInt64LE(BigInt(v), 1);
  else b.writeIntLE(Number(v), 1, n);
  return b;
};
/** Integer encodings (format.md 2.3): INT8, INT16, INT32. */
const int8 = (v: number): Buffer => tagged(0xc0, 1, v);
const int16 = (v: number): Buffer => tagged(0xc1, 2, v);
const int32 = (v: number): Buffer => tagged(0xc2, 4, v);
/** An LZF string: compressed data built by hand, and the length it decompresses to. */
const lzf = (data: Buffer, ulen: number, wide: 'short' | '14' = 'short'): Buffer => Buffer.concat([Buffer.from([0xc3]), rdbLen(data.length, wide), rdbLen(ulen, wide), data]);
/** "abc" as a literal run, then a back reference of 6 bytes at distance 3: "abcabcabc". */
const ABC9 = Buffer.from([0x02, 0x61, 0x62, 0x63, 0x80, 0x02]);
/** A literal run of 20 bytes, then a back reference of 40 at distance 20: "0123456789abcdefghij" three times. */
const RUN60 = Buffer.concat([Buffer.from([19]), B('0123456789abcdefghij'), Buffer.from([0xe0, 40 - 2 - 7, 19])]);

const rec = (key: Buffer, value: Buffer): Buffer => Buffer.concat([Buffer.from([0x00]), key, value]);
/** EXPIRETIME_MS (milliseconds, 8 bytes) and EXPIRETIME (seconds, 4 bytes). */
const expireMs = (ms: bigint): Buffer => tagged(0xfc, 8, ms);
const expireS = (s: number): Buffer => tagged(0xfd, 4, s);
const selectDb = (db: number): Buffer => Buffer.concat([Buffer.from([0xfe]), rdbLen(db)]);
/** A whole RDB 11 file of `records` (checksum 0: not verified). */
const rdb = (...records: Buffer[]): Buffer => Buffer.concat([B('REDIS0011'), selectDb(0), ...records, Buffer.from([0xff]), Buffer.alloc(8)]);

/** RESP of one command, spelled out here. */
const resp = (...args: Array<string | Buffer>): string =>
  `*${args.length}\r\n` + args.map((a) => `$${Buffer.from(a).length}\r\n${typeof a === 'string' ? a : a.toString('latin1')}\r\n`).join('');

type Run = { out: Buffer; taken: number } | RdbkitError;

/** The writer over `pieces`: as the sink with `strings` (counting what it took), as the sink without it, or on the event path. */
function run(pieces: Iterable<Uint8Array>, path: 'strings' | 'sink' | 'events', o: RespOptions = {}, d: RdbDecoderOptions = {}): Run {
  const w = new RespWriter(o);
  let taken = 0;
  if (path === 'sink') Object.defineProperty(w, 'strings', { value: undefined });
  else if (path === 'strings') {
    const strings = w.strings.bind(w);
    Object.defineProperty(w, 'strings', {
      value: (...a: Parameters<RespWriter['strings']>): number => {
        const q = strings(...a);
        taken += w.runTaken;
        return q;
      },
    });
  }
  try {
    return { out: writeThrough(pieces, w, { ...d, sink: path === 'events' ? null : w }), taken };
  } catch (e) {
    if (e instanceof RdbkitError) return e;
    throw e;
  }
}

/** Every way of cutting `file` gives the event path's bytes through `strings`; the records it took whole. */
function expectSame(file: Buffer, o: RespOptions = {}, d: RdbDecoderOptions = {}): { out: string; taken: number } {
  const want = run(whole(file), 'events', o, d);
  if (want instanceof RdbkitError) throw want;
  let taken = -1;
  for (const [i, pieces] of [whole(file), bytewise(file), random(file, 5), random(file, 77)].entries()) {
    const got = run(pieces, 'strings', o, d);
    if (got instanceof RdbkitError) throw got;
    expect(got.out.toString('latin1')).toBe(want.out.toString('latin1'));
    if (i === 0) taken = got.taken;
  }
  return { out: want.out.toString('latin1'), taken };
}

describe('RespWriter.strings: string records straight from the input', () => {
  it('plain keys and values of 6-, 14- and 32-bit lengths, and integer values: the commands spelled out', () => {
    const k100 = 'k'.repeat(100);
    const v20k = Buffer.alloc(20000, 0x7a);
    const file = rdb(
      rec(plain('a'), plain('1x')),
      rec(plain('b'), plain('')),
      rec(plain(k100), plain('v', '14')),
      rec(plain('c'), plain(v20k)),
      rec(plain('d'), plain('wide', '32')),
      rec(plain('e'), int8(-5)),
      rec(plain('f'), int8(0)),
      rec(plain('g'), int16(-300)),
      rec(plain('h'), int32(-70000)),
      rec(plain('i'), int32(2147483647)),
      rec(plain('j'), int32(-2147483648)),
    );
    const { out, taken } = expectSame(file);
    expect(out).toBe(
      resp('SELECT', '0') +
        resp('SET', 'a', '1x') +
        resp('SET', 'b', '') +
        resp('SET', k100, 'v') +
        resp('SET', 'c', v20k) +
        resp('SET', 'd', 'wide') +
        resp('SET', 'e', '-5') +
        resp('SET', 'f', '0') +
        resp('SET', 'g', '-300') +
        resp('SET', 'h', '-70000') +
        resp('SET', 'i', '2147483647') +
        resp('SET', 'j', '-2147483648'),
    );
    // All but the first (the decoder reads it, and the writer selects database 0).
    expect(taken).toBe(10);
  });

  it('LZF values, decompressed: the commands spelled out', () => {
    const file = rdb(rec(plain('z1'), lzf(ABC9, 9)), rec(plain('z2'), lzf(RUN60, 60)), rec(plain('z3'), lzf(ABC9, 9, '14')));
    const { out, taken } = expectSame(file);
    const sixty = '0123456789abcdefghij'.repeat(3);
    expect(out).toBe(resp('SELECT', '0') + resp('SET', 'z1', 'abcabcabc') + resp('SET', 'z2', sixty) + resp('SET', 'z3', 'abcabcabc'));
    expect(taken).toBe(2);
  });

  it('expiries from 0 to 2^53 - 1 are taken; larger, negative and second expiries are left to the decoder, with the same bytes', () => {
    const file = rdb(
      rec(plain('first'), plain('x')),
      expireMs(0n),
      rec(plain('a'), plain('1')),
      expireMs(1796664718123n),
      rec(plain('b'), int16(1234)),
      expireMs(2n ** 53n - 1n),
      rec(plain('c'), lzf(ABC9, 9)),
      expireMs(2n ** 53n),
      rec(plain('d'), plain('2')),
      expireMs(-1n),
      rec(plain('e'), plain('3')),
      expireS(1796664718),
      rec(plain('f'), plain('4')),
      rec(plain('g'), plain('5')),
    );
    const { out, taken } = expectSame(file);
    const want =
      resp('SELECT', '0') +
      resp('SET', 'first', 'x') +
      resp('SET', 'a', '1') +
      resp('PEXPIREAT', 'a', '0') +
      resp('SET', 'b', '1234') +
      resp('PEXPIREAT', 'b', '1796664718123') +
      resp('SET', 'c', 'abcabcabc') +
      resp('PEXPIREAT', 'c', '9007199254740991');
    expect(out.startsWith(want)).toBe(true);
    expect(out.endsWith(resp('SET', 'f', '4') + resp('PEXPIREAT', 'f', '1796664718000') + resp('SET', 'g', '5'))).toBe(true);
    // a, b, c, and g (after the decoder read f's second expiry); not first, d, e, f.
    expect(taken).toBe(4);
  });

  it('keys stored as integers or LZF, records after LRU or LFU opcodes, other types and database changes go the usual way', () => {
    const set1 = Buffer.concat([Buffer.from([0x02]), plain('s'), rdbLen(1), plain('m')]);
    const file = rdb(
      rec(plain('a'), plain('1')),
      rec(int16(4242), plain('int key')),
      rec(lzf(ABC9, 9), plain('lzf key')),
      Buffer.from([0xf8, 0x05]), // IDLE 5
      rec(plain('idle'), plain('2')),
      Buffer.from([0xf9, 0x07]), // FREQ 7
      rec(plain('freq'), plain('3')),
      set1,
      rec(plain('b'), plain('4')),
      selectDb(1),
      rec(plain('c'), plain('5')),
      rec(plain('d'), plain('6')),
      selectDb(0),
      rec(plain('e'), plain('7')),
      rec(plain('f'), plain('8')),
    );
    const { out, taken } = expectSame(file);
    expect(out).toBe(
      resp('SELECT', '0') +
        resp('SET', 'a', '1') +
        resp('SET', '4242', 'int key') +
        resp('SET', 'abcabcabc', 'lzf key') +
        resp('SET', 'idle', '2') +
        resp('SET', 'freq', '3') +
        resp('SADD', 's', 'm') +
        resp('SET', 'b', '4') +
        resp('SELECT', '1') +
        resp('SET', 'c', '5') +
        resp('SET', 'd', '6') +
        resp('SELECT', '0') +
        resp('SET', 'e', '7') +
        resp('SET', 'f', '8'),
    );
    // b (after the set), d, f.
    expect(taken).toBe(3);
  });

  it('--replace and --restore are left to the usual path, with the same bytes', () => {
    const file = rdb(rec(plain('a'), plain('1')), expireMs(5n), rec(plain('b'), lzf(ABC9, 9)), rec(plain('c'), int8(3)));
    for (const o of [{ replace: true }, { restore: true }] satisfies RespOptions[]) {
      const d = o.restore ? { rawValues: true } : {};
      expect(expectSame(file, o, d).taken).toBe(0);
    }
  });

  it('values above chunkBytes stream as events; values above maxElementBytes are held whole on every path, keys above it fail on every path', () => {
    const big = Buffer.alloc(300, 0x41);
    const file = rdb(rec(plain('a'), plain('1')), rec(plain('b'), plain('2')), rec(plain('c'), plain(big)), rec(plain('d'), lzf(RUN60, 60)), rec(plain('e'), plain('3')));
    const want = resp('SELECT', '0') + resp('SET', 'a', '1') + resp('SET', 'b', '2') + resp('SET', 'c', big) + resp('SET', 'd', '0123456789abcdefghij'.repeat(3)) + resp('SET', 'e', '3');
    const { out, taken } = expectSame(file, {}, { chunkBytes: 100 });
    expect(out).toBe(want);
    expect(taken).toBe(3); // b, d, e
    // maxElementBytes limits elements, not string values (docs/api.md): c (300 bytes) and d (60 once
    // decompressed) are written whole all the same, through the event path when `strings` leaves them.
    for (const [maxElementBytes, took] of [[200, 3], [50, 2]] as const) {
      const r = expectSame(file, {}, { maxElementBytes });
      expect(r.out).toBe(want);
      expect(r.taken).toBe(took); // b, d, e; then b, e
      for (const pieces of [() => whole(file), () => bytewise(file), () => random(file, 9)]) {
        const sink = run(pieces(), 'sink', {}, { maxElementBytes });
        if (sink instanceof RdbkitError) throw sink;
        expect(sink.out.toString('latin1')).toBe(want);
      }
    }
    // A key is an element: above maxElementBytes it is LIMIT_EXCEEDED, with the same offset and message on every path.
    const longKey = rdb(rec(plain('a'), plain('1')), rec(plain('b'), plain('2')), rec(plain('k'.repeat(60)), plain('3')));
    for (const pieces of [() => whole(longKey), () => bytewise(longKey)]) {
      const errors = (['events', 'sink', 'strings'] as const).map((path) => run(pieces(), path, {}, { maxElementBytes: 50 }));
      for (const e of errors) expect(e).toBeInstanceOf(RdbkitError);
      const [e, ...rest] = errors as RdbkitError[];
      expect(e!.code).toBe('LIMIT_EXCEEDED');
      expect(e!.offset).toBe(longKey.indexOf('k'.repeat(60)) - 1);
      for (const g of rest) expect([g.code, g.offset, g.message]).toEqual([e!.code, e!.offset, e!.message]);
    }
  });

  it('damaged or inconsistent LZF data: the error of the usual path (code, offset, key)', () => {
    const before = Buffer.from([0x02, 0x61, 0x62, 0x63, 0x80, 0x05]); // back reference 6 bytes behind a 3-byte output
    const long = Buffer.from([0x02, 0x61, 0x62, 0x63]); // says 9 bytes, gives 3
    const damaged = [lzf(before, 9), lzf(long, 9), lzf(ABC9, 8), lzf(ABC9, 9 + 6 * 88), Buffer.from([0xc3, 0x00, 0x05])];
    for (const value of damaged) {
      const file = rdb(rec(plain('a'), plain('1')), rec(plain('b'), plain('2')), expireMs(7n), rec(plain('bad'), value), rec(plain('c'), plain('3')));
      for (const pieces of [() => whole(file), () => bytewise(file), () => random(file, 3)]) {
        const e = run(pieces(), 'sink');
        const g = run(pieces(), 'strings');
        expect(e).toBeInstanceOf(RdbkitError);
        expect(g).toBeInstanceOf(RdbkitError);
        const [want, got] = [e as RdbkitError, g as RdbkitError];
        expect(want.code).toBe('CORRUPT');
        expect([got.code, got.offset, got.message, got.db, got.key && Buffer.from(got.key).toString()]).toEqual([want.code, want.offset, want.message, want.db, want.key && Buffer.from(want.key).toString()]);
      }
    }
  });

  it('records cut by the end of the input: truncation is reported as without strings', () => {
    const file = rdb(rec(plain('a'), plain('1')), rec(plain('b'), plain('value')), expireMs(9n), rec(plain('c'), lzf(ABC9, 9)), rec(plain('d'), int32(1)));
    for (let cut = 12; cut < file.length - 9; cut++) {
      const part = file.subarray(0, cut);
      const e = run(whole(part), 'sink');
      const g = run(random(part, cut), 'strings');
      expect(e).toBeInstanceOf(RdbkitError);
      expect(g).toBeInstanceOf(RdbkitError);
      expect([(g as RdbkitError).code, (g as RdbkitError).offset]).toEqual([(e as RdbkitError).code, (e as RdbkitError).offset]);
    }
  });
});
