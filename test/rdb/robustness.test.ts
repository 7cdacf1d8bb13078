/**
 * The decoder survives any split of its input and any damage to it: every
 * dump decodes identically whole, byte by byte and at random chunk splits;
 * truncation at every offset and single bit flips give a clean RdbkitError;
 * random and mutated input lets nothing but RdbkitError escape, and decodes
 * the same whole and in pieces; hostile lengths fail fast without allocating.
 *
 * Dumps: every corpus RDB that decodes (one per distinct content; the pre-GA
 * module dump with its module's parser), the repository's fixtures, and a
 * few records built here that no real dump has (SLOT_IMPORT, HASH_2, seconds
 * EXPIRETIME, Enterprise opcodes, module values, text-score specials).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RdbDecoder, RdbkitError, parseRdb, parseRdbSync, type ModuleValueReader, type RdbDecoderOptions, type ValueSink } from '../../src/index.js';
import type { RdbEvent } from '../../src/events.js';
import { corpusDir, listCorpusFiles } from '../helpers/corpus.js';
import { crc64 } from '../../src/rdb/crc64.js';
import { prng } from '../../scripts/shared.mjs';

/** A printable form of events: bytes as hex, bigints as text, object fields sorted. */
function normalise(events: RdbEvent[]): string {
  return JSON.stringify(events, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number' && Object.is(v, -0)) return '-0';
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
    return v;
  });
}

/**
 * Asserts two event lists are the same, reporting only the first difference
 * (whole lists of a large dump make unreadable messages).
 */
function expectSameEvents(got: RdbEvent[], want: RdbEvent[] | string[], what: string): void {
  const n = Math.max(got.length, want.length);
  for (let i = 0; i < n; i++) {
    const a = got[i] === undefined ? 'nothing' : normalise([got[i]!]);
    const w = want[i];
    const b = w === undefined ? 'nothing' : typeof w === 'string' ? w : normalise([w]);
    if (a !== b) expect(a.slice(0, 600), `${what}: event ${i} of ${want.length}`).toBe(b.slice(0, 600));
  }
}

/** What a decode gave: its events, and the error code it stopped with (or null). */
interface Outcome {
  events: RdbEvent[];
  error: string | null;
}

/**
 * The decoder turns a stray TypeError/RangeError into CORRUPT as a safety
 * net; in these tests one is a bug all the same (a missing check), so it
 * must not hide behind the RdbkitError.
 */
function assertNotMasked(e: RdbkitError, what: string): void {
  if (e.cause instanceof TypeError || e.cause instanceof RangeError) {
    throw new Error(`${what}: internal ${e.cause.constructor.name} surfaced as ${e.code}: ${e.cause.message}`, { cause: e });
  }
}

/** Runs `fn` and sorts what escapes: RdbkitError is an outcome, anything else fails the test. */
function outcomeOf(what: string, events: RdbEvent[], fn: () => void): Outcome {
  try {
    fn();
    return { events, error: null };
  } catch (e) {
    if (e instanceof RdbkitError) {
      assertNotMasked(e, what);
      return { events, error: e.code };
    }
    throw new Error(`${what}: ${(e as Error)?.constructor?.name} escaped: ${(e as Error)?.message}`, { cause: e });
  }
}

/** Hard cap on events per decode: runaway loops fail instead of hanging. */
const MAX_EVENTS = 2_000_000;

function decodeWhole(bytes: Uint8Array, options: RdbDecoderOptions = {}, what = 'whole'): Outcome {
  const events: RdbEvent[] = [];
  return outcomeOf(what, events, () => {
    for (const ev of parseRdbSync(bytes, options)) {
      events.push(ev);
      if (events.length > MAX_EVENTS) throw new Error('runaway event count');
    }
  });
}

/** Decodes by pushing the given pieces, draining events between pushes. */
function decodePieces(pieces: Uint8Array[], options: RdbDecoderOptions = {}, what = 'pieces'): Outcome {
  const events: RdbEvent[] = [];
  return outcomeOf(what, events, () => {
    const dec = new RdbDecoder(options);
    const drain = (): void => {
      let ev: RdbEvent | undefined;
      while ((ev = dec.read()) !== undefined) {
        events.push(ev);
        if (events.length > MAX_EVENTS) throw new Error('runaway event count');
      }
    };
    for (const p of pieces) {
      // A fresh copy per push, as a socket would hand over.
      dec.push(p.slice());
      drain();
      if (dec.done) break;
    }
    dec.end();
    drain();
    if (!dec.done) throw new Error('decoder neither done nor failed after end()');
  });
}

function bytewise(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
}

