/**
 * The fast path of `rdbkit resp`: RespWriter as the decoder's `sink`, writing
 * plain values element by element from the input bytes. It must write exactly
 * the bytes the event path writes (which resp.test.ts and the AOF suites judge
 * with real servers), for every fixture and corpus dump, whole, byte by byte
 * and at random chunk splits, with batches cut by element count and by size.
 * With --restore it takes strings and compact blobs and writes their RESTORE
 * payloads from the raw bytes the decoder gives; again the event path's bytes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RespWriter, type RespOptions } from '../../src/writers/resp.js';
import { RdbDecoder, sinkTakes } from '../../src/rdb/decoder.js';
import { InfoCollector } from '../../src/writers/info.js';
import { RdbkitError } from '../../src/errors.js';
import { resetKernels } from '../../src/rdb/kernels.js';
import { listCorpusFiles, repoRoot } from '../helpers/corpus.js';
import { bytewise, random, whole, writeThrough } from '../helpers/pieces.js';

/** RespWriter's output, with the writer as the decoder's sink or not. */
function respOf(pieces: Iterable<Uint8Array>, options: RespOptions, sink: boolean): Buffer {
  const w = new RespWriter(options);
  // (RESTORE at the default chunkBytes: with a smaller one, a compact blob
  // larger than it streams as events and goes out as commands, while the sink
  // makes it one RESTORE from its raw bytes.)
  const restore = options.restore === true;
  return writeThrough(pieces, w, { sink: sink ? w : null, rawValues: restore, ...(restore ? {} : { chunkBytes: 4096 }) });
}

/** Event-path output, or null when the decoder or the writer refuses the dump (then the sink path must refuse it too). */
function reference(bytes: Uint8Array, o: RespOptions): Buffer | RdbkitError {
  try {
    return respOf(whole(bytes), o, false);
  } catch (e) {
    if (e instanceof RdbkitError) return e;
    throw e;
  }
}

function expectSame(bytes: Uint8Array, o: RespOptions, splits: Array<() => Iterable<Uint8Array>>): number {
  const want = reference(bytes, o);
  for (const split of splits) {
    if (want instanceof RdbkitError) {
      expect(() => respOf(split(), o, true)).toThrow(RdbkitError);
      continue;
    }
    const got = respOf(split(), o, true);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  }
  return want instanceof RdbkitError ? 0 : want.length;
}

const OPTIONS: Array<[string, RespOptions]> = [
  ['defaults', { lossy: true }],
  ['--replace, batches of 3 elements', { lossy: true, replace: true, batchElements: 3 }],
  ['batches cut at 40 bytes', { lossy: true, batchBytes: 40 }],
  // RESTORE: strings and compact blobs the target holds come from their raw bytes through the sink.
  ['--restore', { lossy: true, restore: true }],
  ['--restore --target-version 9 --replace', { lossy: true, restore: true, targetVersion: 9, replace: true }],
  ['--restore --target-version 7', { lossy: true, restore: true, targetVersion: 7 }],
];

describe('RespWriter as the decoder sink writes what the event path writes', () => {
  const fixtures = ['encodings-7.0', 'lfu-7.0', 'lru-7.0', 'nochecksum-7.0', 'nocompress-7.0', 'sample', 'valkey-8.0'];
  for (const name of fixtures) {
    for (const [what, o] of OPTIONS) {
      it(`fixtures/${name}.rdb, ${what}: whole, byte by byte, random splits`, () => {
        const bytes = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', `${name}.rdb`)));
        const n = expectSame(bytes, o, [() => whole(bytes), () => bytewise(bytes), () => random(bytes, 7), () => random(bytes, 99)]);
        expect(n).toBeGreaterThan(0);
      });
    }
  }

  // Without WebAssembly the sink path is all JavaScript (no RESP kernel): the same bytes.
  for (const name of fixtures) {
    for (const [what, o] of OPTIONS.slice(0, 3)) {
      it(`fixtures/${name}.rdb, ${what}, without WebAssembly: whole and random splits`, () => {
        const bytes = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', `${name}.rdb`)));
        resetKernels(true);
        try {
          expect(expectSame(bytes, o, [() => whole(bytes), () => random(bytes, 7)])).toBeGreaterThan(0);
        } finally {
          resetKernels();
        }
      });
    }
  }

  const corpus = listCorpusFiles().filter((f) => /\.rdb$/i.test(f.rel));
  it.skipIf(corpus.length === 0)(`every corpus RDB (${corpus.length}), whole and at random splits`, () => {
    let compared = 0;
    for (const f of corpus) {
      const bytes = new Uint8Array(readFileSync(f.path));
      for (const [, o] of OPTIONS) {
        try {
          expectSame(bytes, o, [() => whole(bytes), () => random(bytes, bytes.length)]);
        } catch (e) {
          throw new Error(`${f.rel}: ${(e as Error).message}`);
        }
      }
      compared++;
    }
    expect(compared).toBe(corpus.length);
  });
});

