/**
 * AOF directories written during the test by redis-server 7.0, for what the
 * committed fixtures cannot hold: a manifest with quoted file names
 * (`appendfilename` with spaces and quotes), and values far above the
 * streaming thresholds (a multi-MiB string, lists/hashes/zsets with tens of
 * thousands of elements) in the base and as single huge commands in the
 * INCR part, whole and cut inside a huge bulk. Truth: the writing server's
 * DEBUG DIGEST / DIGEST-VALUE / functions; redis-check-aof; what redis-server
 * loads from the cut directory. And `rdbkit rdb` on a directory right after
 * a rewrite (its RDB base is all its data), judged by the server that loads
 * the RDB it writes.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { readAofDir, splitResp } from '../../scripts/make-aof-fixtures.mjs';
import {
  expectRespGives,
  expectVerifyAgrees,
  manifestOf,
  rdbkit,
  redisCheckAof,
  serverOnAofDir,
  type ServerTruth,
  serverTruth,
  tempDir,
  truthOfServer,
  useLoadTarget,
} from '../helpers/aof.js';
import { describeRedis, startRedisPrepared, startRedisWithRdb, type RedisHandle } from '../helpers/redis.js';
import { FIXTURES } from '../../scripts/make-fixtures.mjs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rewrite(server: RedisHandle): Promise<void> {
  const c = server.client;
  await c.call('BGREWRITEAOF');
  for (let i = 0; i < 1000; i++) {
    const info = await c.info('persistence');
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) {
      expect(info).toMatch(/aof_last_bgrewrite_status:ok/);
      return;
    }
    await sleep(20);
  }
  throw new Error('rewrite did not finish');
}

/** Runs a server with appendonly, lets `write` fill it (with a rewrite in between), returns a copy of its AOF dir and its truth. */
async function liveDir(
  config: Record<string, string>,
  before: (s: RedisHandle) => Promise<void>,
  after: (s: RedisHandle) => Promise<void>,
): Promise<{ dir: string; truth: ServerTruth }> {
  const server = await startRedisPrepared(() => {}, {
    config: { appendonly: 'yes', appendfsync: 'always', 'auto-aof-rewrite-percentage': '0', ...config },
  });
  try {
    await before(server);
    await rewrite(server);
    await after(server);
    const truth = await serverTruth(server.client);
    const dir = path.join(tempDir(), 'aofdir');
    cpSync(path.join(server.dir, 'appendonlydir'), dir, { recursive: true });
    return { dir, truth };
  } finally {
    await server.stop();
  }
}

describeRedis('AOF directories written during the test', () => {
  const target = useLoadTarget();

  it('appendfilename with spaces and quotes: the manifest quotes the names; rdbkit reads them', async () => {
    const { dir, truth } = await liveDir(
      { appendfilename: 'my "odd" name.aof' },
      async (s) => {
        await s.client.call('SET', 'a', '1');
        await s.client.call('RPUSH', 'l', 'x', 'y');
      },
      async (s) => {
        await s.client.call('SET', 'b', '2');
        await s.client.call('HSET', 'h', 'f', 'v');
      },
    );
    const files = readdirSync(dir);
    expect(files.sort()).toEqual(['my "odd" name.aof.2.base.rdb', 'my "odd" name.aof.2.incr.aof', 'my "odd" name.aof.manifest']);
    expect(readFileSync(manifestOf(dir), 'utf8')).toContain('file "my \\"odd\\" name.aof.2.base.rdb" seq 2 type b');
    expect(redisCheckAof(manifestOf(dir)).status).toBe(0);
    const v = rdbkit(['verify', dir]);
    expect(v.code, v.stderr).toBe(0);
    await expectRespGives(target(), ['resp', dir], truth, 'quoted names');
  });

  it('huge values in the base and huge single commands in the INCR part; then cut inside the huge bulk', { timeout: 60_000 }, async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 9)) & 0xff;
    const many = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);
    const { dir, truth } = await liveDir(
      {},
      async (s) => {
        const c = s.client;
        await c.call('SET', 'big:base', big);
        await c.call('RPUSH', 'list:base', ...many(30000, 'e'));
        const h: string[] = [];
        for (let i = 0; i < 20000; i++) h.push(`f${i}`, `v${i}`);
        await c.call('HSET', 'hash:base', ...h);
        const z: string[] = [];
        for (let i = 0; i < 20000; i++) z.push(String(i / 7), `m${i}`);
        await c.call('ZADD', 'zset:base', ...z);
        await c.call('SADD', 'set:base', ...many(20000, 's'));
      },
      async (s) => {
        const c = s.client;
        await c.call('SET', 'big:incr', big.subarray(5));
        await c.call('RPUSH', 'list:incr', ...many(25000, 'i'));
        await c.call('SET', 'small:after', 'x');
      },
    );
    for (const args of [['resp', dir], ['resp', '--restore', dir]]) await expectRespGives(target(), args, truth, args.join(' '));
    const last = readAofDir(dir).parts.at(-1)!;
    const bigCmd = splitResp(last.bytes).commands.find((c) => c.args[1]?.toString() === 'big:incr')!;
    for (const k of [bigCmd.offset + 40, bigCmd.offset + 2_000_000, bigCmd.end - 1]) {
      const cut = path.join(tempDir(), 'aofdir');
      cpSync(dir, cut, { recursive: true });
      truncateSync(path.join(cut, last.file), k);
      const check = redisCheckAof(manifestOf(cut));
      expect(check.status).toBe(1);
      expectVerifyAgrees(cut, check, `cut at ${k}`);
      const server = await serverOnAofDir(cut);
      expect(server.truth, server.log).not.toBeNull();
      await expectRespGives(target(), ['resp', cut], server.truth!, `cut at ${k}`);
    }
  });

  it('rdbkit rdb converts a directory right after a rewrite (RDB base, empty increment); the first command stops it, naming where', async () => {
    const fx = FIXTURES.find((f: { file: string }) => f.file === 'encodings-7.0.rdb')!;
    const { dir, truth } = await liveDir(fx.config ?? {}, (s) => fx.populate(s.client), async () => {});
    const incr = readdirSync(dir).find((f) => f.endsWith('.incr.aof'))!;
    expect(statSync(path.join(dir, incr)).size, 'the increment after a rewrite').toBe(0);
    const out = path.join(tempDir(), 'from-aof.rdb');
    const r = rdbkit(['rdb', dir, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const loaded = await truthOfServer(startRedisWithRdb(readFileSync(out), fx.config));
    expect(loaded.truth).toEqual(truth);

    // One write after the rewrite: its command is in the increment.
    const later = await liveDir({}, async (s) => void (await s.client.call('SET', 'a', '1')), async (s) => void (await s.client.call('SET', 'b', '2')));
    const out2 = path.join(tempDir(), 'refused.rdb');
    const refused = rdbkit(['rdb', later.dir, '-o', out2]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/commands after its RDB data, the first at offset 0 of appendonly\.aof\.\d+\.incr\.aof/);
    expect(existsSync(out2), 'no partial file').toBe(false);
  });
});
