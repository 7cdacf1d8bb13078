/**
 * `--no-modules`: a target server without the modules of a dump's module
 * values. Judged by redis-server 7.0, which has none loaded: the RESTORE of a
 * module value is an error there, so without the flag `redis-cli --pipe`
 * reports one; with `--no-modules` rdbkit refuses (naming the key) unless
 * `--lossy`, and then the output loads with zero errors and every other key.
 * The same for `rdbkit rdb`, whose output redis-server 7.0 then loads at
 * start-up (it refuses the original). Module aux data, which no command
 * carries, is reported rather than lost quietly.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';
import { describeRedis, startRedis, startRedisWithRdb } from '../helpers/redis.js';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/rdbkit.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-modules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function rdbkit(args: string[]): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { maxBuffer: 1 << 26 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

// A Redis 4.0 dump with a ReJSON value ("foo") and one plain string key.
const withModule = corpusDir === null ? null : path.join(corpusDir, 'redis-rdb-tools', 'redis_40_with_module.rdb');
// A dump whose only module content is aux data.
const withAux = corpusDir === null ? null : path.join(corpusDir, 'redis-rdb-tools', 'redis_60_with_module_aux.rdb');

describe.skipIf(withModule === null)('--no-modules refuses, or with --lossy drops and reports', () => {
  it('resp and rdb name the key and exit 1; with --lossy they report the drop', () => {
    for (const cmd of [['resp'], ['rdb', '-o', path.join(tmp, 'x.rdb')]]) {
      const refused = rdbkit([...cmd, '--no-modules', withModule!]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/a value of module ReJSON-RL: the target has no modules.*key "foo".*\[OUTPUT\]/);
      const lossy = rdbkit([...cmd, '--no-modules', '--lossy', withModule!]);
      expect(lossy.code).toBe(0);
      expect(lossy.stderr).toMatch(/dropped a value of module ReJSON-RL \(db 0, key "foo"\)/);
      expect(lossy.stderr).toMatch(/1 item\(s\) dropped\n/);
    }
  });

  it('module aux data is reported by resp, which cannot carry it', () => {
    const r = rdbkit(['resp', withAux!]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/module aux data of \S+: RESP commands cannot carry it/);
    expect(rdbkit(['resp', '--lossy', withAux!]).code).toBe(0);
  });
});

describeRedis('a server without modules loads what --no-modules --lossy writes', () => {
  it.skipIf(withModule === null)('resp: without the flag the RESTORE fails there; with it, zero errors and the other keys', async () => {
    const plainKeys = rdbkit(['json', withModule!]).stdout.toString().split('\n').filter((l) => l !== '' && !l.includes('"type":"module"'));
    expect(plainKeys.length).toBeGreaterThan(0);
    const server = await startRedis();
    try {
      const pipe = (resp: Buffer): string => spawnSync('redis-cli', ['-p', String(server.port), '--pipe'], { input: resp }).stdout.toString();
      expect(pipe(rdbkit(['resp', withModule!]).stdout)).toMatch(/errors: [1-9]/);
      await server.client.flushall();
      const out = rdbkit(['resp', '--no-modules', '--lossy', withModule!]);
      expect(pipe(out.stdout)).toMatch(/errors: 0, replies: \d+/);
      expect(await server.client.dbsize()).toBe(plainKeys.length);
      expect(await server.client.exists('foo')).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it.skipIf(withModule === null)('rdb: redis-server refuses the original at start-up and loads the --no-modules --lossy output', async () => {
    await expect(startRedisWithRdb(readFileSync(withModule!))).rejects.toThrow();
    const out = path.join(tmp, 'nomod.rdb');
    expect(rdbkit(['rdb', '--no-modules', '--lossy', withModule!, '-o', out]).code).toBe(0);
    const server = await startRedisWithRdb(readFileSync(out));
    try {
      const want = rdbkit(['json', out]).stdout.toString().split('\n').filter((l) => l !== '').length;
      expect(await server.client.dbsize()).toBe(want);
      expect(await server.client.exists('foo')).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
