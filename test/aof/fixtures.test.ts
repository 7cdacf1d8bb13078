/**
 * The committed AOF fixtures (fixtures/aof, made by redis-server 7.0) read
 * with parseAof / parseAofPath, checked against facts that do not come from
 * rdbkit: the manifest's parts in order, the commands and `#TS:` annotations
 * an independent RESP splitter finds in each part (arguments, offsets, the
 * database in force as Redis's loader tracks it, the time in force), the
 * number of keys redis-check-aof reads from the RDB base, the recorded
 * counts; plus the decoder bar (identical events from paths, in-memory parts,
 * byte-by-byte and random chunks), `until`, missing and history parts, and
 * an empty AOF (valid for redis-check-aof and redis-server).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAof, RdbkitError } from '../../src/index.js';
import type { AofEvent } from '../../src/index.js';
import { parseAofPath } from '../../src/node/index.js';
import { readAofDir } from '../../scripts/make-aof-fixtures.mjs';
import { prng } from '../../scripts/shared.mjs';
import {
  aofFixtures,
  chunks,
  cleanupTemp,
  collectAll,
  copyDir,
  expectedOf,
  isRdb,
  manifestOf,
  normEvent,
  rdbKeysRead,
  redisCheckAof,
  redisCheckAofPath,
  tempDir,
  type WantCommand,
  wantFrom,
  wantFromRespParts,
} from '../helpers/aof.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Part = { name: string | null; role: 'base' | 'incr' | 'single'; source: any };

const norm = normEvent;

const collect = (gen: AsyncIterable<AofEvent>): Promise<AofEvent[]> => collectAll(gen);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const gotCommands = (evs: AofEvent[]): WantCommand[] =>
  evs
    .filter((e): e is Extract<AofEvent, { type: 'command' }> => e.type === 'command')
    .map((c) => ({ file: c.file, offset: c.offset, end: c.end, db: c.db, ts: c.ts, args: c.args.map(hex) }));
const gotAnnotations = (evs: AofEvent[]) =>
  evs
    .filter((e): e is Extract<AofEvent, { type: 'annotation' }> => e.type === 'annotation')
    .map((a) => ({ file: a.file, offset: a.offset, end: a.end, ts: a.ts }));

afterAll(() => cleanupTemp());

for (const name of ['multipart-rdb-ts', 'multipart-resp-ts', 'multipart-rdb']) {
  describe(`fixture ${name}/`, () => {
    const dir = path.join(aofFixtures, name);
    const exp = expectedOf(name);
    const { parts } = readAofDir(dir);
    const inMemory: Part[] = parts.map((p) => ({ name: p.file, role: p.type === 'b' ? 'base' : 'incr', source: p.bytes }));

    it('parts in manifest order, each announced before its events; commands and annotations = the splitter’s', async () => {
      const evs = await collect(parseAofPath(dir));
      const partEvents = evs.filter((e) => e.type === 'aofPart') as Extract<AofEvent, { type: 'aofPart' }>[];
      expect(partEvents.map((p) => ({ file: p.file, role: p.role, format: p.format }))).toEqual(
        exp.parts.map((p: any) => ({ file: p.file, role: p.role, format: p.format })),
      );
      // Every event between two aofPart events belongs to the first one.
      // Each part ends with an aofPartEnd counting its commands.
      let current: string | null = null;
      let inPart = 0;
      for (const e of evs) {
        if (e.type === 'aofPart') {
          current = e.file;
          inPart = 0;
        } else if (e.type === 'command' || e.type === 'annotation') {
          expect(e.file).toBe(current);
          if (e.type === 'command') inPart++;
        } else if (e.type === 'aofPartEnd') {
          expect(e.file).toBe(current);
          expect(e.commands, `commands of ${current}`).toBe(inPart);
          expect(e.counted).toBe(false);
        } else if (e.type !== 'aofTruncated') expect(current, `${e.type} event of the RDB base`).toBe(exp.parts[0].file);
      }
      expect(evs.filter((e) => e.type === 'aofPartEnd').length).toBe(partEvents.length);
      expect(evs[0]!.type).toBe('aofPart');
      const want = wantFromRespParts(parts);
      expect(gotCommands(evs)).toEqual(want.commands);
      expect(gotAnnotations(evs)).toEqual(want.annotations);
      expect(evs.filter((e) => e.type === 'aofTruncated')).toEqual([]);
      expect(want.commands.length).toBe(exp.counts.commands);
      expect(want.annotations.filter((a) => a.ts !== null).length).toBe(exp.counts.ts_annotations);
    });

    it('the RDB base yields as many keys as redis-check-aof reads from it', async () => {
      const base = parts[0]!;
      if (!isRdb(base.bytes)) return;
      const evs = await collect(parseAofPath(dir));
      const keys = evs.filter((e) => e.type === 'key' || e.type === 'keyStart' || e.type === 'keySkipped').length;
      const n = rdbKeysRead(dir);
      if (n !== null) expect(keys).toBe(n);
      expect(evs.filter((e) => e.type === 'eof').length).toBe(1);
      expect(evs.filter((e) => e.type === 'function').length).toBeGreaterThan(0);
    });

    it('dir, manifest path and in-memory parts give identical events; byte by byte and random chunks too', async () => {
      const viaDir = (await collect(parseAofPath(dir))).map(norm);
      expect((await collect(parseAofPath(manifestOf(dir)))).map(norm)).toEqual(viaDir);
      expect((await collect(parseAof(inMemory))).map(norm)).toEqual(viaDir);
      const byteByByte = inMemory.map((p) => ({ ...p, source: chunks(p.source, () => 1) }));
      expect((await collect(parseAof(byteByByte))).map(norm)).toEqual(viaDir);
      for (const seed of [5, 6]) {
        const rng = prng(seed);
        const random = inMemory.map((p) => ({ ...p, source: chunks(p.source, () => 1 + Math.floor(rng() * 300)) }));
        expect((await collect(parseAof(random))).map(norm), `seed ${seed}`).toEqual(viaDir);
      }
    });

    it('until T: stops at the first #TS annotation later than T', async () => {
      const all = await collect(parseAofPath(dir));
      const anns = gotAnnotations(all).filter((a) => a.ts !== null);
      if (anns.length === 0) {
        // No #TS at all: nothing to stop at.
        expect(gotCommands(await collect(parseAofPath(dir, { until: 0 })))).toEqual(gotCommands(all));
        return;
      }
      const order = (e: { file: string | null; offset: number }) => [exp.parts.findIndex((p: any) => p.file === e.file), e.offset];
      const before = (a: { file: string | null; offset: number }, b: { file: string | null; offset: number }) => {
        const [pa, oa] = order(a);
        const [pb, ob] = order(b);
        return pa! < pb! || (pa === pb && oa! < ob!);
      };
      const tsValues = [...new Set(anns.map((a) => a.ts!))];
      for (const T of [tsValues[0]! - 1, ...tsValues, tsValues.at(-1)! + 1]) {
        const stop = anns.find((a) => a.ts! > T);
        const want = gotCommands(all).filter((c) => stop === undefined || before(c, stop));
        const got = gotCommands(await collect(parseAofPath(dir, { until: T })));
        expect(got, `until ${T}`).toEqual(want);
      }
    });

    it('history entries in the manifest are ignored even when their files are gone', async () => {
      const copy = copyDir(dir);
      const m = manifestOf(copy);
      const text = readFileSync(m, 'utf8');
      const lines = text.split('\n');
      lines.splice(1, 0, 'file appendonly.aof.1.base.rdb seq 1 type h', 'file appendonly.aof.1.incr.aof seq 1 type h');
      writeFileSync(m, lines.join('\n'));
      const a = (await collect(parseAofPath(dir))).map(norm);
      const b = (await collect(parseAofPath(copy))).map(norm);
      expect(b).toEqual(a);
    });

    it('a missing listed part is an IO error naming it', async () => {
      for (const p of parts) {
        const copy = copyDir(dir);
        rmSync(path.join(copy, p.file));
        let err: unknown = null;
        try {
          await collect(parseAofPath(copy));
        } catch (e) {
          err = e;
        }
        expect(err, p.file).toBeInstanceOf(RdbkitError);
        expect((err as RdbkitError).code).toBe('IO');
        expect(`${(err as RdbkitError).file ?? ''} ${(err as Error).message}`).toContain(p.file);
      }
    });
  });
}

describe('fixture legacy-preamble.aof (one file: RDB then commands)', () => {
  const file = path.join(aofFixtures, 'legacy-preamble.aof');
  const bytes = readFileSync(file);
  const exp = expectedOf('legacy-preamble.aof');

  it('one single part in rdb format; the tail’s commands at absolute offsets after the RDB', async () => {
    const evs = await collect(parseAofPath(file));
    const partEvents = evs.filter((e) => e.type === 'aofPart') as Extract<AofEvent, { type: 'aofPart' }>[];
    expect(partEvents.map((p) => [p.role, p.format, p.offset])).toEqual([['single', 'rdb', 0]]);
    const eof = evs.find((e) => e.type === 'eof') as Extract<AofEvent, { type: 'eof' }>;
    expect(eof.end).toBe(exp.rdb_size);
    const file0 = partEvents[0]!.file;
    const want = wantFrom([{ file: file0, bytes, start: exp.rdb_size }]);
    expect(gotCommands(evs)).toEqual(want.commands);
    expect(want.commands.length).toBe(exp.counts.commands);
  });

  it('identical events from a Uint8Array, byte by byte, random chunks, a ReadableStream', async () => {
    const whole = (await collect(parseAof(bytes))).map(norm);
    expect((await collect(parseAof(chunks(bytes, () => 1)))).map(norm)).toEqual(whole);
    const rng = prng(99);
    expect((await collect(parseAof(chunks(bytes, () => 1 + Math.floor(rng() * 500))))).map(norm)).toEqual(whole);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const ch of chunks(bytes, () => 333)) c.enqueue(ch);
        c.close();
      },
    });
    expect((await collect(parseAof(stream))).map(norm)).toEqual(whole);
  });
});

describe('an empty AOF', () => {
  it('is valid (redis-check-aof: "is empty", exit 0; redis-server loads it empty): no commands, no error', async () => {
    const f = path.join(tempDir(), 'appendonly.aof');
    writeFileSync(f, Buffer.alloc(0));
    if (redisCheckAofPath !== null) expect(redisCheckAof(f).status).toBe(0);
    const evs = await collect(parseAof(new Uint8Array(0)));
    expect(evs.filter((e) => e.type === 'command' || e.type === 'aofTruncated')).toEqual([]);
  });

  it('an empty last INCR part is fine', async () => {
    const copy = copyDir(path.join(aofFixtures, 'multipart-rdb'));
    const last = readAofDir(copy).parts.at(-1)!;
    writeFileSync(path.join(copy, last.file), Buffer.alloc(0));
    if (redisCheckAofPath !== null) expect(redisCheckAof(manifestOf(copy)).status).toBe(0);
    const evs = await collect(parseAofPath(copy));
    expect(evs.filter((e) => e.type === 'command' || e.type === 'aofTruncated')).toEqual([]);
  });
});

describe('syntax errors are AOF_FORMAT errors with file and offset (not truncations)', () => {
  const cases: Array<[string, string]> = [
    ['a line that is not a command', '*1\r\n$4\r\nPING\r\nXYZ\r\n'],
    ['a bulk header without $', '*2\r\n$3\r\nGET\r\n:12\r\n'],
    ['an argument count that is not a number', '*x\r\n$4\r\nPING\r\n'],
  ];
  for (const [what, text] of cases) {
    it(`${what}: redis-check-aof rejects it; parseAof throws AOF_FORMAT in both modes`, async () => {
      const bytes = Buffer.from(text, 'latin1');
      if (redisCheckAofPath !== null) {
        const f = path.join(tempDir(), 'bad.aof');
        writeFileSync(f, bytes);
        expect(redisCheckAof(f).status, redisCheckAof(f).stdout).not.toBe(0);
      }
      for (const truncated of ['load', 'strict'] as const) {
        let err: unknown = null;
        try {
          await collect(parseAof([{ name: 'x.incr.aof', role: 'incr', source: bytes }], { truncated }));
        } catch (e) {
          err = e;
        }
        expect(err, `${what} (${truncated})`).toBeInstanceOf(RdbkitError);
        expect((err as RdbkitError).code).toBe('AOF_FORMAT');
        expect((err as RdbkitError).file).toBe('x.incr.aof');
        expect(typeof (err as RdbkitError).offset).toBe('number');
      }
    });
  }

  // redis-check-aof stops at these; redis-server 7.0 loads them (the command just fails on
  // the loading client; checked by hand: `EXEC` alone then `SET z 1` loads z). So: strict
  // mode (the checker's view) rejects them, load mode (the server's view) passes them through.
  const misplaced: Array<[string, string]> = [
    ['EXEC without MULTI', '*1\r\n$4\r\nEXEC\r\n*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n'],
    ['nested MULTI', '*1\r\n$5\r\nMULTI\r\n*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nEXEC\r\n*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n'],
  ];
  for (const [what, text] of misplaced) {
    it(`${what}: redis-check-aof rejects it (strict: AOF_FORMAT); redis-server loads it (load: no error, later commands kept)`, async () => {
      const bytes = Buffer.from(text, 'latin1');
      if (redisCheckAofPath !== null) {
        const f = path.join(tempDir(), 'bad.aof');
        writeFileSync(f, bytes);
        expect(redisCheckAof(f).status, redisCheckAof(f).stdout).not.toBe(0);
      }
      let err: unknown = null;
      try {
        await collect(parseAof([{ name: 'x.incr.aof', role: 'incr', source: bytes }], { truncated: 'strict' }));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RdbkitError);
      expect((err as RdbkitError).code).toBe('AOF_FORMAT');
      const evs = await collect(parseAof([{ name: 'x.incr.aof', role: 'incr', source: bytes }]));
      const last = gotCommands(evs).at(-1)!;
      expect(Buffer.from(last.args[1]!, 'hex').toString()).toBe('z');
    });
  }
});