function randomSplit(bytes: Uint8Array, rnd: () => number, max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + Math.floor(rnd() * max);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

/**
 * Joins consecutive pieces of one streamed string: where they start follows
 * the input's chunk edges (the decoder hands out what is buffered), so two
 * decodes of the same bytes agree only on the joined form.
 */
function joinStringPieces(events: RdbEvent[]): RdbEvent[] {
  const out: RdbEvent[] = [];
  for (const ev of events) {
    const last = out[out.length - 1];
    if (ev.type === 'keyChunk' && ev.dataType === 'string' && last?.type === 'keyChunk' && last.dataType === 'string') {
      out[out.length - 1] = { ...last, value: new Uint8Array(Buffer.concat([last.value, ev.value])) };
    } else out.push(ev);
  }
  return out;
}

/** Merges keyStart/keyChunk/keyEnd groups back into one key event, for comparing logical content. */
function logical(events: RdbEvent[]): RdbEvent[] {
  const out: RdbEvent[] = [];
  let open: { start: RdbEvent & { type: 'keyStart' }; parts: unknown[]; ttl: Array<number | null> | null; nodes: number } | null = null;
  for (const ev of events) {
    if (ev.type === 'keyStart') {
      open = { start: ev, parts: [], ttl: null, nodes: 0 };
      // Quicklists (and only they) state a node count.
      expect(ev.nodes !== undefined).toBe(ev.rdbType === 14 || ev.rdbType === 18);
    } else if (ev.type === 'keyChunk') {
      if (ev.dataType === 'string') open!.parts.push(ev.value);
      else open!.parts.push(...(ev.value as unknown[]));
      // A quicklist's chunks hold whole nodes: their element counts add up to the chunk.
      const sizes = ev.dataType === 'list' ? ev.nodes : undefined;
      expect(sizes !== undefined).toBe(open!.start.nodes !== undefined);
      if (sizes !== undefined) {
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(ev.value.length);
        open!.nodes += sizes.length;
      }
      if (ev.dataType === 'hash' && ev.fieldExpireAt) open!.ttl = [...(open!.ttl ?? []), ...ev.fieldExpireAt];
    } else if (ev.type === 'keyEnd') {
      const s = open!.start;
      if (s.nodes !== undefined) expect(open!.nodes).toBe(s.nodes);
      let value: unknown = open!.parts;
      if (s.dataType === 'string') value = new Uint8Array(Buffer.concat(open!.parts as Uint8Array[]));
      if (s.dataType === 'stream') value = { ...ev.stream!, entries: open!.parts };
      const { length: _l, type: _t, nodes: _n, ...info } = s;
      const rec: Record<string, unknown> = { type: 'key', ...info, end: ev.end, value };
      if (s.dataType === 'hash') rec.fieldExpireAt = open!.ttl && open!.ttl.some((t) => t !== null) ? open!.ttl : null;
      out.push(rec as unknown as RdbEvent);
      open = null;
    } else out.push(ev);
  }
  return out;
}

/**
 * The example module's pre-GA value parser (LEN count, count × LEN). Pure: the
 * decoder may run it again on the same value when the value is cut by a
 * chunk edge.
 */
const hellotype = {
  hellotype: (r: ModuleValueReader): void => {
    const n = Number(r.readUnsigned());
    for (let i = 0; i < n; i++) r.readSigned();
  },
};

interface Dump {
  name: string;
  bytes: Uint8Array;
  options: RdbDecoderOptions;
  /** Where the RDB ends (after the checksum): bytes after it are not part of the dump. */
  end: number;
  /** True when the CRC-64 trailer is set and verified, so any damage is detectable. */
  checksummed: boolean;
}

/**
 * A dump's whole-input events, each normalised. Computed per test and not
 * kept: holding every dump's events at once makes the heap large and every
 * garbage collection of the damage loops slow.
 */
function wholeEvents(d: Dump): { whole: RdbEvent[]; norm: string[] } {
  const r = decodeWhole(d.bytes, d.options, d.name);
  if (r.error !== null) throw new Error(`${d.name}: ${r.error}`);
  return { whole: r.events, norm: r.events.map((e) => normalise([e])) };
}

const ascii = (t: string): number[] => [...Buffer.from(t, 'latin1')];
const str = (t: string): number[] => [t.length, ...ascii(t)]; // lengths < 64 only
const le64 = (v: bigint): number[] => [...Array(8)].map((_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));

/** Header + body + EOF (+ CRC-64 from version 5). */
function rdb(header: string, body: number[]): Uint8Array {
  const b = [...ascii(header), ...body, 0xff];
  if (!/^REDIS000[1-4]$/.test(header)) b.push(...le64(crc64(new Uint8Array(b))));
  return new Uint8Array(b);
}

/** "hellotype" encver 0 as a module type id LEN. */
const HELLOTYPE_ID = [0x81, 0x85, 0xe9, 0x65, 0xa2, 0xdc, 0xa9, 0x78, 0x00];

/** Records no real dump in the corpus has (format.md 13 lists them), for the split and damage tests. */
const SYNTHETIC: Array<[string, Uint8Array, RdbDecoderOptions?]> = [
  ['version 1: seconds EXPIRETIME, keys before SELECTDB, the empty key', rdb('REDIS0001', [
    0xfd, 0x00, 0x5e, 0xd0, 0x72, 0x00, ...str('k'), ...str('v'),
    0x00, ...str(''), ...str('empty key'),
    0xfe, 0x02, 0x01, ...str('l'), 0x02, ...str('a'), ...str('b'),
  ])],
  ['VALKEY080: SLOT_IMPORT and HASH_2', rdb('VALKEY080', [
    0xf3, ...str('j'.repeat(40)), 0x02, 0x00, 0x40, 0x64, 0x41, 0x00, 0x41, 0x01,
    0xfe, 0x00,
    0x16, ...str('h'), 0x02, ...str('f1'), ...str('v1'), ...le64(-1n), ...str('f2'), ...str('v2'), ...le64(1700000000000n),
  ])],
  ['Redis Enterprise opcodes 107 and 121', rdb('REDIS0012', [0xfe, 0x00, 0x6b, 0x05, 0x79, 0x40, 0x10, 0x00, ...str('k'), ...str('v')])],
  ['MODULE_2 value and MODULE_AUX', rdb('REDIS0009', [
    0xf7, ...HELLOTYPE_ID, 0x02, 0x02, 0x05, ...str('aux'), 0x04, ...le64(0x3ff0000000000000n), 0x00,
    0xfe, 0x00, 0x07, ...str('m'), ...HELLOTYPE_ID, 0x02, 0x05, 0x05, ...str('x'), 0x03, 0x00, 0x00, 0x80, 0x3f, 0x01, 0x81, ...le64(-5n).reverse(), 0x00,
  ])],
  ['pre-GA MODULE (type 6) with its parser', rdb('REDIS0008', [
    0xfe, 0x00, 0x06, ...str('m'), ...HELLOTYPE_ID, 0x03, 0x01, 0x81, ...le64(-1025n).reverse(), 0x40, 0x64, 0x00, ...str('after'), ...str('v'),
  ]), { moduleParsers: hellotype }],
  ['type 3 text scores: specials, exponents, 17 digits', rdb('REDIS0006', [
    0xfe, 0x00, 0x03, ...str('z'), 0x05, ...str('a'), 0xfe, ...str('b'), 0xff, ...str('c'), 0xfd, ...str('d'), ...str('-1.5e-300'), ...str('e'), ...str('2.3700000000000001'),
  ])],
];

function loadDumps(): Dump[] {
  const dumps: Dump[] = [];
  const add = (name: string, bytes: Uint8Array, options: RdbDecoderOptions = {}): boolean => {
    const r = decodeWhole(bytes, options, name);
    if (r.error !== null) return false;
    const eof = r.events.find((e) => e.type === 'eof');
    if (!eof || eof.type !== 'eof') throw new Error(`${name}: no eof event`);
    dumps.push({ name, bytes, options, end: eof.end, checksummed: eof.storedChecksum !== null && eof.storedChecksum !== 0n && eof.verified });
    return true;
  };
  for (const [name, bytes, options] of SYNTHETIC) if (!add(`synthetic/${name}`, bytes, options)) throw new Error(`synthetic dump "${name}" does not decode`);
  const fixtures = path.resolve(__dirname, '../../fixtures');
  for (const f of readdirSync(fixtures).sort()) if (f.endsWith('.rdb')) add(`fixtures/${f}`, new Uint8Array(readFileSync(path.join(fixtures, f))));
  if (corpusDir) {
    const seen = new Set<string>();
    for (const f of listCorpusFiles()) {
      if (!f.rel.endsWith('.rdb')) continue;
      const bytes = new Uint8Array(readFileSync(f.path));
      const id = Buffer.from(bytes).toString('base64');
      if (seen.has(id)) continue;
      seen.add(id);
      // Files that must fail (bad checksum, future version, corrupt) are the
      // conformance suite's business; the pre-GA module dump reads with its parser.
      if (!add(f.rel, bytes)) add(`${f.rel} (with the hellotype parser)`, bytes, { moduleParsers: hellotype });
    }
  }
  return dumps;
}

const dumps = loadDumps();

const checksummed = dumps.filter((d) => d.checksummed);

describe('chunking', () => {
  it('has dumps to work on', () => {
    expect(dumps.length).toBeGreaterThan(corpusDir ? 100 : 3);
  });

  for (const d of dumps) {
    it(`${d.name}: whole, byte by byte and at random splits decode the same`, async () => {
      const { norm } = wholeEvents(d);
      if (d.bytes.length <= 64 * 1024) {
        const r = decodePieces(bytewise(d.bytes), d.options, `${d.name} byte by byte`);
        expect(r.error, `${d.name} byte by byte`).toBeNull();
        expectSameEvents(r.events, norm, `${d.name} byte by byte`);
      }
      const rnd = prng(d.bytes.length);
      // Pieces of up to 97…485 bytes; up to 64 KiB for the one multi-megabyte dump.
      const scale = d.bytes.length > 1 << 20 ? 128 : 1;
      for (let k = 0; k < 5; k++) {
        const pieces = randomSplit(d.bytes, rnd, 1 + (k + 1) * 97 * scale);
        const r = decodePieces(pieces, d.options, `${d.name} split ${k}`);
        expect(r.error, `${d.name} split ${k}`).toBeNull();
        expectSameEvents(r.events, norm, `${d.name} split ${k}`);
      }
      // With a key filter (every other key skipped) and stream tombstones on:
      // still split-invariant, and the kept keys are the unfiltered ones.
      if (d.bytes.length <= 64 * 1024) {
        let n = 0;
        const opts: RdbDecoderOptions = { ...d.options, tombstones: true, keyFilter: () => n++ % 2 === 0 };
        const filtered = decodeWhole(d.bytes, opts, `${d.name} filtered`);
        n = 0;
        const split = decodePieces(randomSplit(d.bytes, rnd, 61), opts, `${d.name} filtered, split`);
        expect(split.error).toBeNull();
        expectSameEvents(split.events, filtered.events, `${d.name} filtered, split`);
        const kept = filtered.events.filter((e) => e.type !== 'keySkipped');
        const unfiltered = d.options.tombstones ? norm : wholeEvents({ ...d, options: { ...d.options, tombstones: true } }).norm;
        const keptKeys = new Set(kept.filter((e) => e.type === 'key').map((e) => e.offset));
        expectSameEvents(kept, unfiltered.filter((e) => !e.includes('"type":"key"') || keptKeys.has(Number(/"offset":(\d+)/.exec(e)![1]))), `${d.name} filtered vs unfiltered`);
      }
      // The async entry point over an iterable of small chunks.
      if (d.bytes.length <= 16 * 1024) {
        const evs: RdbEvent[] = [];
        for await (const ev of parseRdb(randomSplit(d.bytes, rnd, 3), d.options)) evs.push(ev);
        expectSameEvents(evs, norm, `${d.name} parseRdb over 1-3 byte chunks`);
      }
    });

    it(`${d.name}: with chunkBytes 16, keyStart/keyChunk/keyEnd reassemble to the whole-value events`, () => {
      const { norm } = wholeEvents(d);
      const opts = { ...d.options, chunkBytes: 16 };
      const pieces = randomSplit(d.bytes, prng(7 + d.bytes.length), d.bytes.length > 1 << 20 ? 1 << 16 : 300);
      const r = decodePieces(pieces, opts, `${d.name} chunkBytes 16`);
      expect(r.error).toBeNull();
      // (Where string pieces start depends on the input's chunk edges, so the
      // chunked events themselves are compared only after reassembly.)
      expectSameEvents(logical(r.events), norm, `${d.name} chunkBytes 16, reassembled`);
      if (d.bytes.length <= 1 << 20) expectSameEvents(logical(decodeWhole(d.bytes, opts).events), norm, `${d.name} chunkBytes 16 whole, reassembled`);
    });
  }
});

function expectRdbkitError(fn: () => void, what: string): RdbkitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RdbkitError) {
      assertNotMasked(e, what);
      return e;
    }
    throw new Error(`${what}: ${(e as Error)?.constructor?.name} escaped: ${(e as Error)?.message}`, { cause: e });
  }
  throw new Error(`${what}: decoded without error`);
}

