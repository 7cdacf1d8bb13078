/**
 * Damaged AOFs that redis-server refuses or loads from a single file, through
 * the CLI:
 *
 * - a NON-last part cut (the base, or the first of two INCR parts):
 *   redis-server refuses to start, so rdbkit must fail (exit 1, naming the
 *   file, one line), and redis-check-aof agrees the directory is broken;
 * - a missing listed part: redis-server refuses, rdbkit fails naming it;
 * - a stray EXEC / nested MULTI: redis-check-aof stops there (verify must
 *   agree), redis-server loads a stray EXEC (resp must load the same data).
 */
import { appendFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { readAofDir, splitResp } from '../../scripts/make-aof-fixtures.mjs';
import {
  aofFixtures,
  copyDir,
  expectRespGives,
  expectSameTruth,
  expectVerifyAgrees,
  manifestOf,
  okUpToOf,
  rdbkit,
  redisCheckAof,
  replayResp,
  serverOnAofDir,
  serverOnLegacyAof,
  tempDir,
  useLoadTarget,
} from '../helpers/aof.js';
import { describeRedis } from '../helpers/redis.js';

describeRedis('parts redis-server refuses, and the legacy single-file AOF cut', () => {
  const target = useLoadTarget();

  it('a cut NON-last part: redis-server refuses to start, rdbkit fails naming the file', { timeout: 60_000 }, async () => {
    for (const name of ['multipart-rdb-ts', 'multipart-resp-ts']) {
      const src = path.join(aofFixtures, name);
      const parts = readAofDir(src).parts;
      const base = parts[0]!;
      const firstIncr = parts[1]!;
      const incrCmds = splitResp(firstIncr.bytes).commands;
      const baseIsRdb = base.bytes.subarray(0, 5).toString('latin1') === 'REDIS';
      const baseMid = baseIsRdb
        ? Math.floor(base.bytes.length / 2)
        : splitResp(base.bytes).commands[Math.floor(splitResp(base.bytes).commands.length / 2)]!.offset + 5;
      const cases: Array<[string, number]> = [
        [base.file, baseMid],
        [base.file, base.bytes.length - 1],
        [firstIncr.file, incrCmds[3]!.offset + 5],
        [firstIncr.file, firstIncr.bytes.length - 1],
      ];
      for (const [file, k] of cases) {
        const what = `${name}: ${file} (not the last part) cut at ${k}`;
        const dir = copyDir(src);
        truncateSync(path.join(dir, file), k);
        const server = await serverOnAofDir(dir);
        expect(server.truth, `${what}: redis-server must refuse it\n${server.log}`).toBeNull();
        for (const cmd of ['verify', 'resp', 'json']) {
          const r = rdbkit([cmd, dir]);
          expect(r.code, `${what}: rdbkit ${cmd}\n${r.stderr}`).toBe(1);
          expect(r.stderr, `${what}: rdbkit ${cmd} names the file`).toContain(file);
          expect(r.stderr, `${what}: rdbkit ${cmd}: one line, no stack trace`).not.toMatch(/\n\s+at /);
        }
        const check = redisCheckAof(manifestOf(dir));
        expect(check.status, `${what}: redis-check-aof agrees it is broken\n${check.stdout}`).not.toBe(0);
        if (check.last?.file === file) {
          // A RESP part: redis-check-aof reports that file's valid prefix; verify must print the same.
          const v = rdbkit(['verify', dir]);
          const text = `${v.stdout.toString()}${v.stderr}`;
          expect(okUpToOf(text), `${what}\n${check.stdout}\n--- rdbkit ---\n${text}`).toBe(check.last.okUpTo);
        }
      }
    }
  });

  it('a missing listed part: redis-server refuses, rdbkit fails naming the file', async () => {
    const src = path.join(aofFixtures, 'multipart-rdb-ts');
    const parts = readAofDir(src).parts;
    for (const gone of [parts[1]!.file, parts.at(-1)!.file]) {
      const dir = copyDir(src);
      rmSync(path.join(dir, gone));
      const server = await serverOnAofDir(dir);
      expect(server.truth, `${gone} missing: redis-server refuses\n${server.log}`).toBeNull();
      for (const cmd of ['verify', 'resp']) {
        const r = rdbkit([cmd, dir]);
        expect(r.code, `${gone} missing: rdbkit ${cmd}\n${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(gone);
      }
    }
  });

  it('a misplaced EXEC / nested MULTI in the last part: rdbkit verify = redis-check-aof; resp of a stray EXEC = what redis-server loads', async () => {
    const src = path.join(aofFixtures, 'multipart-rdb');
    const last = readAofDir(src).parts.at(-1)!;
    const set = (k: string) => `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$1\r\n1\r\n`;
    const cases: Array<[string, string, boolean]> = [
      ['EXEC without MULTI', `*1\r\n$4\r\nEXEC\r\n${set('after:exec')}`, true],
      ['nested MULTI', `*1\r\n$5\r\nMULTI\r\n${set('nm:a')}*1\r\n$5\r\nMULTI\r\n${set('nm:b')}*1\r\n$4\r\nEXEC\r\n`, false],
    ];
    for (const [what, tail, compareData] of cases) {
      const dir = copyDir(src);
      appendFileSync(path.join(dir, last.file), tail);
      const check = redisCheckAof(manifestOf(dir));
      expect(check.status, `${what}\n${check.stdout}`).not.toBe(0);
      const verify = rdbkit(['verify', dir]);
      const text = `${verify.stdout.toString()}${verify.stderr}`;
      expect(verify.code, `${what}\n${text}`).toBe(1);
      expect(okUpToOf(text), `${what}\n${check.stdout}\n--- rdbkit ---\n${text}`).toBe(check.last!.okUpTo);
      expect(text).toContain(last.file);
      if (!compareData) continue;
      const server = await serverOnAofDir(dir);
      expect(server.truth, `${what}: redis-server loads it\n${server.log}`).not.toBeNull();
      const resp = rdbkit(['resp', dir]);
      expect(resp.code, resp.stderr).toBe(0);
      // the stray EXEC is an error reply there too
      expectSameTruth((await replayResp(target(), resp.stdout)).truth, server.truth!, what);
    }
  });
  it('a `#` annotation line longer than the loaders read (1023 bytes with its CRLF): verify = redis-check-aof, refused like redis-server', async () => {
    const src = path.join(aofFixtures, 'multipart-rdb');
    const last = readAofDir(src).parts.at(-1)!;
    const setCmd = '*3\r\n$3\r\nSET\r\n$4\r\nlong\r\n$1\r\n1\r\n';
    // n = 1020 gives a 1023-byte line: the longest both tools read whole.
    for (const n of [1000, 1020, 1021, 2000]) {
      const what = `annotation of ${n + 3} bytes`;
      const dir = copyDir(src);
      appendFileSync(path.join(dir, last.file), `#${'x'.repeat(n)}\r\n${setCmd}`);
      const server = await serverOnAofDir(dir);
      expectVerifyAgrees(dir, redisCheckAof(manifestOf(dir)), what);
      if (server.truth === null) {
        const resp = rdbkit(['resp', dir]);
        expect(resp.code, `${what}: redis-server refuses the directory\n${resp.stderr}`).toBe(1);
      } else {
        await expectRespGives(target(), ['resp', dir], server.truth, what);
      }
    }
  });
  it('a manifest with a base and no INCR part: a cut RESP base is the last part (loaded truncated), a cut RDB base is refused', async () => {
    for (const name of ['multipart-resp-ts', 'multipart-rdb']) {
      const src = path.join(aofFixtures, name);
      const { manifestName, parts } = readAofDir(src);
      const base = parts[0]!;
      const baseIsRdb = base.bytes.subarray(0, 5).toString('latin1') === 'REDIS';
      const cmds = baseIsRdb ? [] : splitResp(base.bytes).commands;
      const cuts = baseIsRdb ? [Math.floor(base.bytes.length / 2)] : [cmds[Math.floor(cmds.length / 2)]!.offset + 7, base.bytes.length - 1];
      for (const k of cuts) {
        const what = `${name}, base only, cut at ${k}`;
        const dir = copyDir(src);
        for (const p of parts.slice(1)) rmSync(path.join(dir, p.file));
        writeFileSync(path.join(dir, manifestName), `file ${base.file} seq ${base.seq} type b\n`);
        truncateSync(path.join(dir, base.file), k);
        const check = redisCheckAof(manifestOf(dir));
        const server = await serverOnAofDir(dir);
        const verify = rdbkit(['verify', dir]);
        const text = `${verify.stdout.toString()}${verify.stderr}`;
        expect(check.status, check.stdout).not.toBe(0);
        expect(verify.code, `${what}\n${text}`).toBe(1);
        if (!baseIsRdb) expect(okUpToOf(text), `${what}\n${check.stdout}\n--- rdbkit ---\n${text}`).toBe(check.last!.okUpTo);
        if (server.truth === null) {
          const resp = rdbkit(['resp', dir]);
          expect(resp.code, `${what}: redis-server refuses it\n${server.log.slice(-500)}\n--- rdbkit ---\n${resp.stderr}`).toBe(1);
        } else {
          await expectRespGives(target(), ['resp', dir], server.truth, `${what}: redis-server loads it`);
        }
        expect(server.truth === null, `${what}: redis-server refuses exactly the RDB base`).toBe(baseIsRdb);
      }
    }
  });
  it('an RDB base / preamble with a wrong CRC-64: redis-check-aof rejects, redis-server refuses, rdbkit fails', async () => {
    const dirSrc = path.join(aofFixtures, 'multipart-rdb');
    const base = readAofDir(dirSrc).parts[0]!;
    const legacy = path.join(aofFixtures, 'legacy-preamble.aof');
    const exp = JSON.parse(readFileSync(`${legacy}.expected.json`, 'utf8'));
    // Flip a bit of the stored checksum (the 8 bytes before the end of the RDB).
    const dir = copyDir(dirSrc);
    const b = readFileSync(path.join(dir, base.file));
    b[b.length - 3]! ^= 0x10;
    writeFileSync(path.join(dir, base.file), b);
    const file = path.join(tempDir(), 'appendonly.aof');
    const l = readFileSync(legacy);
    l[exp.rdb_size - 3]! ^= 0x10;
    writeFileSync(file, l);
    for (const [what, input, server] of [
      ['base .rdb', dir, () => serverOnAofDir(dir)],
      ['legacy preamble', file, () => serverOnLegacyAof(file)],
    ] as const) {
      expect(redisCheckAof(input === dir ? manifestOf(dir) : file).status, what).not.toBe(0);
      expect((await server()).truth, `${what}: redis-server refuses it`).toBeNull();
      for (const cmd of ['verify', 'resp']) {
        const r = rdbkit([cmd, input]);
        expect(r.code, `${what}: rdbkit ${cmd}\n${r.stderr}`).toBe(1);
        expect(r.stderr, `${what}: rdbkit ${cmd}`).toMatch(/checksum/i);
      }
    }
  });
  it('garbage after the last command (zero bytes, as a crash with preallocated space leaves): verify = redis-check-aof, refused like redis-server', async () => {
    const src = path.join(aofFixtures, 'multipart-rdb-ts');
    const last = readAofDir(src).parts.at(-1)!;
    for (const [what, junk] of [
      ['zero bytes', Buffer.alloc(64)],
      ['a stray line', Buffer.from('hello\r\n')],
    ] as const) {
      const dir = copyDir(src);
      appendFileSync(path.join(dir, last.file), junk);
      const check = redisCheckAof(manifestOf(dir));
      expect(check.status, check.stdout).not.toBe(0);
      expect(check.last!.okUpTo).toBe(last.bytes.length);
      const server = await serverOnAofDir(dir);
      expect(server.truth, `${what}: redis-server refuses it`).toBeNull();
      const verify = rdbkit(['verify', dir]);
      const text = `${verify.stdout.toString()}${verify.stderr}`;
      expect(verify.code, `${what}\n${text}`).toBe(1);
      expect(okUpToOf(text), `${what}\n${text}`).toBe(check.last!.okUpTo);
      expect(text).toContain(last.file);
      const resp = rdbkit(['resp', dir]);
      expect(resp.code, `${what}: rdbkit resp\n${resp.stderr}`).toBe(1);
      expect(resp.stderr).toContain(last.file);
    }
  });
});
