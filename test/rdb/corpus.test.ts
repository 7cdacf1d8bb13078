/**
 * Conformance over the shared corpus (../shared/corpus): every dump with an
 * expectation file gives the asserted outcome and facts; every other RDB in
 * it decodes (or fails the way its byte-identical twin is expected to).
 */
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { corpusDir, listCorpusFiles } from '../helpers/corpus.js';
import { checkExpected, decodeAll } from '../helpers/expected.js';
import type { ModuleValueReader } from '../../src/index.js';

const files = corpusDir ? listCorpusFiles() : [];
const bytesOf = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

/** The Redis example module's pre-GA value: LEN count, then count × LEN. */
function hellotypeParser(into: Array<number | bigint>[]) {
  return {
    hellotype: (r: ModuleValueReader): void => {
      const n = Number(r.readUnsigned());
      const vals: Array<number | bigint> = [];
      for (let i = 0; i < n; i++) vals.push(r.readSigned());
      into.push(vals);
    },
  };
}

describe.skipIf(!corpusDir)('corpus conformance', () => {
  for (const f of files.filter((x) => x.expectedPath)) {
    const exp = JSON.parse(readFileSync(f.expectedPath!, 'utf8'));
    const format = exp.format ?? 'rdb';
    if (format === 'aof') continue; // AOF input is a later issue
    it(f.rel, () => {
      const bytes = bytesOf(f.path);
      // Tombstones are needed only where deleted stream entries are asserted.
      const tombstones = JSON.stringify(exp).includes('deleted_rule');
      const d = decodeAll(bytes, { afterEnd: format === 'rdb-preamble-aof' ? 'stop' : 'count', tombstones });
      checkExpected(exp, d);
      if (exp.error === 'module-needs-parser') {
        // With the module's parser the same file reads through.
        const values: Array<number | bigint>[] = [];
        const d2 = decodeAll(bytes, { moduleParsers: hellotypeParser(values) });
        expect(d2.error).toBeNull();
        checkExpected({ ...exp, outcome: 'ok' }, d2);
        const mod = exp.dbs['0'].keys.key.module;
        expect(values.some((v) => JSON.stringify(v.map(Number)) === JSON.stringify(mod.values))).toBe(true);
      }
    });
  }

  it('every other RDB in the corpus decodes', () => {
    const expectedFail = new Map<string, string>([
      ['librdb/future_v19.rdb', 'UNSUPPORTED_VERSION'],
      ['librdb/invalid_chksum_v8.rdb', 'CHECKSUM_MISMATCH'],
      ['redis-replicator/module.rdb', 'MODULE_NEEDS_PARSER'],
      ['redis/corrupt_ziplist.rdb', 'CORRUPT'],
    ]);
    let n = 0;
    for (const f of files) {
      if (!f.rel.endsWith('.rdb')) continue;
      const base = f.rel.split('/').slice(-2).join('/');
      const d = decodeAll(bytesOf(f.path));
      const want = expectedFail.get(base);
      if (want) expect(d.error?.code, f.rel).toBe(want);
      else expect(d.error, f.rel).toBeNull();
      n++;
    }
    expect(n).toBeGreaterThan(150);
  });
});
