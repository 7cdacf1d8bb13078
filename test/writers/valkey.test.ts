/**
 * A dump a real Valkey 8 server wrote (RDB 11: set listpacks, stream v3
 * with consumer active times, quicklist 2, listpack hashes and zsets,
 * `valkey-ver` aux), converted for Redis 7.0 the three ways a user would:
 * `rdbkit rdb --rdb-version 10`, `rdbkit resp --restore --target-version 10`
 * and plain `rdbkit resp --target-version 10`. A real redis-server 7.0 must
 * take each (start-up load and redis-check-rdb; `redis-cli --pipe` with zero
 * errors) and then hold what the Valkey server held: the same DEBUG DIGEST,
 * per-key DEBUG DIGEST-VALUE, PEXPIRETIMEs, values and stream metadata read
 * back through the servers' own commands, and the same function libraries.
 *
 * The Valkey server comes from Debian's bookworm-backports (valkey-server
 * 8.0); without it the suite is skipped with a loud warning, or fails with
 * RDBKIT_REQUIRE_VALKEY=1 (set by .ci/run once it has installed one).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { pipeInto, rdbkit, resetServer } from '../helpers/aof.js';
import { decodeInChunks } from '../helpers/rdb-bytes.js';
import {
  debugDigest,
  debugDigestValue,
  describeValkey,
  findExecutable,
  keyspaceDbs,
  redisCheckRdbPath,
  snapshot,
  startRedis,
  startRedisWithRdb,
  valkeyServerPath,
  type RedisHandle,
  type ServerSnapshot,
} from '../helpers/redis.js';
import { scanAllKeys, prng } from '../../scripts/shared.mjs';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-valkey-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LIBRARY = "#!lua name=vklib\nredis.register_function('vkecho', function(keys, args) return args[1] end)\n";

/** Fills the Valkey server with every type in both of its encodings, expiries, several databases, a function library. */
async function fill(c: Redis, later: number): Promise<void> {
  const rnd = prng(2026);
  const word = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join('');
  await c.call('FUNCTION', 'LOAD', LIBRARY);
  await c.select(0);
  // Strings: integer, short, long random, long compressible (LZF), binary, with an expiry.
  await c.set('s:int', '12345');
  await c.set('s:neg', '-98765432109');
  await c.set('s:short', 'hello valkey');
  await c.set('s:raw', word(300));
  await c.set('s:lzf', 'abcdefgh'.repeat(500));
  await c.set(Buffer.from('s:bin\x00\xff'), Buffer.from([0, 1, 2, 255, 254, 10, 13]));
  await c.set('s:ttl', 'expires later', 'PXAT', later);
  // Lists: a small one (one listpack node), a long one of mixed elements (many nodes).
  await c.rpush('l:small', 'a', '1', '-2', 'bcd');
  for (let i = 0; i < 3000; i += 500) await c.rpush('l:big', ...Array.from({ length: 500 }, (_, k) => ((i + k) % 3 === 0 ? String(i + k) : word(1 + ((i + k) % 40)))));
  await c.pexpireat('l:big', later + 1);
  // Sets: intset, listpack (RDB 11's set listpack), hashtable.
  await c.sadd('st:int', '1', '2', '3', '-40', '1000000');
  await c.sadd('st:lp', 'apple', 'banana', 'cherry', '7');
  await c.sadd('st:ht', ...Array.from({ length: 300 }, (_, i) => `m${i}:${word(5)}`));
  // Sorted sets: listpack and skiplist, with fractional, negative and infinite scores.
  await c.zadd('z:lp', '1.5', 'one', '-2', 'two', '3', 'three', 'inf', 'top', '-inf', 'bottom', '0.1', 'tenth');
  await c.zadd('z:sl', ...Array.from({ length: 400 }, (_, i) => [String(i * 0.37 - 50), `member:${i}:${word(3)}`]).flat());
  // Hashes: listpack and hashtable (many fields; one value past the listpack's 64 bytes).
  await c.hset('h:lp', 'f1', 'v1', 'f2', '22', 'f3', word(20));
  await c.hset('h:ht', ...Array.from({ length: 700 }, (_, i) => [`field${i}`, i % 2 ? String(i) : word(8)]).flat());
  await c.hset('h:long', 'a', word(100), 'b', 'x');
  // Streams: entries with differing fields, deletions, two groups (pending
  // entries, acks, a consumer without pending), and one emptied stream.
  for (let i = 1; i <= 600; i++) {
    const fields = i % 7 === 0 ? ['other', word(4)] : ['temp', String(20 + (i % 10)), 'city', word(6)];
    await c.xadd('x:events', `${1700000000000 + i * 10}-${i % 3}`, ...fields);
  }
  await c.xdel('x:events', '1700000000050-2', '1700000000100-1');
  await c.xgroup('CREATE', 'x:events', 'g1', '0');
  await c.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 40, 'STREAMS', 'x:events', '>');
  await c.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 25, 'STREAMS', 'x:events', '>');
  await c.xack('x:events', 'g1', '1700000000010-1', '1700000000020-2', '1700000000030-0');
  await c.xgroup('CREATE', 'x:events', 'g2', '$');
  await c.call('XGROUP', 'CREATECONSUMER', 'x:events', 'g2', 'carol');
  await c.xadd('x:empty', '5-1', 'k', 'v');
  await c.xdel('x:empty', '5-1');
  // Other databases.
  await c.select(2);
  await c.set('db2:key', 'in db 2');
  await c.rpush('db2:list', 'x', 'y');
  await c.select(9);
  await c.hset('db9:hash', 'k', 'v');
  await c.select(0);
}

