/**
 * `rdbkit json` with JsonlWriter as the decoder's sink for strings: each
 * string comes whole in one call and its record (rewritten in base64 when the
 * key or value is not UTF-8) is written there, without a value being built.
 * It must write exactly the bytes of the event path (which jsonl.test.ts
 * checks against the peers' expected contents and the contract), for every
 * fixture and corpus dump, whole, byte by byte and at random splits.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlWriter, type JsonlOptions } from '../../src/writers/jsonl.js';
import { listCorpusFiles, repoRoot } from '../helpers/corpus.js';
import { bytewise, expectSinkSame, overCorpus, random, runSinkWriter, whole } from '../helpers/pieces.js';

/** The output and the number of keys the sink took, or the error code the dump ends with. */
function expectSame(bytes: Uint8Array, o: JsonlOptions, splits: Array<() => Iterable<Uint8Array>>): number {
  return expectSinkSame((pieces, sink) => runSinkWriter(() => new JsonlWriter(o), pieces, sink, { chunkBytes: 4096 }), bytes, splits);
}

const OPTIONS: Array<[string, JsonlOptions]> = [
  ['defaults', {}],
  ['--bytes base64 --meta', { bytes: 'base64', meta: true }],
];

describe('JsonlWriter as the decoder sink writes what the event path writes', () => {
  const fixtures = ['encodings-7.0', 'lfu-7.0', 'lru-7.0', 'nochecksum-7.0', 'nocompress-7.0', 'sample'];
  for (const name of fixtures) {
    it(`fixtures/${name}.rdb: whole, byte by byte, random splits`, () => {
      const bytes = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', `${name}.rdb`)));
      const taken = OPTIONS.map(([, o]) => expectSame(bytes, o, [() => whole(bytes), () => bytewise(bytes), () => random(bytes, 7), () => random(bytes, 99)]));
      expect(taken[0]).toBeGreaterThan(0);
    });
  }

  const corpus = listCorpusFiles().filter((f) => /\.rdb$/i.test(f.rel));
  it.skipIf(corpus.length === 0)(`every corpus RDB (${corpus.length}), whole and at random splits`, () => {
    expect(overCorpus(corpus, OPTIONS, expectSame)).toBeGreaterThan(1000);
  });

  it('a string that is not UTF-8 is rewritten in base64 within the one call', () => {
    const w = new JsonlWriter();
    const info = { db: 3, key: new TextEncoder().encode('k'), expireAt: 1700000000000, lruIdle: null, lfuFreq: null, rdbType: 0, encoding: 'string', dataType: 'string' } as const;
    const buf = new Uint8Array([0x78, 0x61, 0xff, 0x62, 0x79]);
    w.begin(info);
    w.str(buf, 1, 4);
    buf.fill(0); // the bytes are not needed after the call
    w.done();
    w.end();
    expect(Buffer.concat(w.take()).toString()).toBe('{"db":3,"bytes":"base64","key":"aw==","type":"string","expireAt":1700000000000,"value":"Yf9i"}\n');
  });
});