describe('truncation', () => {
  const small = checksummed.filter((d) => d.bytes.length < 64 * 1024);
  /**
   * Cutting at every offset costs O(n²): dumps up to ALL_UP_TO bytes are cut
   * at every offset; larger ones at every offset of their first 2 KiB and
   * last 256 bytes (header, AUX, first records; last records, EOF, checksum)
   * and at a seeded sample of the rest, sized to decode about 30 MB in all.
   */
  const ALL_UP_TO = 24 * 1024;

  it('covers the checksummed dumps under 64 KB', () => {
    expect(small.length).toBeGreaterThan(corpusDir ? 70 : 3);
  });

  for (const d of small) {
    it(`${d.name}: a cut at ${d.end <= ALL_UP_TO ? 'any offset' : 'sampled offsets'} before the end is a clean TRUNCATED error`, () => {
      // Bytes after the checksum are not part of the RDB: cutting them away is no damage.
      const end = d.end;
      let cuts = Array.from({ length: end }, (_, i) => i);
      if (end > ALL_UP_TO) {
        const edge = cuts.filter((c) => c < 2048 || c >= end - 256);
        const middle = cuts.filter((c) => c >= 2048 && c < end - 256);
        const rnd = prng(end);
        for (let i = middle.length - 1; i > 0; i--) {
          const j = Math.floor(rnd() * (i + 1));
          [middle[i], middle[j]] = [middle[j]!, middle[i]!];
        }
        cuts = [...edge, ...middle.slice(0, Math.floor(60e6 / end))].sort((x, y) => x - y);
      }
      const codes: Record<string, number> = {};
      for (const cut of cuts) {
        const t0 = performance.now();
        const e = expectRdbkitError(() => {
          for (const _ of parseRdbSync(d.bytes.subarray(0, cut), d.options));
        }, `${d.name} cut at ${cut}`);
        codes[e.code] = (codes[e.code] ?? 0) + 1;
        // Plain checks in the loop (expect() per cut costs more than the cut).
        // A cut inside the magic or the version digits is a bad magic; any
        // other cut is truncation, at an offset inside the input.
        const ok = (e.code === 'TRUNCATED' || (cut < 9 && e.code === 'BAD_MAGIC')) && typeof e.offset === 'number' && e.offset <= cut;
        if (!ok) throw new Error(`${d.name} cut at ${cut}: ${e.code} at ${e.offset}: ${e.message}`);
        const ms = performance.now() - t0;
        if (ms > 2000) throw new Error(`${d.name} cut at ${cut} took ${ms} ms`);
      }
      expect(codes.TRUNCATED).toBeGreaterThan(0);
    });
  }
});