describe('RespWriter as a sink keeps its output bounded', () => {
  it('a value of 200,000 elements leaves in chunks while it is written, none much larger than a batch', () => {
    const w = new RespWriter({ batchBytes: 64 * 1024 });
    const info = { db: 0, key: new TextEncoder().encode('big'), expireAt: null, lruIdle: null, lfuFreq: null, rdbType: 14, encoding: 'quicklist2', dataType: 'list' } as const;
    const el = new TextEncoder().encode('element-of-a-long-list-0123456789');
    w.begin(info);
    let during = 0;
    let largest = 0;
    let total = 0;
    for (let i = 0; i < 200_000; i++) {
      w.str(el, 0, el.length);
      for (const c of w.take()) {
        during++;
        largest = Math.max(largest, c.length);
        total += c.length;
      }
    }
    w.done(info);
    w.end();
    for (const c of w.take()) total += c.length;
    // Every element is its own `$33` argument: the output holds all of them.
    expect(total).toBeGreaterThan(200_000 * (el.length + 7));
    expect(during).toBeGreaterThan(50);
    expect(largest).toBeLessThan(2 * 64 * 1024 + 1024);
  });
});

describe('InfoCollector as the decoder sink (rdbkit info and verify)', () => {
  /** The report with every value skipped (structure still checked), or with plain values given to the collector as a sink. */
  function reportOf(bytes: Uint8Array, sink: boolean, split: (b: Uint8Array) => Iterable<Uint8Array>): unknown {
    const info = new InfoCollector();
    const dec = new RdbDecoder(sink ? { sink: info, keyFilter: (k) => k.dataType === 'module' || sinkTakes(k.rdbType) } : { keyFilter: (k) => k.dataType === 'module' });
    const drain = (): void => {
      let ev;
      while ((ev = dec.read()) !== undefined) info.add(ev);
    };
    try {
      for (const p of split(bytes)) {
        dec.push(p);
        drain();
      }
      dec.end();
      drain();
    } catch (e) {
      if (e instanceof RdbkitError) return `${e.code} at ${e.offset}`;
      throw e;
    }
    return info.report(bytes.length);
  }
  const files = [
    ...['encodings-7.0', 'lfu-7.0', 'lru-7.0', 'nochecksum-7.0', 'nocompress-7.0', 'sample'].map((n) => path.join(repoRoot, 'fixtures', `${n}.rdb`)),
    ...listCorpusFiles().filter((f) => /\.rdb$/i.test(f.rel)).map((f) => f.path),
  ];
  it(`gives the report (or the error) of the event path for ${files.length} dumps, whole and at random splits`, () => {
    for (const f of files) {
      const bytes = new Uint8Array(readFileSync(f));
      const want = reportOf(bytes, false, whole);
      expect(reportOf(bytes, true, whole), f).toEqual(want);
      expect(reportOf(bytes, true, (b) => random(b, 3)), f).toEqual(want);
    }
  });
});

describe('scores in ZADD', () => {
  it('are the shortest decimal that reads back as the same double (String(v)), -0 and infinities included', async () => {
    const fc = (await import('fast-check')).default;
    const enc = new TextEncoder();
    const thousandths = fc.integer({ min: -1e15, max: 1e15 }).map((k) => k / 1000);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), thousandths, fc.constantFrom(0, -0, 0.05, 0.5, 1e12 - 0.001, -999999999999.999, Infinity, -Infinity)), { minLength: 1, maxLength: 20 }), (scores) => {
        const w = new RespWriter();
        const finite = scores.filter((s) => !Number.isNaN(s));
        w.write({ type: 'key', offset: 0, end: 0, db: 0, key: enc.encode('z'), expireAt: null, lruIdle: null, lfuFreq: null, rdbType: 5, encoding: 'skiplist', dataType: 'zset', value: finite.map((s, i) => [enc.encode(`m${i}`), s]) } as never);
        w.end();
        const text = Buffer.concat(w.take()).toString('latin1');
        // The commands: *N, then N `$len` lines each followed by its argument (scores and member names are plain text).
        const lines = text.split('\r\n');
        const got: string[] = [];
        for (let i = 0; i < lines.length - 1; ) {
          const n = Number(lines[i]!.slice(1));
          const args = [];
          for (let k = 0; k < n; k++) args.push(lines[i + 2 + 2 * k]!);
          i += 1 + 2 * n;
          if (args[0] === 'ZADD') for (let k = 2; k < args.length; k += 2) got.push(args[k]!);
        }
        const want = finite.map((s) => (s === Infinity ? 'inf' : s === -Infinity ? '-inf' : Object.is(s, -0) ? '-0' : String(s)));
        expect(got).toEqual(want);
      }),
      { numRuns: 3000 },
    );
  });
});
