/**
 * The decoder survives any split of its input and any damage to it: every
 * dump decodes identically whole, byte by byte and at random chunk splits;
 * truncation at every offset and single bit flips give a clean RdbkitError;
 * random and mutated input lets nothing but RdbkitError escape.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RdbDecoder, RdbkitError, parseRdbSync, type RdbDecoderOptions } from '../../src/index.js';
import type { RdbEvent } from '../../src/events.js';
import { corpusDir, listCorpusFiles } from '../helpers/corpus.js';
import { prng } from '../../scripts/shared.mjs';

/** A printable form of events: bytes as hex, bigints as text. */
function normalise(events: RdbEvent[]): string {
  return JSON.stringify(events, (_k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex');
    if (typeof v === 'bigint') return `${v}n`;
    if (typeof v === 'number' && Object.is(v, -0)) return '-0';
    if (v === Infinity || v === -Infinity) return String(v);
    // Field order is not part of the comparison.
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
    return v;
  });
}

/** Decodes by pushing the given pieces, draining events between pushes. */
function decodePieces(pieces: Uint8Array[], options: RdbDecoderOptions = {}): RdbEvent[] {
  const dec = new RdbDecoder(options);
  const out: RdbEvent[] = [];
  const drain = (): void => {
    let ev: RdbEvent | undefined;
    while ((ev = dec.read()) !== undefined) out.push(ev);
  };
  for (const p of pieces) {
    // Copy: the decoder may keep views, and callers hand over fresh chunks.
    dec.push(p.slice());
    drain();
  }
  dec.end();
  drain();
  expect(dec.done).toBe(true);
  return out;
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

/** Merges keyStart/keyChunk/keyEnd groups back into one key event, for comparing logical content. */
function logical(events: RdbEvent[]): RdbEvent[] {
  const out: RdbEvent[] = [];
  let open: { start: RdbEvent & { type: 'keyStart' }; parts: unknown[]; ttl: Array<number | null> | null } | null = null;
  for (const ev of events) {
    if (ev.type === 'keyStart') open = { start: ev, parts: [], ttl: null };
    else if (ev.type === 'keyChunk') {
      if (ev.dataType === 'string') open!.parts.push(ev.value);
      else open!.parts.push(...(ev.value as unknown[]));
      if (ev.dataType === 'hash' && ev.fieldExpireAt) open!.ttl = [...(open!.ttl ?? []), ...ev.fieldExpireAt];
    } else if (ev.type === 'keyEnd') {
      const s = open!.start;
      let value: unknown = open!.parts;
      if (s.dataType === 'string') value = new Uint8Array(Buffer.concat(open!.parts as Uint8Array[]));
      if (s.dataType === 'stream') value = { ...ev.stream!, entries: open!.parts };
      const { length: _l, type: _t, ...info } = s;
      const rec: Record<string, unknown> = { type: 'key', ...info, end: ev.end, value };
      if (s.dataType === 'hash') rec.fieldExpireAt = open!.ttl && open!.ttl.some((t) => t !== null) ? open!.ttl : null;
      out.push(rec as unknown as RdbEvent);
      open = null;
    } else out.push(ev);
  }
  return out;
}

function loadDumps(): Array<{ name: string; bytes: Uint8Array }> {
  const dumps: Array<{ name: string; bytes: Uint8Array }> = [];
  const fixtures = path.resolve(__dirname, '../../fixtures');
  for (const f of readdirSync(fixtures)) if (f.endsWith('.rdb')) dumps.push({ name: `fixtures/${f}`, bytes: new Uint8Array(readFileSync(path.join(fixtures, f))) });
  if (corpusDir) {
    const seen = new Set<string>();
    for (const f of listCorpusFiles()) {
      if (!f.rel.endsWith('.rdb')) continue;
      const bytes = new Uint8Array(readFileSync(f.path));
      const id = Buffer.from(bytes).toString('base64');
      if (seen.has(id)) continue;
      seen.add(id);
      try {
        for (const _ of parseRdbSync(bytes));
        dumps.push({ name: f.rel, bytes });
      } catch {
        // expected failures are covered by the conformance suite
      }
    }
  }
  return dumps;
}

const dumps = loadDumps();
const isChecksummed = (b: Uint8Array): boolean => {
  const v = Number(String.fromCharCode(...b.subarray(5, 9)));
  const tail = b.subarray(b.length - 8);
  return String.fromCharCode(...b.subarray(0, 5)) === 'REDIS' && v >= 5 && tail.some((x) => x !== 0);
};

describe('chunking', () => {
  it(`decodes ${dumps.length} dumps identically whole, byte by byte and at random splits`, () => {
    for (const { name, bytes } of dumps) {
      const whole = normalise([...parseRdbSync(bytes)]);
      if (bytes.length <= 64 * 1024) {
        const pieces = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
        expect(normalise(decodePieces(pieces)), `${name} byte by byte`).toBe(whole);
      }
      const rnd = prng(bytes.length);
      for (let k = 0; k < 5; k++) {
        expect(normalise(decodePieces(randomSplit(bytes, rnd, 1 + (k + 1) * 97))), `${name} split ${k}`).toBe(whole);
      }
    }
  });

  it('with a tiny chunk size, large-value events reassemble to the whole-value events', () => {
    for (const { name, bytes } of dumps) {
      const whole = normalise([...parseRdbSync(bytes)]);
      const rnd = prng(7 + bytes.length);
      const chunked = logical(decodePieces(randomSplit(bytes, rnd, 300), { chunkBytes: 16 }));
      const wholeEvents = [...parseRdbSync(bytes)];
      expect(chunked.length, name).toBe(wholeEvents.length);
      chunked.forEach((ev, i) => expect(normalise([ev]), `${name} event ${i}`).toBe(normalise([wholeEvents[i]!])));
      expect(normalise(chunked), name).toBe(whole);
    }
  });
});

function expectRdbkitError(fn: () => void, what: string): RdbkitError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RdbkitError) return e;
    throw new Error(`${what}: ${(e as Error)?.constructor?.name} escaped: ${(e as Error)?.message}`);
  }
  throw new Error(`${what}: decoded without error`);
}