/** What a server holds, as its own commands show it; `rebuilt` leaves out the consumer seen times that commands cannot set. */
async function held(server: RedisHandle, rebuilt: boolean): Promise<unknown> {
  const snap: ServerSnapshot = await snapshot(server.client, { encoding: false });
  // Scores as the doubles they are: Redis 7.0 prints them with %.17g ("0.10000000000000001"), Valkey 8 shortest ("0.1").
  for (const keys of Object.values(snap)) {
    for (const k of keys) if (k.type === 'zset') k.value = (k.value as [Buffer, string][]).map(([m, sc]): [Buffer, string] => [m, String(Number(sc))]);
  }
  return JSON.parse(
    JSON.stringify(snap, (k, v) => {
      // Consumer active times are Valkey's (and Redis 7.2's); Redis 7.0 has none.
      if (k === 'activeTime') return undefined;
      if (k === 'seenTime' && rebuilt) return undefined;
      if (v !== null && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('hex');
      return v;
    }),
  );
}

/** DEBUG DIGEST-VALUE of every key, by database. */
async function digests(server: RedisHandle): Promise<Record<string, string>> {
  const c = server.client.duplicate();
  try {
    const out: Record<string, string> = {};
    for (const db of await keyspaceDbs(c)) {
      await c.select(db);
      for (const key of await scanAllKeys(c)) out[`${db}/${key.toString('hex')}`] = await debugDigestValue(c, key);
    }
    return out;
  } finally {
    c.disconnect();
  }
}

/** The function libraries with their code. */
async function functions(server: RedisHandle): Promise<string> {
  return JSON.stringify(await server.client.call('FUNCTION', 'LIST', 'WITHCODE'));
}

/** Runs the CLI; returns stdout. */
function converted(args: string[]): Buffer {
  const r = rdbkit(args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

describeValkey('a dump a real Valkey 8 server wrote (RDB 11), converted for Redis 7.0', () => {
  let valkey: RedisHandle;
  let reference: RedisHandle;
  let target: RedisHandle;
  let dump: Buffer;
  let dumpPath: string;
  let source: { digest: string; digests: Record<string, string>; held: unknown; rebuilt: unknown; functions: string };
  /** Valkey's own digest of the data. */
  let valkeyDigest: string;

  beforeAll(async () => {
    [valkey, reference, target] = await Promise.all([startRedis({ server: valkeyServerPath! }), startRedis(), startRedis()]);
    // The same commands into Valkey 8 and into a Redis 7.0 (the reference):
    // Valkey's DEBUG DIGEST formats sorted-set scores differently, so the
    // digests a converted dump must give are the reference's.
    const later = Date.now() + 3_600_000;
    await Promise.all([fill(valkey.client, later), fill(reference.client, later)]);
    dump = await valkey.save();
    dumpPath = path.join(tmp, 'valkey8.rdb');
    writeFileSync(dumpPath, dump);
    valkeyDigest = await debugDigest(valkey.client);
    source = {
      digest: await debugDigest(reference.client),
      digests: await digests(reference),
      held: await held(valkey, false),
      rebuilt: await held(valkey, true),
      functions: await functions(valkey),
    };
  }, 60_000);

  /** The Redis 7.0 target holds the source's data: per-key and whole digests (the reference's), values, functions. */
  async function holdsTheSource(rebuilt: boolean): Promise<void> {
    expect(await digests(target)).toEqual(source.digests);
    expect(await debugDigest(target.client)).toBe(source.digest);
    expect(await held(target, rebuilt)).toEqual(rebuilt ? source.rebuilt : source.held);
    expect(await functions(target)).toBe(source.functions);
  }

  it('the reference Redis 7.0 holds what the Valkey server holds, and the digests differ only for sorted sets', async () => {
    const times = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x) => (k === 'deliveryTime' || k === 'seenTime' ? undefined : x)));
    expect(times(await held(reference, false))).toEqual(times(source.held));
    const own = await digests(valkey);
    const differ = Object.keys(own).filter((k) => own[k] !== source.digests[k]);
    expect(differ.sort()).toEqual(['0/' + Buffer.from('z:lp').toString('hex'), '0/' + Buffer.from('z:sl').toString('hex')].sort());
  });

  it('the dump is what Valkey 8 writes: RDB 11 with valkey-ver, set listpacks and stream v3; Redis 7.0 refuses it as it is', async () => {
    const version = spawnSync(valkeyServerPath!, ['--version'], { encoding: 'utf8' }).stdout;
    expect(version).toMatch(/Valkey server v=8\./);
    expect(dump.subarray(0, 9).toString('latin1')).toBe('REDIS0011');
    const events = decodeInChunks(dump, 0);
    const aux = Object.fromEntries(events.flatMap((e) => (e.type === 'aux' ? [[Buffer.from(e.name).toString(), Buffer.from(e.value as Uint8Array).toString()]] : [])));
    expect(aux['valkey-ver']).toMatch(/^8\./);
    // Type bytes: 20 set listpack and 21 stream v3 (new in RDB 11), 18 quicklist 2, 16/17 hash/zset listpack, 11 intset.
    const types = new Set(events.flatMap((e) => (e.type === 'key' ? [e.rdbType] : [])));
    expect([...types]).toEqual(expect.arrayContaining([20, 21, 18, 16, 17, 11]));
    await expect(startRedisWithRdb(dump)).rejects.toThrow(/RDB|version/i);
  });

  it('rdbkit rdb --rdb-version 10: redis-check-rdb accepts it, Redis 7.0 loads it at start-up and holds the same data', async () => {
    const out = path.join(tmp, 'for-redis-7.rdb');
    converted(['rdb', dumpPath, '-o', out, '--rdb-version', '10']);
    const written = readFileSync(out);
    expect(written.subarray(0, 9).toString('latin1')).toBe('REDIS0010');
    if (redisCheckRdbPath) expect(spawnSync(redisCheckRdbPath, [out], { encoding: 'utf8' }).stdout).toMatch(/RDB looks OK/);
    await target.restartWith(written);
    await holdsTheSource(false);
  });

  it('rdbkit resp --restore --target-version 10: zero errors, the same data', async () => {
    await resetServer(target);
    const r = pipeInto(target.port, converted(['resp', dumpPath, '--restore', '--target-version', '10']));
    expect(r.errors, r.output).toBe(0);
    await holdsTheSource(false);
  });

  it('rdbkit resp --target-version 10 (plain commands): zero errors, the same data (consumer seen times aside)', async () => {
    await resetServer(target);
    const r = pipeInto(target.port, converted(['resp', dumpPath, '--target-version', '10']));
    expect(r.errors, r.output).toBe(0);
    await holdsTheSource(true);
  });

  /**
   * `input` through `rdbkit rdb` (at its own version, to `out`) into a fresh
   * Valkey 8 loading it at start-up, then through `rdbkit resp` and `resp
   * --restore` into the same server: each time Valkey's own digest of the
   * data it was filled with, and its functions. `loaded` checks more after
   * the start-up load.
   */
  async function intoValkey(input: string, out: string, loaded?: (server: RedisHandle) => Promise<void>): Promise<void> {
    converted(['rdb', input, '-o', out]);
    const again = await startRedisWithRdb(readFileSync(out), undefined, { server: valkeyServerPath! });
    try {
      expect(await debugDigest(again.client), 'rdbkit rdb').toBe(valkeyDigest);
      await loaded?.(again);
      for (const args of [['resp', input], ['resp', '--restore', input]]) {
        await resetServer(again);
        const r = pipeInto(again.port, converted(args));
        expect(r.errors, `${args.join(' ')}: ${r.output}`).toBe(0);
        expect(await debugDigest(again.client), args.join(' ')).toBe(valkeyDigest);
        expect(await functions(again), args.join(' ')).toBe(source.functions);
      }
    } finally {
      await again.stop();
    }
  }

  it('at its own version, rdbkit rdb and rdbkit resp give Valkey 8 back the same data', async () => {
    const out = path.join(tmp, 'same-version.rdb');
    await intoValkey(dumpPath, out, async (server) => {
      expect(readFileSync(out).subarray(0, 9).toString('latin1')).toBe('REDIS0011');
      const check = findExecutable('valkey-check-rdb');
      if (check) expect(spawnSync(check, [out], { encoding: 'utf8' }).stdout).toMatch(/RDB looks OK/);
      expect(await held(server, false)).toEqual(source.held);
    });
  });

  it('the other way: the Redis 7.0 dump of the same data, through rdbkit rdb and resp, gives Valkey 8 the same data', async () => {
    const file = path.join(tmp, 'redis7.rdb');
    writeFileSync(file, await reference.save());
    await intoValkey(file, path.join(tmp, 'redis7-again.rdb'));
  });
});
