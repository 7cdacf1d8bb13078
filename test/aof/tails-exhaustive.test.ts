/**
 * Broken tails, exhaustively, at the library level: the last INCR part of a
 * real redis-server 7.0 AOF directory cut at every offset of its last 1100
 * bytes and every 4th offset before (and the same part
 * with an unfinished MULTI appended, cut at every offset of that tail). For
 * each cut, `redis-check-aof` on the manifest is the judge:
 *
 * - it says valid → `parseAof` yields no `aofTruncated` event and no error;
 * - it says not valid → load mode yields exactly one `aofTruncated` for the
 *   last part whose `offset` is redis-check-aof's `ok_up_to` and `size` the
 *   cut, no command of that part ends after it; strict mode (checked at
 *   every 6th cut) throws a `TRUNCATED` RdbkitError naming the part.
 *
 * The legacy single-file RDB-preamble AOF is cut the same way (sampled).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAof, RdbkitError } from '../../src/index.js';
import type { AofEvent, AofTruncatedEvent } from '../../src/index.js';
import { readAofDir, splitResp } from '../../scripts/make-aof-fixtures.mjs';
import { aofFixtures, cleanupTemp, redisCheckAof, redisCheckAofPath, tempDir } from '../helpers/aof.js';
import { redisRequired } from '../helpers/redis.js';

type Part = { name: string | null; role: 'base' | 'incr' | 'single'; source: Uint8Array };

interface Outcome {
  truncated: AofTruncatedEvent[];
  error: unknown;
  /** [file, offset, end] of every command event. */
  commands: Array<[string | null, number, number]>;
}

async function outcome(input: Part[] | Uint8Array, truncated: 'load' | 'strict' = 'load'): Promise<Outcome> {
  const out: Outcome = { truncated: [], error: null, commands: [] };
  try {
    for await (const ev of parseAof(input, { truncated }) as AsyncGenerator<AofEvent>) {
      if (ev.type === 'aofTruncated') out.truncated.push(ev);
      else if (ev.type === 'command') out.commands.push([ev.file, ev.offset, ev.end]);
    }
  } catch (err) {
    out.error = err;
  }
  return out;
}

const haveCheck = redisCheckAofPath !== null;
if (!haveCheck && redisRequired) throw new Error('redis-check-aof is required (RDBKIT_REQUIRE_REDIS=1) but not found');
const describeCheck = haveCheck ? describe : describe.skip;
if (!haveCheck) console.warn('redis-check-aof not found: skipping the exhaustive broken-tail comparison');

/** Compares one cut with redis-check-aof's verdict. */
async function compareCut(
  parts: Part[],
  cutBytes: Uint8Array,
  check: ReturnType<typeof redisCheckAof>,
  what: string,
  strictToo = true,
): Promise<void> {
  const last = parts.at(-1)!;
  const cutParts: Part[] = [...parts.slice(0, -1), { ...last, source: cutBytes }];
  const load = await outcome(cutParts);
  expect(load.error, `${what}: load mode must not throw`).toBeNull();
  if (check.status === 0) {
    expect(load.truncated, `${what}: redis-check-aof says valid\n${check.stdout}`).toEqual([]);
    if (!strictToo) return;
    const strict = await outcome(cutParts, 'strict');
    expect(strict.error, `${what}: strict, valid file`).toBeNull();
    return;
  }
  const verdict = check.last!;
  expect(verdict.file, `${what}: redis-check-aof stopped at the cut part\n${check.stdout}`).toBe(last.name);
  expect(load.truncated.length, `${what}: one aofTruncated event (redis-check-aof: ok_up_to=${verdict.okUpTo})`).toBe(1);
  const t = load.truncated[0]!;
  expect({ file: t.file, offset: t.offset, size: t.size }, `${what}\n${check.stdout}`).toEqual({
    file: last.name,
    offset: verdict.okUpTo,
    size: cutBytes.length,
  });
  for (const [file, , end] of load.commands) if (file === last.name) expect(end, what).toBeLessThanOrEqual(verdict.okUpTo);
  if (!strictToo) return;
  const strict = await outcome(cutParts, 'strict');
  expect(strict.error, `${what}: strict mode throws`).toBeInstanceOf(RdbkitError);
  expect((strict.error as RdbkitError).code, what).toBe('TRUNCATED');
  expect((strict.error as RdbkitError).file, what).toBe(last.name);
}

