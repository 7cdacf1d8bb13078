/**
 * Broken AOFs through the CLI, judged by the real tools:
 *
 * - the last INCR part cut at sampled offsets (command boundaries, inside
 *   headers, inside bulk data, inside MULTI blocks, inside `#TS:` lines, and
 *   PRNG picks), and an unfinished MULTI appended: `rdbkit verify` gives the
 *   exit code and `ok_up_to` that `redis-check-aof` gives; `rdbkit resp`
 *   loaded into a fresh server gives the DEBUG DIGEST that redis-server
 *   itself reaches on the broken directory (`aof-load-truncated yes`).
 *
 * Parts redis-server refuses and the legacy single file: broken-parts.test.ts.
 */
import { appendFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { readAofDir } from '../../scripts/make-aof-fixtures.mjs';
import {
  aofFixtures,
  copyDir,
  expectRespGives,
  expectVerifyAgrees,
  manifestOf,
  redisCheckAof,
  sampleCuts,
  serverOnAofDir,
  useLoadTarget,
} from '../helpers/aof.js';
import { describeRedis } from '../helpers/redis.js';

describeRedis('broken last part: rdbkit verify = redis-check-aof, rdbkit resp = what redis-server loads', () => {
  const target = useLoadTarget();

  /** Checks one broken directory `dir` (its last part already damaged). */
  async function judge(dir: string, what: string): Promise<void> {
    const lastFile = readAofDir(dir).parts.at(-1)!.file;
    const check = redisCheckAof(manifestOf(dir));
    const verifyText = expectVerifyAgrees(dir, check, `${what}: redis-check-aof says ${check.status === 0 ? 'valid' : 'not valid'}`);
    if (check.status === 0) expect(verifyText).toMatch(/OK/);
    else expect(verifyText, `${what}: names the file`).toContain(lastFile);
    const server = await serverOnAofDir(dir);
    expect(server.truth, `${what}: redis-server loads a broken last part with aof-load-truncated yes\n${server.log}`).not.toBeNull();
    const resp = await expectRespGives(target(), ['resp', dir], server.truth!, what);
    if (check.status !== 0) expect(resp.stderr, `${what}: a warning on stderr`).not.toBe('');
  }

  for (const [name, seed] of [
    ['multipart-rdb-ts', 11],
    ['multipart-resp-ts', 12],
    ['multipart-rdb', 13],
  ] as const) {
    it(`${name}: last part cut at sampled offsets`, { timeout: 60_000 }, async () => {
      const src = path.join(aofFixtures, name);
      const last = readAofDir(src).parts.at(-1)!;
      const cuts = sampleCuts(last.bytes, seed, name === 'multipart-rdb-ts' ? 4 : 1);
      expect(cuts.length).toBeGreaterThan(8);
      for (const k of cuts) {
        const dir = copyDir(src);
        truncateSync(path.join(dir, last.file), k);
        await judge(dir, `${name}: ${last.file} cut at ${k}`);
      }
    });
  }

  it('an unfinished MULTI appended to the last part (whole, and cut inside it)', { timeout: 60_000 }, async () => {
    const src = path.join(aofFixtures, 'multipart-rdb-ts');
    const last = readAofDir(src).parts.at(-1)!;
    const tail = Buffer.from(
      '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$7\r\nmulti:a\r\n$1\r\n1\r\n*3\r\n$4\r\nSADD\r\n$7\r\nmulti:s\r\n$2\r\nxy\r\n',
      'latin1',
    );
    for (const keep of [tail.length, 15, tail.length - 3]) {
      const dir = copyDir(src);
      appendFileSync(path.join(dir, last.file), tail.subarray(0, keep));
      await judge(dir, `unfinished MULTI (${keep} of ${tail.length} bytes appended)`);
    }
    // A complete transaction appended after an unfinished one's removal is not what Redis does; but a
    // complete MULTI/EXEC appended is simply loaded:
    const dir = copyDir(src);
    appendFileSync(path.join(dir, last.file), Buffer.concat([tail, Buffer.from('*1\r\n$4\r\nEXEC\r\n')]));
    await judge(dir, 'a complete MULTI/EXEC appended');
  });
});
