/**
 * The WebAssembly RESP kernel of `rdbkit resp` (kernels.wat `run` and
 * `lpcheck`, used by RespWriter's `run`, `listpack` and `zsetListpack`) against the
 * JavaScript paths it stands in for. Inputs are built here byte by byte:
 * listpacks with every element encoding, RDB files whose lists, sets,
 * hashes and sorted sets mix every RDB string encoding (6/14/32-bit lengths,
 * 8/16/32-bit integers, LZF) and all kinds of binary scores, and listpack
 * sorted sets with the score texts servers write. The kernel must
 * accept exactly the listpacks walkListpack accepts, and the writer must give
 * the same bytes and the same errors with the kernel, without it, and through
 * the event path, however the input is cut and the batches are bounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RespWriter, type RespOptions } from '../../src/writers/resp.js';
import { walkListpack } from '../../src/rdb/encodings/listpack.js';
import { lzfCompress } from '../../src/rdb/lzf.js';
import { resetKernels, respKernel, RUN_IN } from '../../src/rdb/kernels.js';
import { RdbkitError } from '../../src/errors.js';
import type { KeyInfo } from '../../src/events.js';
import { random, whole, writeThrough } from '../helpers/pieces.js';
import { listpack, rdbLen, type LpElement } from '../helpers/hand-bytes.js';

afterEach(() => resetKernels());

// ------------------------------------------------------------ listpacks

type El = LpElement;

const element: fc.Arbitrary<El> = fc.oneof(
  fc.uint8Array({ maxLength: 80 }).map((b) => ({ s: Buffer.from(b) })),
  fc.uint8Array({ minLength: 4000, maxLength: 5000 }).map((b) => ({ s: Buffer.from(b) })),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((i) => ({ i })),
  fc.integer({ min: -70000, max: 70000 }).map((i) => ({ i: BigInt(i) })),
);

/** A listpack, perhaps damaged: one byte changed, cut short or grown, or its count changed. */
const maybeDamaged = fc.tuple(fc.array(element, { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat(255), fc.integer({ min: 0, max: 5 })).map(([els, wide, at, byte, how]) => {
  const lp = listpack(els, wide);
  if (how === 1) lp[at % lp.length] = byte;
  else if (how === 2) return lp.subarray(0, at % lp.length);
  else if (how === 3) return Buffer.concat([lp, Buffer.from([byte])]);
  else if (how === 4 && lp.length > 5) lp[4] = byte;
  return lp;
});

const LIST_INFO: KeyInfo = { db: 0, key: Buffer.from('k'), expireAt: null, lruIdle: null, lfuFreq: null, rdbType: 18, encoding: 'quicklist2', dataType: 'list' } as KeyInfo;
const HASH_INFO: KeyInfo = { ...LIST_INFO, rdbType: 16, encoding: 'listpack', dataType: 'hash' } as KeyInfo;

/** RESP of one value whose elements are those of `lp`: through the kernel (`listpack`) or walkListpack; or the error. */
function lpResp(lp: Uint8Array, pairs: boolean, kernel: boolean, o: RespOptions): string {
  const w = new RespWriter(o);
  const info = pairs ? HASH_INFO : LIST_INFO;
  w.begin(info);
  try {
    const n = kernel ? w.listpack(lp, pairs) : -1;
    if (kernel && n < 0) return 'declined';
    if (!kernel) walkListpack(lp, 0, w);
  } catch (e) {
    if (e instanceof RdbkitError) return `${e.code} ${e.offset}`;
    throw e;
  }
  w.done(info);
  w.end();
  return Buffer.concat(w.take()).toString('latin1');
}

describe('RESP kernel: listpacks', () => {
  it('lpcheck accepts exactly the listpacks walkListpack accepts, with the same count', () => {
    const k = respKernel()!;
    expect(k).not.toBeNull();
    let accepted = 0;
    fc.assert(
      fc.property(maybeDamaged, (lp) => {
        let want: number;
        try {
          want = walkListpack(lp, 0, { str() {}, int() {} });
        } catch (e) {
          if (!(e instanceof RdbkitError)) throw e;
          want = -1;
        }
        k.mem.set(lp, RUN_IN);
        expect(k.lpcheck(RUN_IN, lp.length, 1 << 30, 0)).toBe(want);
        if (want >= 0) accepted++;
      }),
      { numRuns: 4000 },
    );
    expect(accepted).toBeGreaterThan(500);
  });

  it('writes the elements as walkListpack hands them to the writer, in batches cut by count or size', () => {
    fc.assert(
      fc.property(
        fc.array(element, { maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        fc.record({ batchElements: fc.integer({ min: 1, max: 20 }), batchBytes: fc.integer({ min: 1, max: 3000 }) }, { requiredKeys: [] }),
        (els, wide, pairs, o) => {
          if (pairs && els.length % 2 !== 0) els = els.slice(1);
          const lp = listpack(els, wide);
          const want = lpResp(lp, pairs, false, o);
          expect(lpResp(lp, pairs, true, o)).toBe(want);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('leaves damaged and odd-count hash listpacks to the decoder', () => {
    const lp = listpack([{ s: Buffer.from('a') }, { i: 5n }, { s: Buffer.from('c') }], [false]);
    expect(lpResp(lp, true, true, {})).toBe('declined');
    expect(lpResp(lp.subarray(0, lp.length - 1), false, true, {})).toBe('declined');
    expect(lpResp(lp, false, true, {})).toBe(lpResp(lp, false, false, {}));
  });
});

// ------------------------------------------------------------ RDB string runs

type Str = { bytes: Buffer; enc: 'short' | '14' | '32' | 'int' | 'lzf' };

/** An RDB string in the encoding asked for, where it can have it (else plain). */
function rdbStr(s: Str): Buffer {
  const text = s.bytes.toString('latin1');
  if (s.enc === 'int' && /^-?[1-9][0-9]*$|^0$/.test(text)) {
    const v = Number(text);
    if (v >= -128 && v <= 127) return Buffer.from([0xc0, v & 0xff]);
    if (v >= -32768 && v <= 32767) {
      const b = Buffer.from([0xc1, 0, 0]);
      b.writeInt16LE(v, 1);
      return b;
    }
    if (v >= -(2 ** 31) && v < 2 ** 31) {
      const b = Buffer.from([0xc2, 0, 0, 0, 0]);
      b.writeInt32LE(v, 1);
      return b;
    }
  }
  if (s.enc === 'lzf' && s.bytes.length > 4) {
    const c = lzfCompress(s.bytes);
    if (c !== null) return Buffer.concat([Buffer.from([0xc3]), rdbLen(c.length, 'short'), rdbLen(s.bytes.length, 'short'), c]);
  }
  return Buffer.concat([rdbLen(s.bytes.length, s.enc === '14' || s.enc === '32' ? s.enc : 'short'), s.bytes]);
}

const rdbString: fc.Arbitrary<Str> = fc.record({
  bytes: fc.oneof(
    fc.uint8Array({ maxLength: 70 }).map((b) => Buffer.from(b)),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((v) => Buffer.from(String(v))),
    fc.constantFrom('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbb', '0', '-0', '007').map((s) => Buffer.from(s)),
    fc.uint8Array({ minLength: 300, maxLength: 3000 }).map((b) => Buffer.from(b)),
  ),
  enc: fc.constantFrom('short', 'short', '14', '32', 'int', 'int', 'lzf'),
});

const score = fc.oneof(fc.double(), fc.integer({ min: -1e15, max: 1e15 }).map((k) => k / 1000), fc.constantFrom(0, -0, 0.5, 1e12, 1e12 - 0.001, Infinity, -Infinity, NaN));

/** A REDIS0009 file (checksum 0: not checked) with one key of each collection type whose elements are `els`. */
function rdbFile(els: Str[], scores: number[]): Buffer {
  const parts: Buffer[] = [Buffer.from('REDIS0009'), Buffer.from([0xfe, 0])];
  const key = (type: number, name: string): void => {
    parts.push(Buffer.from([type]), rdbStr({ bytes: Buffer.from(name), enc: 'short' }));
  };
  const n = els.length;
  if (n > 0) {
    for (const [type, name] of [[1, 'list'], [2, 'set']] as const) {
      key(type, name);
      parts.push(rdbLen(n, 'short'), ...els.map(rdbStr));
    }
    key(5, 'zset');
    parts.push(rdbLen(n, 'short'));
    els.forEach((e, i) => {
      const f = Buffer.alloc(8);
      f.writeDoubleLE(scores[i % scores.length]!, 0);
      parts.push(rdbStr(e), f);
    });
  }
  if (n >= 2) {
    key(4, 'hash');
    const pairs = n >> 1;
    parts.push(rdbLen(pairs, 'short'), ...els.slice(0, 2 * pairs).map(rdbStr));
  }
  parts.push(Buffer.from([0xff]), Buffer.alloc(8));
  return Buffer.concat(parts);
}

function respOf(pieces: Iterable<Uint8Array>, o: RespOptions, sink: boolean, kernel: boolean): string {
  resetKernels(!kernel);
  try {
    const w = new RespWriter(o);
    return writeThrough(pieces, w, { sink: sink ? w : null }).toString('latin1');
  } catch (e) {
    if (e instanceof RdbkitError) return `${e.code} ${e.offset}`;
    throw e;
  } finally {
    resetKernels();
  }
}

/** Batches bounded by count or size (or not), and a seed for random splits. */
const batchesAndSeed = fc.tuple(
  fc.record({ batchElements: fc.integer({ min: 1, max: 12 }), batchBytes: fc.integer({ min: 1, max: 4000 }) }, { requiredKeys: [] }),
  fc.integer({ min: 1, max: 1 << 30 }),
);

/** The event path's bytes (or error) from the sink with the kernel, whole and at random splits, and from the JS sink path. */
function sameEverywhere(file: Buffer, o: RespOptions, seed: number): void {
  const want = respOf(whole(file), o, false, false);
  expect(respOf(whole(file), o, true, true)).toBe(want);
  expect(respOf(random(file, seed), o, true, true)).toBe(want);
  expect(respOf(random(file, seed), o, true, false)).toBe(want);
}

/** Runs `body`, counting the blobs RespWriter's kernel took through `method` (those it declined go the JS way). */
function blobsTaken(method: 'zsetListpack' | 'intset', body: () => void): number {
  let taken = 0;
  const orig = RespWriter.prototype[method];
  RespWriter.prototype[method] = function (this: RespWriter, blob: Uint8Array): number {
    const n = orig.call(this, blob);
    if (n > 0) taken++;
    return n;
  };
  try {
    body();
  } finally {
    RespWriter.prototype[method] = orig;
  }
  return taken;
}

describe('RESP kernel: runs of RDB strings', () => {
  it('hashtable lists, sets and hashes and skiplist sorted sets: the bytes of the JS sink path and the event path, at any split', () => {
    let units = 0;
    const run = RespWriter.prototype.run;
    RespWriter.prototype.run = function (this: RespWriter, ...a: Parameters<typeof run>): number {
      const p = run.apply(this, a);
      units += this.runTaken;
      return p;
    };
    try {
      fc.assert(
        fc.property(
          fc.array(rdbString, { maxLength: 50 }),
          fc.array(score, { minLength: 1, maxLength: 8 }),
          batchesAndSeed,
          (els, scores, [o, seed]) => sameEverywhere(rdbFile(els, scores), o, seed),
        ),
        { numRuns: 600 },
      );
    } finally {
      RespWriter.prototype.run = run;
    }
    // The kernel did the work: most units went through it.
    expect(units).toBeGreaterThan(10000);
  });

  it('a truncated or damaged file gives the same error with the kernel as without', () => {
    const els: Str[] = [];
    for (let i = 0; i < 40; i++) els.push({ bytes: Buffer.from(i % 3 === 0 ? String(i * 977) : `element-${i}`.repeat(1 + (i % 4))), enc: (['short', '14', 'int', 'lzf'] as const)[i % 4]! });
    const file = rdbFile(els, [1.5, 2, -0.25]);
    let compared = 0;
    for (let cut = 11; cut < file.length; cut += 7) {
      const piece = file.subarray(0, cut);
      expect(respOf(whole(piece), {}, true, true), `cut at ${cut}`).toBe(respOf(whole(piece), {}, true, false));
      compared++;
    }
    for (let at = 11; at < file.length - 9; at += 5) {
      const bad = Buffer.from(file);
      bad[at] ^= 0x41;
      expect(respOf(random(bad, at), {}, true, true), `byte ${at}`).toBe(respOf(whole(bad), {}, true, false));
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });
});

// ------------------------------------------------------------ listpack sorted sets

/** Score texts as servers write them (%.17g, with and without trailing zeros, shortest), next to k/1000 values and not, and forms the kernel leaves to JavaScript. */
const scoreText: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.integer({ min: -1e15, max: 1e15 }), fc.integer({ min: -2, max: 2 }), fc.constantFrom(0, 1, 2)).map(([k, step, form]) => {
    const v = new DataView(new ArrayBuffer(8));
    v.setFloat64(0, k / 1000);
    if (k !== 0) v.setBigUint64(0, v.getBigUint64(0) + BigInt(step)); // a neighbour of k/1000
    const d = v.getFloat64(0);
    const t = d.toPrecision(17);
    return form === 0 ? t : form === 1 ? (t.includes('.') && !t.includes('e') ? t.replace(/\.?0+$/, '') : t) : String(d);
  }),
  fc.double({ min: -1e15, max: 1e15, noNaN: true }).map((d) => d.toPrecision(17)),
  fc.constantFrom('inf', '-inf', '1e5', '-0', '0', '0.5', '12345678901234567890', '5.', '007', '-12.250'),
);

/** An RDB 11 file with one listpack sorted set (type 17) of these members and scores, its blob plain or LZF. */
function zsetFile(pairs: Array<[El, El]>, lzf: boolean): Buffer {
  const lp = listpack(pairs.flat(), [false]);
  return Buffer.concat([
    Buffer.from('REDIS0011'),
    Buffer.from([0xfe, 0, 17]),
    rdbStr({ bytes: Buffer.from('zs'), enc: 'short' }),
    rdbStr({ bytes: lp, enc: lzf ? 'lzf' : 'short' }),
    Buffer.from([0xff]),
    Buffer.alloc(8),
  ]);
}

describe('RESP kernel: listpack sorted sets', () => {
  it('members and text or integer scores: the bytes of the JS sink path and the event path, at any split', () => {
    const kernelSets = blobsTaken('zsetListpack', () => {
      const member = fc.oneof(
        fc.uint8Array({ maxLength: 70 }).map((b): El => ({ s: Buffer.from(b) })),
        fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((i): El => ({ i })),
      );
      const scoreEl = fc.oneof(
        { weight: 4, arbitrary: scoreText.map((t): El => ({ s: Buffer.from(t) })) },
        { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map((i): El => ({ i })) },
        { weight: 1, arbitrary: fc.integer({ min: -70000, max: 70000 }).map((i): El => ({ i: BigInt(i) })) },
      );
      fc.assert(
        fc.property(
          fc.array(fc.tuple(member, scoreEl), { maxLength: 40 }),
          fc.boolean(),
          batchesAndSeed,
          (pairs, lzf, [o, seed]) => sameEverywhere(zsetFile(pairs, lzf), o, seed),
        ),
        { numRuns: 1500 },
      );
    });
    // Many went through the kernel (one declining score sends the whole set to JavaScript). The
    // count is of random sets: 96–172 in 18 runs here (mean ~140), so the bar sits well below that.
    expect(kernelSets).toBeGreaterThan(40);
  });

  it('a damaged or odd listpack sorted set gives the error of the JS path', () => {
    const pairs: Array<[El, El]> = [];
    for (let i = 0; i < 30; i++) pairs.push([{ s: Buffer.from(`member-${i}`) }, i % 3 === 0 ? { i: BigInt(i * 1000) } : { s: Buffer.from((i / 7).toPrecision(17)) }]);
    const file = zsetFile(pairs, false);
    let compared = 0;
    for (let at = 14; at < file.length - 9; at += 3) {
      for (const x of [0x01, 0x41, 0xff]) {
        const bad = Buffer.from(file);
        bad[at] ^= x;
        expect(respOf(whole(bad), {}, true, true), `byte ${at} ^ ${x}`).toBe(respOf(whole(bad), {}, true, false));
        compared++;
      }
    }
    // an odd number of elements: a member without its score
    const lp = listpack([...pairs.flat(), { s: Buffer.from('alone') }], [false]);
    const odd = Buffer.concat([Buffer.from('REDIS0011'), Buffer.from([0xfe, 0, 17, 2, 0x7a, 0x73]), rdbLen(lp.length), lp, Buffer.from([0xff]), Buffer.alloc(8)]);
    expect(respOf(whole(odd), {}, true, true)).toMatch(/^CORRUPT/);
    expect(respOf(whole(odd), {}, true, true)).toBe(respOf(whole(odd), {}, true, false));
    expect(compared).toBeGreaterThan(300);
  });
});

// ------------------------------------------------------------ intsets

/** An intset blob by hand (format.md 7.3): `enc` bytes per member, as given (sorted or not). */
function intsetBlob(enc: 2 | 4 | 8, members: bigint[], len = members.length): Buffer {
  const b = Buffer.alloc(8 + members.length * enc);
  b.writeUInt32LE(enc, 0);
  b.writeUInt32LE(len, 4);
  members.forEach((v, i) => {
    if (enc === 2) b.writeInt16LE(Number(v), 8 + 2 * i);
    else if (enc === 4) b.writeInt32LE(Number(v), 8 + 4 * i);
    else b.writeBigInt64LE(v, 8 + 8 * i);
  });
  return b;
}

/** An RDB 9 file with one intset (type 11), plain or LZF. */
function intsetFile(blob: Buffer, lzf: boolean): Buffer {
  return Buffer.concat([Buffer.from('REDIS0009'), Buffer.from([0xfe, 0, 11]), rdbStr({ bytes: Buffer.from('is'), enc: 'short' }), rdbStr({ bytes: blob, enc: lzf ? 'lzf' : 'short' }), Buffer.from([0xff]), Buffer.alloc(8)]);
}

describe('RESP kernel: intsets', () => {
  it('members of 2, 4 and 8 bytes, sorted or not, lengths right or wrong: the bytes (or error) of the JS sink path and the event path', () => {
    const kernelSets = blobsTaken('intset', () => {
      const limit = { 2: 1n << 15n, 4: 1n << 31n, 8: 1n << 63n } as const;
      fc.assert(
        fc.property(
          fc.constantFrom(2 as const, 4 as const, 8 as const),
          fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { maxLength: 300 }),
          fc.constantFrom('sorted', 'sorted', 'sorted', 'as drawn', 'length off'),
          fc.boolean(),
          batchesAndSeed,
          (enc, drawn, how, lzf, [o, seed]) => {
            const lim = limit[enc];
            let members = drawn.map((v) => ((v % lim) + lim) % (2n * lim) - lim);
            if (how !== 'as drawn') members = [...new Set(members)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
            sameEverywhere(intsetFile(intsetBlob(enc, members, how === 'length off' ? members.length + 1 : members.length), lzf), o, seed);
          },
        ),
        { numRuns: 800 },
      );
    });
    expect(kernelSets).toBeGreaterThan(200);
  });

  it('the extremes of each width, and equal neighbours, as the JS path has them', () => {
    for (const [enc, lo, hi] of [[2, -32768n, 32767n], [4, -(1n << 31n), (1n << 31n) - 1n], [8, -(1n << 63n), (1n << 63n) - 1n]] as const) {
      sameEverywhere(intsetFile(intsetBlob(enc, [lo, lo + 1n, -1n, 0n, 1n, hi - 1n, hi]), false), {}, 5);
      const dup = intsetFile(intsetBlob(enc, [lo, 0n, 0n, hi]), false);
      expect(respOf(whole(dup), {}, true, true)).toMatch(/^CORRUPT/);
      sameEverywhere(dup, {}, 6);
    }
  });
});
