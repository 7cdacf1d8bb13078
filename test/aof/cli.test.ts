/**
 * `rdbkit json|info|verify|rdb` on AOF inputs, checked against facts that do
 * not come from rdbkit: the commands an independent RESP splitter finds in
 * each part (arguments, file, offset, db in force, #TS in force), the number
 * of keys redis-check-aof reads from the RDB base, redis-check-aof's ok_up_to
 * for a cut part, the peers' command offsets.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAofDir, splitResp } from '../../scripts/make-aof-fixtures.mjs';
import {
  aofFixtures,
  cleanupTemp,
  copyDir,
  manifestOf,
  rdbKeysRead,
  rdbkit,
  redisCheckAof,
  redisCheckAofPath,
  tempDir,
  type WantCommand,
  wantFrom,
  wantFromRespParts,
} from '../helpers/aof.js';
import { corpusDir } from '../helpers/corpus.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
afterAll(() => cleanupTemp());

function lines(out: Buffer): any[] {
  const text = out.toString('utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

const validUtf8 = (b: Buffer) => Buffer.from(b.toString('utf8'), 'utf8').equals(b);

/** The JSON record the contract asks for, from a splitter command. */
function record(c: WantCommand): any {
  const args = c.args.map((h) => Buffer.from(h, 'hex'));
  const text = args.every(validUtf8);
  return text
    ? { db: c.db, command: args.map((a) => a.toString('utf8')), file: c.file, offset: c.offset, ts: c.ts }
    : { db: c.db, bytes: 'base64', command: args.map((a) => a.toString('base64')), file: c.file, offset: c.offset, ts: c.ts };
}

function wantRecords(dir: string): any[] {
  const { parts } = readAofDir(dir);
  return wantFromRespParts(parts).commands.map(record);
}

const dirs = ['multipart-rdb-ts', 'multipart-resp-ts', 'multipart-rdb'];