describe('bit flips', () => {
  const small = checksummed.filter((d) => d.bytes.length <= 16 * 1024);
  /** Every bit of dumps up to this many bytes, else a seeded sample of SAMPLE bits. */
  const ALL_BITS_UP_TO = 512;
  const SAMPLE = 2000;

  for (const d of small) {
    it(`${d.name}: a flipped bit is detected; without the checksum only RdbkitError escapes`, () => {
      const end = d.end;
      const bits = end * 8;
      const rnd = prng(42 + end);
      const flips = end <= ALL_BITS_UP_TO ? Array.from({ length: bits }, (_, i) => i) : Array.from({ length: SAMPLE }, () => Math.floor(rnd() * bits));
      const copy = d.bytes.slice(0, end);
      const codes: Record<string, number> = {};
      for (const bit of flips) {
        copy[bit >> 3]! ^= 1 << (bit & 7);
        const what = `${d.name} bit ${bit} (byte ${bit >> 3})`;
        const r = decodeWhole(copy, d.options, what);
        codes[r.error ?? 'none'] = (codes[r.error ?? 'none'] ?? 0) + 1;
        if (r.error === null) {
          // The only undetectable flip: a version digit turned into one
          // below 5 (no checksum then), which leaves the 8 checksum bytes as
          // trailing bytes — reported, and refused by `rdbkit verify`.
          const header = r.events[0];
          expect(bit >> 3, `${what} undetected`).toBeGreaterThanOrEqual(5);
          expect(bit >> 3, `${what} undetected`).toBeLessThan(9);
          expect(header?.type === 'header' && header.version < 5, `${what} undetected`).toBe(true);
          expect(r.events.some((e) => e.type === 'trailing'), `${what} undetected`).toBe(true);
        }
        if (r.error === 'CHECKSUM_MISMATCH') {
          // The damage decoded: without verification it must decode or fail cleanly.
          const r2 = decodeWhole(copy, { ...d.options, verifyChecksum: false, computeChecksum: true }, `${what} unverified`);
          if (r2.error === null) {
            const eof = r2.events.find((e) => e.type === 'eof');
            expect(eof?.type === 'eof' && eof.computedChecksum !== null && eof.computedChecksum !== eof.storedChecksum, `${what}: checksums differ`).toBe(true);
          }
        }
        copy[bit >> 3]! ^= 1 << (bit & 7);
      }
      // Most flips survive decoding and are caught by the checksum.
      expect(codes.CHECKSUM_MISMATCH ?? 0, JSON.stringify(codes)).toBeGreaterThan(0);
    });
  }

  it('without the checksum, every flip of a few dumps decodes or fails cleanly', () => {
    // The CHECKSUM_MISMATCH flips above are re-run unverified; this runs the
    // rest too, on a handful of dumps, every bit.
    const few = small.filter((d) => d.bytes.length <= 400).slice(0, 12);
    for (const d of few) {
      const copy = d.bytes.slice();
      for (let bit = 0; bit < copy.length * 8; bit++) {
        copy[bit >> 3]! ^= 1 << (bit & 7);
        decodeWhole(copy, { ...d.options, verifyChecksum: false }, `${d.name} bit ${bit} unverified`);
        copy[bit >> 3]! ^= 1 << (bit & 7);
      }
    }
  });

  it('a value the key filter skips is checked as a kept one is: the same error at the same offset', () => {
    // Skipped values are read the sink's way with nowhere to go; kept ones by
    // a sink that takes every value, and as events (a second reader of the
    // same bytes). All three must fail alike — which needs the listpack and
    // ziplist walkers to hand an element over only once its size is confirmed.
    const few = small.filter((d) => d.bytes.length <= 4096);
    expect(few.length).toBeGreaterThan(3);
    class Counting implements ValueSink {
      values = 0;
      begin(): void {}
      str(): void {}
      int(): void {}
      score(): void {}
      done(): void {
        this.values++;
      }
    }
    const failure = (bytes: Uint8Array, options: RdbDecoderOptions): string => {
      try {
        let keys = 0;
        for (const ev of parseRdbSync(bytes, options)) if (ev.type === 'key' || ev.type === 'keySkipped') keys++;
        if (options.sink instanceof Counting) keys += options.sink.values;
        return `ok, ${keys} keys`;
      } catch (e) {
        if (!(e instanceof RdbkitError)) throw e;
        return `${e.code} at ${e.offset}`;
      }
    };
    let failed = 0;
    for (const d of few) {
      const copy = d.bytes.slice();
      for (let bit = 0; bit < copy.length * 8; bit += 5) {
        copy[bit >> 3]! ^= 1 << (bit & 7);
        const base = { ...d.options, verifyChecksum: false };
        const skipped = failure(copy, { ...base, keyFilter: () => false });
        expect(skipped, `${d.name} bit ${bit}`).toBe(failure(copy, { ...base, sink: new Counting() }));
        expect(skipped, `${d.name} bit ${bit}`).toBe(failure(copy, base));
        if (!skipped.startsWith('ok')) failed++;
        copy[bit >> 3]! ^= 1 << (bit & 7);
      }
    }
    expect(failed).toBeGreaterThan(100);
  });

  it('the CRC-64 is computed when it is verified or asked for, else not: the eof event says which', () => {
    // The stored checksums were written by redis-server.
    const eofOf = (bytes: Uint8Array, options: RdbDecoderOptions) => {
      const eof = [...parseRdbSync(bytes, options)].find((e) => e.type === 'eof');
      if (eof?.type !== 'eof') throw new Error('no eof event');
      return { stored: eof.storedChecksum, computed: eof.computedChecksum, verified: eof.verified };
    };
    for (const d of small.slice(0, 12)) {
      const bytes = d.bytes.subarray(0, d.end);
      const checked = eofOf(bytes, d.options);
      expect(checked.stored, d.name).not.toBe(null);
      expect(checked, d.name).toEqual({ stored: checked.stored, computed: checked.stored, verified: true });
      expect(eofOf(bytes, { ...d.options, verifyChecksum: false }), d.name).toEqual({ stored: checked.stored, computed: null, verified: false });
      expect(eofOf(bytes, { ...d.options, verifyChecksum: false, computeChecksum: true }), d.name).toEqual({ stored: checked.stored, computed: checked.stored, verified: false });
    }
  });
});

