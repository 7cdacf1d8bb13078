/**
 * Smoke test of the real-server helpers: a server starts, saves an RDB 10
 * dump that redis-check-rdb accepts, and reloading that dump gives back the
 * same data (snapshot and DEBUG DIGEST). Also checks that every fixture in
 * fixtures/ loads into the installed server with the DEBUG DIGEST, keys,
 * types and expiries its expected file records.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  debugDigest,
  debugDigestValue,
  describeRedis,
  redisCheckRdbPath,
  RedisStartError,
  snapshot,
  startRedis,
  startRedisWithRdb,
  requireValkeyOrSkip,
  valkeyServerPath,
  type RedisHandle,
} from './redis.js';
import { repoRoot } from './corpus.js';

const fixturesDir = path.join(repoRoot, 'fixtures');
const fixtureFiles = readdirSync(fixturesDir).filter((f) => f.endsWith('.rdb'));

describeRedis('real redis-server helpers', () => {
  let redis: RedisHandle;
  let dump: Buffer;
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-smoke-'));
    redis = await startRedis({ config: { 'list-max-listpack-size': '4' } });
  });
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('starts on a loopback port with DEBUG enabled and persistence off', async () => {
    expect(redis.port).toBeGreaterThan(0);
    expect(await redis.client.ping()).toBe('PONG');
    expect(await redis.client.config('GET', 'save')).toEqual(['save', '']);
    expect(await redis.client.config('GET', 'list-max-listpack-size')).toEqual(['list-max-listpack-size', '4']);
    expect(await debugDigest(redis.client)).toMatch(/^0{40}$/);
  });

  it('saves an RDB 10 dump', async () => {
    const c = redis.client;
    await c.set('str', 'hello');
    await c.set(Buffer.from([0xff, 0x00, 0xfe]), Buffer.from([0x80, 0x81]));
    await c.rpush('list', 'a', 'b', 'c', '1', '2', '3');
    await c.sadd('set', '3', '1', '2');
    await c.zadd('zset', '1.5', 'x', '-inf', 'y');
    await c.hset('hash', 'f1', 'v1', 'f2', 'v2');
    await c.xadd('stream', '1-1', 'k', 'v');
    await c.xgroup('CREATE', 'stream', 'g', '0');
    await c.xreadgroup('GROUP', 'g', 'alice', 'STREAMS', 'stream', '>');
    await c.pexpireat('str', 4102444800000);
    await c.select(3);
    await c.set('in-db-3', '42');
    await c.select(0);
    dump = await redis.save();
    expect(dump.subarray(0, 9).toString('latin1')).toBe('REDIS0010');
  });

  it('redis-check-rdb accepts the saved file', () => {
    expect(redisCheckRdbPath, 'redis-check-rdb not found next to redis-server or on PATH').not.toBeNull();
    const file = path.join(tmp, 'smoke.rdb');
    writeFileSync(file, dump);
    const res = spawnSync(redisCheckRdbPath!, [file], { encoding: 'utf8', timeout: 30_000 });
    expect(res.status, `${res.stdout}\n${res.stderr}`).toBe(0);
    expect(res.stdout).toMatch(/RDB looks OK/);
  });

  it('reloads the dump with the same snapshot and DEBUG DIGEST', async () => {
    const before = await snapshot(redis.client);
    const digest = await debugDigest(redis.client);
    const strDigest = await debugDigestValue(redis.client, 'str');
    expect(Object.keys(before)).toEqual(['0', '3']);
    expect(before[0]!.map((k) => k.key)).toHaveLength(7);
    const str = before[0]!.find((k) => k.key.equals(Buffer.from('str')))!;
    expect(str).toMatchObject({ type: 'string', encoding: 'embstr', pexpiretime: 4102444800000 });
    expect(digest).not.toMatch(/^0+$/);

    await redis.client.flushall();
    expect(await debugDigest(redis.client)).toMatch(/^0+$/);
    await redis.restartWith(dump);

    expect(await snapshot(redis.client)).toEqual(before);
    expect(await debugDigest(redis.client)).toBe(digest);
    expect(await debugDigestValue(redis.client, 'str')).toBe(strDigest);
  });

  it('startRedisWithRdb loads a dump, and reports the log when the server refuses one', async () => {
    const other = await startRedisWithRdb(dump);
    expect(await debugDigest(other.client)).toBe(await debugDigest(redis.client));
    await other.stop();

    const corrupt = Buffer.from(dump);
    corrupt[corrupt.length - 1]! ^= 0xff; // break the CRC-64 trailer
    const err = await startRedisWithRdb(corrupt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisStartError);
    expect((err as RedisStartError).log).toMatch(/checksum|CRC/i);
  });

  it.each(fixtureFiles)('fixture %s loads into the server that wrote it with its recorded DEBUG DIGEST', async (file) => {
    const expected = JSON.parse(readFileSync(path.join(fixturesDir, `${file}.expected.json`), 'utf8'));
    // valkey-8.0.rdb is RDB 11, which redis-server 7.0 refuses: it goes back into a Valkey server.
    const valkey = String(expected.origin.server).startsWith('valkey-server');
    if (valkey && !requireValkeyOrSkip()) return;
    const server = await startRedisWithRdb(readFileSync(path.join(fixturesDir, file)), undefined, valkey ? { server: valkeyServerPath! } : {});
    try {
      expect(await debugDigest(server.client)).toBe(expected.digest);
      const snap = await snapshot(server.client, { encoding: false });
      const dbs = Object.keys(expected.dbs);
      expect(Object.keys(snap)).toEqual(dbs);
      for (const db of dbs) {
        const want = Object.entries<{ type: string; expire_ms: number | null }>(expected.dbs[db].keys)
          .map(([k, r]) => ({
            key: k.startsWith('hex:') ? Buffer.from(k.slice(4), 'hex').toString('hex') : Buffer.from(k).toString('hex'),
            type: r.type,
            pexpiretime: r.expire_ms,
          }))
          .sort((a, b) => a.key.localeCompare(b.key));
        const got = snap[Number(db)]!.map((k) => ({ key: k.key.toString('hex'), type: k.type, pexpiretime: k.pexpiretime }));
        expect(got).toEqual(want);
      }
    } finally {
      await server.stop();
    }
  });
});