describe('rdbkit json <AOF dir>', () => {
  for (const name of dirs) {
    it(`${name}: base key records, then one record per command as the splitter finds it (field order, bytes rule)`, () => {
      const dir = path.join(aofFixtures, name);
      const r = rdbkit(['json', dir]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      const recs = lines(r.stdout);
      const keys = recs.filter((x) => 'key' in x);
      const cmds = recs.filter((x) => 'command' in x);
      expect(keys.length + cmds.length).toBe(recs.length);
      // Base keys come first.
      expect(recs.slice(0, keys.length)).toEqual(keys);
      const n = rdbKeysRead(dir);
      if (n !== null) expect(keys.length).toBe(n);
      const want = wantRecords(dir);
      expect(cmds).toEqual(want);
      for (let i = 0; i < cmds.length; i++) expect(Object.keys(cmds[i]), `record ${i} field order`).toEqual(Object.keys(want[i]));
      expect(want.some((w) => w.bytes === 'base64'), 'the fixture has a binary command').toBe(true);
    });
  }

  it('the manifest path gives the same output as the directory', () => {
    const dir = path.join(aofFixtures, 'multipart-rdb-ts');
    const a = rdbkit(['json', dir]);
    const b = rdbkit(['json', manifestOf(dir)]);
    expect(b.code).toBe(0);
    expect(b.stdout.equals(a.stdout)).toBe(true);
  });

  it('--db N: the key records and the commands of database N only', () => {
    const dir = path.join(aofFixtures, 'multipart-rdb-ts');
    for (const db of [1, 5]) {
      const r = rdbkit(['json', '--db', String(db), dir]);
      expect(r.code, r.stderr).toBe(0);
      const recs = lines(r.stdout);
      expect(recs.every((x) => x.db === db)).toBe(true);
      expect(recs.filter((x) => 'command' in x)).toEqual(wantRecords(dir).filter((w) => w.db === db));
    }
  });

  it('--until T: the commands before the first #TS annotation later than T', () => {
    const dir = path.join(aofFixtures, 'multipart-rdb-ts');
    const { parts } = readAofDir(dir);
    const last = parts.at(-1)!;
    const anns = splitResp(last.bytes).annotations.filter((a) => a.ts !== null);
    expect(anns.length).toBeGreaterThanOrEqual(3);
    const stop = anns[2]!;
    const T = stop.ts! - 1;
    const r = rdbkit(['json', '--until', String(T), dir]);
    expect(r.code, r.stderr).toBe(0);
    const got = lines(r.stdout).filter((x) => 'command' in x);
    const want = wantRecords(dir).filter((w) => w.file !== last.file || w.offset < stop.offset);
    expect(got).toEqual(want);
  });

  it('a cut last part: a warning on stderr naming the file, exit 0, the commands before ok_up_to', () => {
    const src = path.join(aofFixtures, 'multipart-rdb-ts');
    const last = readAofDir(src).parts.at(-1)!;
    const k = Math.floor(last.bytes.length * 0.6) + 3;
    const dir = copyDir(src);
    truncateSync(path.join(dir, last.file), k);
    const okUpTo = redisCheckAofPath !== null ? redisCheckAof(manifestOf(dir)).last!.okUpTo : splitResp(last.bytes.subarray(0, k)).okUpTo;
    const r = rdbkit(['json', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(last.file);
    expect(r.stderr).toMatch(new RegExp(`\\b${okUpTo}\\b`));
    const want = wantRecords(src).filter((w) => w.file !== last.file || w.offset < okUpTo);
    expect(lines(r.stdout).filter((x) => 'command' in x)).toEqual(want);
  });

  it('legacy single-file preamble AOF, from a path and from stdin', () => {
    const file = path.join(aofFixtures, 'legacy-preamble.aof');
    const bytes = readFileSync(file);
    const exp = JSON.parse(readFileSync(`${file}.expected.json`, 'utf8'));
    const viaPath = rdbkit(['json', file]);
    expect(viaPath.code, viaPath.stderr).toBe(0);
    const recs = lines(viaPath.stdout);
    const cmds = recs.filter((x) => 'command' in x);
    const want = wantFrom([{ file: null, bytes, start: exp.rdb_size }]).commands.map(record);
    const strip = (x: any) => ({ ...x, file: undefined });
    expect(cmds.map(strip)).toEqual(want.map(strip));
    const viaStdin = rdbkit(['json', '-'], bytes);
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect(lines(viaStdin.stdout).map(strip)).toEqual(recs.map(strip));
  });

  it('a plain single-file AOF (corpus appendonly1.aof): the peer’s command offsets', () => {
    if (corpusDir === null) return;
    const file = path.join(corpusDir, 'redis-replicator/appendonly1.aof');
    const r = rdbkit(['json', file]);
    expect(r.code, r.stderr).toBe(0);
    const cmds = lines(r.stdout).filter((x) => 'command' in x);
    expect(cmds.map((c) => c.command)).toEqual([
      ['SELECT', '0'],
      ['set', 'a', 'b'],
      ['hmset', 'key', 'field', 'a'],
      ['hmset', 'key', 'field1', 'b'],
    ]);
    expect(cmds[1].offset).toBe(23); // command_offsets["1"] = [23, 50]
    expect(cmds[2].offset).toBe(50);
    expect(cmds.every((c) => c.ts === null && c.db === 0)).toBe(true);
  });
});

describe('rdbkit verify / info / rdb on AOF inputs', () => {
  for (const input of [...dirs.map((d) => path.join(aofFixtures, d)), path.join(aofFixtures, 'legacy-preamble.aof')]) {
    it(`verify ${path.basename(input)}: exit 0, OK (redis-check-aof agrees)`, () => {
      if (redisCheckAofPath !== null) {
        const target = input.endsWith('.aof') ? input : manifestOf(input);
        expect(redisCheckAof(target).status).toBe(0);
      }
      const r = rdbkit(['verify', input]);
      expect(r.code, r.stderr).toBe(0);
      expect(`${r.stdout}`).toMatch(/OK/);
    });
  }

  it('an empty AOF file: redis-check-aof says valid (exit 0) and redis-server loads it empty, so verify exits 0 and resp writes nothing', () => {
    const f = path.join(tempDir(), 'appendonly.aof');
    writeFileSync(f, Buffer.alloc(0));
    if (redisCheckAofPath !== null) expect(redisCheckAof(f).status).toBe(0);
    const v = rdbkit(['verify', f]);
    expect(v.code, v.stderr).toBe(0);
    const r = rdbkit(['resp', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.length).toBe(0);
  });

  it('info names the parts, the command count and the #TS range the splitter finds', () => {
    const dir = path.join(aofFixtures, 'multipart-rdb-ts');
    const r = rdbkit(['info', dir]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout.toString();
    const { parts } = readAofDir(dir);
    for (const p of parts) expect(out).toContain(p.file);
    const want = wantFromRespParts(parts);
    expect(out).toMatch(new RegExp(`\\b${want.commands.length}\\b`));
    const ts = want.annotations.map((a) => a.ts).filter((t): t is number => t !== null);
    expect(out).toContain(String(Math.min(...ts)));
    expect(out).toContain(String(Math.max(...ts)));
  });

  it('rdb from an AOF is refused with a clear one-line message', () => {
    const out = path.join(copyDir(path.join(aofFixtures, 'multipart-rdb')), 'out.rdb');
    for (const input of [path.join(aofFixtures, 'multipart-rdb'), path.join(aofFixtures, 'legacy-preamble.aof')]) {
      const r = rdbkit(['rdb', input, '-o', out]);
      expect([1, 2]).toContain(r.code);
      expect(r.stderr).toMatch(/AOF/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout.length).toBe(0);
    }
  });
});