describe('fuzzing', () => {
  const seeds = dumps.filter((d) => d.bytes.length < 8192 && !d.options.moduleParsers);
  const header = new TextEncoder().encode('REDIS0011');

  /**
   * Decodes unverified, whole and at a random split: only RdbkitError may
   * escape, the decode ends in bounded time, and both give the same events
   * and the same error.
   */
  function check(b: Uint8Array, splitSeed: number): void {
    const t0 = performance.now();
    const whole = decodeWhole(b, { verifyChecksum: false }, 'fuzz whole');
    const split = decodePieces(randomSplit(b, prng(splitSeed), 1 + (splitSeed % 64)), { verifyChecksum: false }, 'fuzz split');
    expect(performance.now() - t0, 'decoding time').toBeLessThan(2000);
    const input = Buffer.from(b).toString('hex');
    expect(split.error, `error at a split of ${input.slice(0, 2000)}`).toBe(whole.error);
    expectSameEvents(joinStringPieces(split.events), joinStringPieces(whole.events), `events at a split of ${input.slice(0, 2000)}`);
  }

  it('random bytes, bare or after a header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.constantFrom('none', 'REDIS0011', 'REDIS0009', 'REDIS0003', 'VALKEY080'), fc.nat(), (b, h, seed) => {
        const prefix = h === 'none' ? new Uint8Array(0) : new TextEncoder().encode(h);
        check(new Uint8Array([...prefix, ...b]), seed);
      }),
      { numRuns: 2000, seed: 1 },
    );
  });

  it('random records after a header: plausible type bytes and lengths', () => {
    // Records made of a type byte, a short key and arbitrary bytes reach far
    // deeper into the value decoders than uniformly random input does.
    const type = fc.constantFrom(...Array.from({ length: 26 }, (_, i) => i), 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe);
    const record = fc.tuple(type, fc.uint8Array({ maxLength: 40 })).map(([t, body]) => new Uint8Array([t, 0x01, 0x6b, ...body]));
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 4 }), fc.nat(), (recs, seed) => {
        check(new Uint8Array([...header, ...recs.flatMap((r) => [...r]), 0xff]), seed);
      }),
      { numRuns: 3000, seed: 2 },
    );
  });

  it('real dumps with bytes inserted, deleted and overwritten', () => {
    expect(seeds.length).toBeGreaterThan(3);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (i, edits, seed) => {
          const b = Array.from(seeds[i]!.bytes);
          for (const [pos, op, val] of edits) {
            const p = pos % (b.length + 1);
            if (op === 0) b[p] = val;
            else if (op === 1) b.splice(p, 0, val);
            else b.splice(p, 1);
          }
          check(new Uint8Array(b), seed);
        },
      ),
      { numRuns: 3000, seed: 3 },
    );
  });

  it('a pre-GA module parser that publishes after its last read sees each value once, however the input is cut', () => {
    const file = SYNTHETIC.find(([n]) => n.startsWith('pre-GA'))![1];
    for (const max of [1, 2, 3, 5, 8, 1000]) {
      const seen: string[] = [];
      let calls = 0;
      const parsers = {
        hellotype: (r: ModuleValueReader): void => {
          calls++;
          const n = Number(r.readUnsigned());
          const vals: string[] = [];
          for (let i = 0; i < n; i++) vals.push(String(r.readSigned()));
          seen.push(vals.join(','));
        },
      };
      const r = decodePieces(randomSplit(file, prng(max), max), { moduleParsers: parsers }, `pieces of up to ${max}`);
      expect(r.error).toBeNull();
      expect(seen, `pieces of up to ${max} (${calls} calls)`).toEqual(['1,-1025,100']);
    }
  });

  it('a decoder that failed keeps failing with the same error', () => {
    const dec = new RdbDecoder();
    dec.push(new Uint8Array(Buffer.from('REDIS0011\x00\x01k\x80\xff', 'latin1')));
    dec.end();
    expect(dec.read()?.type).toBe('header');
    const e1 = expectRdbkitError(() => dec.read(), 'first read');
    expect(e1.code).toBe('TRUNCATED');
    const e2 = expectRdbkitError(() => dec.read(), 'second read');
    expect(e2).toBe(e1);
    expect(dec.done).toBe(true);
  });
});