describeCheck('every cut of the last INCR part: parseAof agrees with redis-check-aof', () => {
  const src = path.join(aofFixtures, 'multipart-rdb-ts');
  const { manifestName, parts: raw } = readAofDir(src);
  const parts: Part[] = raw.map((p) => ({ name: p.file, role: p.type === 'b' ? 'base' : 'incr', source: p.bytes }));
  const last = raw.at(-1)!;
  let work: string;
  beforeAll(() => {
    work = tempDir();
    for (const p of raw) writeFileSync(path.join(work, p.file), p.bytes);
    writeFileSync(path.join(work, manifestName), readFileSync(path.join(src, manifestName)));
  });
  afterAll(() => cleanupTemp());

  const cutAt = (bytes: Uint8Array, k: number) => {
    const cut = bytes.subarray(0, k);
    writeFileSync(path.join(work, last.file), cut);
    return { cut, check: redisCheckAof(path.join(work, manifestName)) };
  };

  it('the uncut directory is valid for both', async () => {
    const { check } = cutAt(last.bytes, last.bytes.length);
    expect(check.status, check.stdout).toBe(0);
    const o = await outcome(parts);
    expect(o.error).toBeNull();
    expect(o.truncated).toEqual([]);
  });

  // Every offset of the last 1100 bytes (the timed writes: #TS annotations, database
  // switches, a MULTI/EXEC each second, and the end of the previous phase's commands),
  // every 4th offset before that: one redis-check-aof run per cut keeps this under a minute.
  const dense = Math.max(0, last.bytes.length - 1100);
  it(`every offset ${dense}…${last.bytes.length} of ${last.file}, every 4th before`, { timeout: 120_000 }, async () => {
    let invalid = 0;
    let n = 0;
    for (let k = 0; k < last.bytes.length; k += k < dense ? 4 : 1) {
      const { cut, check } = cutAt(last.bytes, k);
      if (check.status !== 0) invalid++;
      n++;
      await compareCut(parts, cut, check, `${last.file} cut at ${k}`, n % 6 === 0);
    }
    // Most cuts land inside a command: the comparison really exercised broken tails.
    expect(invalid).toBeGreaterThan(n / 2);
  });

  it('an unfinished MULTI (with queued commands) appended, cut at every offset of that tail', { timeout: 60_000 }, async () => {
    const tail = Buffer.from(
      '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$7\r\nmulti:a\r\n$1\r\n1\r\n*3\r\n$4\r\nSADD\r\n$7\r\nmulti:s\r\n$2\r\nxy\r\n',
      'latin1',
    );
    const full = Buffer.concat([last.bytes, tail]);
    // The whole unfinished transaction is dropped: ok_up_to is where MULTI starts.
    const { check } = cutAt(full, full.length);
    expect(check.status, check.stdout).toBe(1);
    expect(check.last!.okUpTo).toBe(last.bytes.length);
    const o = await outcome([...parts.slice(0, -1), { ...parts.at(-1)!, source: full }]);
    expect(o.truncated).toEqual([{ type: 'aofTruncated', file: last.file, offset: last.bytes.length, size: full.length, reason: 'multi' }]);
    for (let k = last.bytes.length; k <= full.length; k++) {
      const r = cutAt(full, k);
      await compareCut(parts, r.cut, r.check, `${last.file} + MULTI tail cut at ${k}`);
    }
  });

  it('a MULTI…EXEC block of the file cut inside: the block is dropped whole (reason multi when only EXEC is missing)', async () => {
    const s = splitResp(last.bytes);
    const multis = s.commands.filter((c) => c.args[0]!.toString().toLowerCase() === 'multi');
    expect(multis.length).toBeGreaterThan(0);
    for (const m of multis) {
      const exec = s.commands.find((c) => c.offset > m.offset && c.args[0]!.toString().toLowerCase() === 'exec')!;
      // Cut just before EXEC: every queued command is complete, the transaction is not.
      const o = await outcome([...parts.slice(0, -1), { ...parts.at(-1)!, source: last.bytes.subarray(0, exec.offset) }]);
      expect(o.truncated).toEqual([{ type: 'aofTruncated', file: last.file, offset: m.offset, size: exec.offset, reason: 'multi' }]);
      expect(o.commands.filter(([f, , e]) => f === last.file && e > m.offset)).toEqual([]);
    }
  });
});

describeCheck('legacy single-file RDB-preamble AOF cut at many offsets: parseAof agrees with redis-check-aof', () => {
  const file = path.join(aofFixtures, 'legacy-preamble.aof');
  const bytes = readFileSync(file);
  const exp = JSON.parse(readFileSync(`${file}.expected.json`, 'utf8'));
  afterAll(() => cleanupTemp());

  it('tail cuts (every 5th offset and every command boundary ±1) and RDB cuts (sampled)', { timeout: 60_000 }, async () => {
    const work = tempDir();
    mkdirSync(work, { recursive: true });
    const target = path.join(work, 'appendonly.aof');
    const s = splitResp(bytes, exp.rdb_size);
    const offsets = new Set<number>();
    for (let k = exp.rdb_size; k <= bytes.length; k += 5) offsets.add(k);
    for (const c of s.commands) for (const d of [-1, 0, 1]) offsets.add(c.offset + d);
    for (let k = 1; k < exp.rdb_size; k += 97) offsets.add(k);
    offsets.add(exp.rdb_size - 1);
    offsets.add(bytes.length);
    let rdbCuts = 0;
    for (const k of [...offsets].filter((x) => x >= 0 && x <= bytes.length).sort((a, b) => a - b)) {
      const cut = bytes.subarray(0, k);
      writeFileSync(target, cut);
      const check = redisCheckAof(target);
      const what = `legacy-preamble.aof cut at ${k}`;
      const load = await outcome(cut);
      if (k < exp.rdb_size) {
        // Inside the preamble: redis-check-aof rejects it and redis-server refuses it: an error, not a truncation.
        if (k > 0) expect(check.status, `${what}\n${check.stdout}`).not.toBe(0);
        expect(load.error, what).toBeInstanceOf(RdbkitError);
        expect(load.truncated, what).toEqual([]);
        rdbCuts++;
        continue;
      }
      expect(load.error, what).toBeNull();
      if (check.status === 0) {
        expect(load.truncated, `${what}\n${check.stdout}`).toEqual([]);
      } else {
        expect(load.truncated.map((t) => ({ offset: t.offset, size: t.size })), `${what}\n${check.stdout}`).toEqual([
          { offset: check.last!.okUpTo, size: k },
        ]);
      }
    }
    expect(rdbCuts).toBeGreaterThan(10);
  });
});