describe('damage', () => {
  const small = dumps.filter((d) => isChecksummed(d.bytes) && d.bytes.length <= 16 * 1024 && ![...parseRdbSync(d.bytes)].some((e) => e.type === 'trailing'));

  it(`truncating ${small.length} checksummed dumps at every offset gives a clean error`, () => {
    for (const { name, bytes } of small) {
      const eof = [...parseRdbSync(bytes)].find((e) => e.type === 'eof')!;
      // Bytes after the checksum are not part of the RDB: cutting them away is no damage.
      const end = eof.type === 'eof' ? eof.end : bytes.length;
      // Every offset of small dumps; a seeded sample of 600 offsets of larger ones.
      const rnd = prng(end);
      const cuts = end <= 4096 ? Array.from({ length: end }, (_, i) => i) : Array.from({ length: 600 }, () => Math.floor(rnd() * end));
      for (const cut of cuts) {
        const e = expectRdbkitError(() => {
          for (const _ of parseRdbSync(bytes.subarray(0, cut)));
        }, `${name} cut at ${cut}`);
        expect(['TRUNCATED', 'BAD_MAGIC', 'CORRUPT'], `${name} cut at ${cut}: ${e.message}`).toContain(e.code);
        expect(e.offset).toBeTypeOf('number');
      }
    }
  });

  it('flipping single bits of checksummed dumps is always detected', () => {
    const rnd = prng(42);
    for (const { name, bytes } of small) {
      const bits = bytes.length * 8;
      const flips = bits <= 4000 ? Array.from({ length: bits }, (_, i) => i) : Array.from({ length: 800 }, () => Math.floor(rnd() * bits));
      const copy = bytes.slice();
      for (const bit of flips) {
        copy[bit >> 3]! ^= 1 << (bit & 7);
        // Detected: an error, or (a version digit turned below 5, so the
        // checksum became 8 unexplained bytes) trailing bytes, which
        // `rdbkit verify` rejects.
        try {
          const evs = [...parseRdbSync(copy)];
          expect(evs.some((e) => e.type === 'trailing'), `${name} bit ${bit} undetected`).toBe(true);
        } catch (e) {
          if (!(e instanceof RdbkitError)) throw new Error(`${name} bit ${bit}: ${(e as Error).message}`);
        }
        // Without the checksum, damage decodes or fails cleanly — nothing else.
        try {
          for (const _ of parseRdbSync(copy, { verifyChecksum: false }));
        } catch (e) {
          if (!(e instanceof RdbkitError)) throw new Error(`${name} bit ${bit}: ${(e as Error).message}`);
        }
        copy[bit >> 3]! ^= 1 << (bit & 7);
      }
    }
  });

  it('random bytes and mutated dumps let only RdbkitError escape', () => {
    const seeds = dumps.filter((d) => d.bytes.length < 8192).map((d) => d.bytes);
    const decodeOrClean = (b: Uint8Array): void => {
      try {
        let n = 0;
        for (const _ of parseRdbSync(b, { verifyChecksum: false })) if (++n > 1e6) throw new Error('runaway event count');
      } catch (e) {
        if (!(e instanceof RdbkitError)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (b, withHeader) => {
        const h = new TextEncoder().encode('REDIS0011');
        decodeOrClean(withHeader ? new Uint8Array([...h, ...b]) : b);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (i, edits) => {
          let b = Array.from(seeds[i]!);
          for (const [pos, op, val] of edits) {
            const p = pos % (b.length + 1);
            if (op === 0) b[p] = val;
            else if (op === 1) b.splice(p, 0, val);
            else b.splice(p, 1);
          }
          decodeOrClean(new Uint8Array(b));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('hostile lengths fail fast without allocating', () => {
    const h = Buffer.from('REDIS0011');
    const cases = [
      // string key whose length is 2^60
      Buffer.concat([h, Buffer.from([0x00, 0x81, 0x10, 0, 0, 0, 0, 0, 0, 0])]),
      // LZF string claiming a 4 GB output from 5 bytes
      Buffer.concat([h, Buffer.from([0x00, 0x01, 0x6b, 0xc3, 0x05, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4])]),
      // set with 2^32-1 members and none there
      Buffer.concat([h, Buffer.from([0x02, 0x01, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff])]),
      // stream with 2^32-1 nodes
      Buffer.concat([h, Buffer.from([0x15, 0x01, 0x6b, 0x80, 0xff, 0xff, 0xff, 0xff])]),
    ];
    for (const c of cases) {
      const t = Date.now();
      const e = expectRdbkitError(() => {
        for (const _ of parseRdbSync(new Uint8Array(c)));
      }, c.toString('hex'));
      expect(['TRUNCATED', 'CORRUPT', 'LIMIT_EXCEEDED']).toContain(e.code);
      expect(Date.now() - t).toBeLessThan(1000);
    }
  });
});