describe('hostile lengths', () => {
  const h = Buffer.from('REDIS0011');
  const cases: Array<[string, Buffer]> = [
    // LEN 0x81 + 8 bytes: 2^64 - 16
    ['string key of 2^64-16 bytes', Buffer.from([0x00, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])],
    ['string key of 2^60 bytes', Buffer.from([0x00, 0x81, 0x10, 0, 0, 0, 0, 0, 0, 0])],
    ['string key of 2^53-1 bytes', Buffer.from([0x00, 0x81, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['AUX name of 4 GiB', Buffer.from([0xfa, 0x80, 0xff, 0xff, 0xff, 0xff])],
    ['string value of 2^53-1 bytes', Buffer.from([0x00, 0x01, 0x6b, 0x81, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x61])],
    ['string value of 2^64-16 bytes', Buffer.from([0x00, 0x01, 0x6b, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])],
    ['LZF string claiming 4 GiB from 5 bytes', Buffer.from([0x00, 0x01, 0x6b, 0xc3, 0x05, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4])],
    ['LZF string claiming 2^53-1 compressed bytes', Buffer.from([0x00, 0x01, 0x6b, 0xc3, 0x81, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
    ['LZF key claiming 1 GiB uncompressed', Buffer.from([0x00, 0xc3, 0x81, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x80, 0x40, 0, 0, 0, 0x00, 0x61])],
    ['set of 2^32-1 members', Buffer.from([0x02, 0x01, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff])],
    ['list of 2^53-1 elements', Buffer.from([0x01, 0x01, 0x6b, 0x81, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61])],
    ['list of 2^64-16 elements', Buffer.from([0x01, 0x01, 0x6b, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])],
    ['zset of 2^32-1 members', Buffer.from([0x05, 0x01, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61])],
    ['hash of 2^32-1 fields', Buffer.from([0x04, 0x01, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff, 0x01, 0x61, 0x01, 0x62])],
    ['quicklist of 2^32-1 nodes', Buffer.from([0x12, 0x01, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff, 0x02])],
    ['stream with 2^32-1 nodes', Buffer.from([0x15, 0x01, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff])],
    // A stream with no nodes: length, last id, first id, max deleted id, entries added, then 2^32-1 groups.
    ['stream with 2^32-1 groups', Buffer.from([0x15, 0x01, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff, 0x01, 0x67])],
    ['intset blob claiming 2^32-1 members', Buffer.from([0x0b, 0x01, 0x6b, 0x08, 0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])],
    ['listpack blob claiming 4 GiB', Buffer.from([0x14, 0x01, 0x6b, 0x07, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0xff])],
    ['ziplist blob claiming 65534 entries', Buffer.from([0x0a, 0x01, 0x6b, 0x0b, 0x0b, 0, 0, 0, 0x0a, 0, 0, 0, 0xfe, 0xff, 0xff])],
    ['module value with a 4 GiB string', Buffer.from([0x07, 0x01, 0x6b, 0x81, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0x00, 0x05, 0x80, 0xff, 0xff, 0xff, 0xff])],
    ['SELECTDB 2^64-16', Buffer.from([0xfe, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0])],
    ['RESIZEDB 2^53-1 keys', Buffer.from([0xfb, 0x81, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00])],
  ];

  for (const [name, body] of cases) {
    it(`${name}: fails fast without allocating`, () => {
      const bytes = new Uint8Array(Buffer.concat([h, body]));
      for (const mode of ['whole', 'pieces'] as const) {
        const before = process.memoryUsage();
        const t0 = performance.now();
        const r = mode === 'whole' ? decodeWhole(bytes, {}, name) : decodePieces(bytewise(bytes), {}, name);
        const after = process.memoryUsage();
        expect(r.error, `${name} (${mode})`).not.toBeNull();
        expect(['TRUNCATED', 'CORRUPT', 'LIMIT_EXCEEDED'], `${name} (${mode})`).toContain(r.error);
        expect(performance.now() - t0, `${name} (${mode}) time`).toBeLessThan(1000);
        expect(after.arrayBuffers - before.arrayBuffers, `${name} (${mode}) buffers`).toBeLessThan(64 << 20);
        expect(after.heapUsed - before.heapUsed, `${name} (${mode}) heap`).toBeLessThan(64 << 20);
      }
    });
  }

  it('a huge string value arrives in pieces while its bytes come, holding none of it', () => {
    // A 2^40-byte value: keyStart, then a chunk per push, never buffered whole.
    const dec = new RdbDecoder({ chunkBytes: 1 << 16 });
    dec.push(new Uint8Array(Buffer.concat([h, Buffer.from([0x00, 0x01, 0x6b, 0x81, 0, 0, 0x01, 0, 0, 0, 0, 0])])));
    const piece = new Uint8Array(1 << 20).fill(0x61);
    let bytes = 0;
    let start = 0;
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 64; i++) {
      dec.push(piece);
      let ev: RdbEvent | undefined;
      while ((ev = dec.read()) !== undefined) {
        if (ev.type === 'keyStart') {
          start++;
          expect(ev.length).toBe(2 ** 40);
        }
        if (ev.type === 'keyChunk' && ev.dataType === 'string') bytes += ev.value.length;
      }
      expect(dec.needsInput).toBe(true);
    }
    expect(start).toBe(1);
    expect(bytes).toBe(64 << 20);
    // 64 MiB went through; what the decoder holds stays small.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
    dec.end();
    expect(expectRdbkitError(() => dec.read(), 'end').code).toBe('TRUNCATED');
  });

  it('a collection streams by its size in bytes, then in chunks cut by the memory its elements take', () => {
    // A hashtable set (type 2) of n 8-byte members, as a whole file.
    const set = (n: number): Uint8Array => {
      const body = [0x02, 0x01, 0x73, 0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
      for (let i = 0; i < n; i++) body.push(0x08, ...Buffer.from(String(i).padStart(8, '0')));
      return new Uint8Array([...h, 0xfe, 0x00, ...body, 0xff, ...new Array(8).fill(0)]);
    };
    const chunkBytes = 1 << 16;
    const events = (n: number): RdbEvent[] => [...parseRdbSync(set(n), { chunkBytes, verifyChecksum: false })];
    // 3,000 members are 48 KiB counted as bytes (8 + 8 each): one key event, though as
    // objects they take several times chunkBytes (RESTORE writes such a value as one payload).
    const whole = events(3000).filter((e) => e.type === 'key' || e.type === 'keyStart');
    expect(whole.map((e) => e.type)).toEqual(['key']);
    // 40,000 members stream; after the first chunk (cut by bytes), each chunk's elements
    // are counted with their view objects (about 106 bytes each, measured on Node 20).
    const sizes = events(40_000).flatMap((e) => (e.type === 'keyChunk' ? [(e.value as Uint8Array[]).length] : []));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40_000);
    expect(sizes[0]).toBe(chunkBytes / 16);
    for (const n of sizes.slice(1, -1)) {
      expect(n).toBeLessThanOrEqual(Math.ceil(chunkBytes / 100));
      expect(n).toBeGreaterThanOrEqual(Math.floor(chunkBytes / 120));
    }
  });
});
