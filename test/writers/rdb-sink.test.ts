/**
 * The fast path of `rdbkit rdb`: RdbWriter as the decoder's `sink` copies the
 * strings and compact blobs the target holds as they are, from the raw bytes
 * the decoder hands to `done`, without a value being built. It must write
 * exactly the bytes the event path writes (which rdb.test.ts, rdb-copy and
 * rdb-stream judge with real servers and redis-check-rdb), for every fixture
 * and corpus dump, whole, byte by byte and at random chunk splits, for the
 * source's version and for older and newer targets.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RdbWriter, type RdbWriterOptions } from '../../src/writers/rdb.js';
import type { RdbkitError } from '../../src/errors.js';
import { listCorpusFiles, repoRoot } from '../helpers/corpus.js';
import { bytewise, expectSinkSame, overCorpus, random, runSinkWriter, whole, writeThrough, type SinkRun } from '../helpers/pieces.js';
import { decodeInChunks, logical } from '../helpers/rdb-bytes.js';
import type { KeyEvent } from '../../src/events.js';

/**
 * The writer's output (and how many keys went through the sink), or the error
 * the dump or the writer ends with. (The decoder's default chunkBytes: with a
 * smaller one, a compact blob larger than it streams on the event path and is
 * re-encoded, while the sink copies it as it is; see the last test.)
 */
function rdbOf(pieces: Iterable<Uint8Array>, o: RdbWriterOptions, sink: boolean, chunkBytes?: number): SinkRun {
  return runSinkWriter(() => new RdbWriter(o), pieces, sink, { rawValues: true, ...(chunkBytes ? { chunkBytes } : {}) });
}

/** Compares the sink path with the event path; the number of keys the sink copied. */
function expectSame(bytes: Uint8Array, o: RdbWriterOptions, splits: Array<() => Iterable<Uint8Array>>): number {
  return expectSinkSame((pieces, sink) => rdbOf(pieces, o, sink), bytes, splits);
}

/**
 * Byte strings as hex (a Buffer and a Uint8Array of the same bytes compare
 * equal), bigints as text, and no stream node count (how entries are packed
 * into nodes is the encoder's choice, not content).
 */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'bigint') return `${v}n`;
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'nodes').map(([k, x]) => [k, plain(x)]));
  return v;
}

const TARGETS: Array<[string, RdbWriterOptions]> = [
  ["the source's version", { lossy: true }],
  ['RDB 12', { lossy: true, version: 12 }],
  ['RDB 9', { lossy: true, version: 9 }],
  ['RDB 7', { lossy: true, version: 7 }],
];

describe('RdbWriter as the decoder sink writes what the event path writes', () => {
  const fixtures = ['encodings-7.0', 'lfu-7.0', 'lru-7.0', 'nochecksum-7.0', 'nocompress-7.0', 'sample'];
  for (const name of fixtures) {
    it(`fixtures/${name}.rdb: whole, byte by byte, random splits, four target versions`, () => {
      const bytes = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', `${name}.rdb`)));
      const copied = TARGETS.map(([, o]) => expectSame(bytes, o, [() => whole(bytes), () => bytewise(bytes), () => random(bytes, 7), () => random(bytes, 99)]));
      // At the source's version every string and compact value goes the sink's way.
      expect(copied[0]).toBeGreaterThan(0);
    });
  }

  const corpus = listCorpusFiles().filter((f) => /\.rdb$/i.test(f.rel));
  it.skipIf(corpus.length === 0)(`every corpus RDB (${corpus.length}), whole and at random splits, four target versions`, () => {
    expect(overCorpus(corpus, TARGETS, expectSame)).toBeGreaterThan(1000);
  });

  it.skipIf(corpus.length === 0)('with small chunks, every corpus RDB reads back as the event path writes it (compact blobs larger than a chunk copied, not re-encoded)', () => {
    let checked = 0;
    for (const f of corpus) {
      const bytes = new Uint8Array(readFileSync(f.path));
      const got = rdbOf(random(bytes, 5), { lossy: true }, true, 256);
      const want = rdbOf(whole(bytes), { lossy: true }, false, 256);
      if (typeof want === 'string' || typeof got === 'string') {
        expect(got, f.rel).toEqual(want);
        continue;
      }
      const keys = (b: Uint8Array): unknown[] => decodeInChunks(b, 0).filter((e): e is KeyEvent => e.type === 'key').map((k) => plain(logical(k)));
      expect(keys(got.out), f.rel).toEqual(keys(want.out));
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
  });

  it('a compressed string it copies is still checked: a bad back reference is CORRUPT at the offset the event path names', () => {
    // REDIS0009, SELECTDB 0, string "k" = LZF (clen 5, len 7): literal "ab", then a back reference 6 bytes before the start.
    const bytes = new Uint8Array([...Buffer.from('REDIS0009'), 0xfe, 0x00, 0x00, 0x01, 0x6b, 0xc3, 0x05, 0x07, 0x01, 0x61, 0x62, 0x60, 0x05, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    const failure = (sink: boolean): string => {
      const w = new RdbWriter();
      try {
        writeThrough(whole(bytes), w, { rawValues: true, sink: sink ? w : null });
        return 'no error';
      } catch (e) {
        return `${(e as RdbkitError).code} ${(e as RdbkitError).message}`;
      }
    };
    expect(failure(true)).toMatch(/^CORRUPT LZF back reference before the start of the output at offset 20\b/);
    expect(failure(true)).toBe(failure(false));
  });

  it('needs rawValues: without it the sink path is refused, not written wrong', () => {
    const bytes = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', 'sample.rdb')));
    const w = new RdbWriter();
    expect(() => writeThrough(whole(bytes), w, { sink: w })).toThrow(/rawValues/);
  });
});
