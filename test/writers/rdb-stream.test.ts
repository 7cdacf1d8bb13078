/**
 * Large lists, sets, sorted sets and hashes stream through the RDB writer:
 * with the element count (or a quicklist's node count) known at `keyStart`,
 * the header goes out first and the elements follow chunk by chunk (output
 * leaves before the value ends).
 * Judged by redis-server 7.0: it loads every output with the source's
 * `DEBUG DIGEST`, and redis-check-rdb accepts it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it, expect, beforeAll, afterAll } from 'vitest';
import { decodeInChunks, skipStr, writeRdb } from '../helpers/rdb-bytes.js';
import { describeRedis, startRedis, startRedisWithRdb, debugDigest, redisCheckRdbPath, type RedisHandle } from '../helpers/redis.js';
import { RdbWriter } from '../../src/writers/rdb.js';
import type { KeyEvent, KeyStartEvent, RdbEvent } from '../../src/events.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-rdbstream-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Small decoder chunks, so that every collection below arrives as keyStart/keyChunk/keyEnd. */
const CHUNK = 4096;
const N = 6000;

async function populate(c: RedisHandle['client']): Promise<void> {
  const big = 'x'.repeat(20000);
  const el = (i: number): string => (i % 3 === 0 ? String(i - 3000) : i % 1000 === 7 ? big + i : `el:${i}:${'y'.repeat(i % 50)}`);
  for (let i = 0; i < N; i += 500) {
    const part = Array.from({ length: 500 }, (_, j) => i + j);
    await c.rpush('list', ...part.map(el));
    await c.sadd('set', ...part.map((j) => `m${el(j)}`));
    await c.zadd('zset', ...part.flatMap((j) => [j === 1 ? 'inf' : j === 2 ? '-inf' : String((j * 7919) % 1000 / 7 - 50), `z${el(j)}`]));
    await c.hset('hash', ...part.flatMap((j) => [`f${j}`, el(j)]));
  }
  await c.pexpireat('zset', 4102444800000);
  await c.pexpireat('hash', 4102444800123);
  // Elements LZF cannot shrink: re-encoded nodes take their full size in the output.
  let seed = 7;
  const noise = (): string => {
    let t = '';
    for (let k = 0; k < 48; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      t += (seed >>> 27).toString(32);
    }
    return t;
  };
  for (let i = 0; i < 4000; i += 500) await c.rpush('noise-list', ...Array.from({ length: 500 }, noise));
  await c.select(2);
  await c.sadd('intset-big', ...Array.from({ length: 2000 }, (_, i) => String(i * 3)));
  await c.select(0);
}

describeRedis('large values stream into the RDB writer', () => {
  let source: RedisHandle;
  let rdb: Buffer;
  let digest: string;
  beforeAll(async () => {
    source = await startRedis();
    await populate(source.client);
    rdb = await source.save();
    digest = await debugDigest(source.client);
  }, 60000);
  afterAll(async () => source?.stop());

  async function judge(out: Uint8Array, name: string): Promise<void> {
    const file = path.join(tmp, name);
    writeFileSync(file, out);
    if (redisCheckRdbPath) expect(spawnSync(redisCheckRdbPath, [file]).stdout.toString()).toMatch(/RDB looks OK/);
    const target = await startRedisWithRdb(out);
    try {
      expect(await debugDigest(target.client)).toBe(digest);
    } finally {
      await target.stop();
    }
  }

  /** The LEN after a key's type byte and name: a quicklist's node count, read from the bytes. */
  const firstLen = (file: Uint8Array, name: string): number => {
    const ev = decodeInChunks(file, 0).find((e) => (e.type === 'key' || e.type === 'keyStart') && Buffer.from(e.key).toString() === name) as KeyEvent | KeyStartEvent;
    const at = skipStr(file, ev.offset + 1);
    const c = file[at]!;
    if (c >> 6 === 0) return c & 0x3f;
    if (c >> 6 === 1) return ((c & 0x3f) << 8) | file[at + 1]!;
    if (c === 0x80) return new DataView(file.buffer, file.byteOffset).getUint32(at + 1, false);
    throw new Error(`unexpected LEN byte ${c}`);
  };

  const types = (file: Uint8Array): Record<string, number> =>
    Object.fromEntries(decodeInChunks(file, 0).filter((e): e is KeyEvent => e.type === 'key').map((k) => [Buffer.from(k.key).toString(), k.rdbType]));

  for (const [version, want] of [
    [10, { list: 18, set: 2, zset: 5, hash: 4 }],
    [9, { list: 14, set: 2, zset: 5, hash: 4 }],
    [7, { list: 14, set: 2, zset: 3, hash: 4 }],
    [6, { list: 1, set: 2, zset: 3, hash: 4 }],
  ] as const) {
    it(`as RDB ${version}`, async () => {
      const evs = decodeInChunks(rdb, 65536, { chunkBytes: CHUNK });
      const started = evs.filter((e): e is KeyStartEvent => e.type === 'keyStart').map((e) => Buffer.from(e.key).toString());
      expect(started.sort()).toEqual(['hash', 'intset-big', 'list', 'noise-list', 'set', 'zset']);
      const out = writeRdb(evs, { version });
      expect(types(out)).toMatchObject(want);
      if (version >= 7) {
        // The source's quicklist goes out as the same number of nodes, streamed.
        const start = evs.find((e): e is KeyStartEvent => e.type === 'keyStart' && Buffer.from(e.key).toString() === 'list')!;
        expect(start.nodes).toBe(firstLen(rdb, 'list'));
        expect(firstLen(out, 'list')).toBe(start.nodes);
      }
      await judge(out, `v${version}.rdb`);
    });
  }

  it('a list whose count the source states (type 1) goes out as quicklist nodes of a fixed count', async () => {
    const plain = writeRdb(decodeInChunks(rdb, 0), { version: 6 });
    const evs = decodeInChunks(plain, 65536, { chunkBytes: CHUNK });
    const start = evs.find((e): e is KeyStartEvent => e.type === 'keyStart' && Buffer.from(e.key).toString() === 'list')!;
    expect([start.rdbType, start.length]).toEqual([1, N]);
    const out = writeRdb(evs, { version: 10 });
    expect(types(out).list).toBe(18);
    await judge(out, 'list-v1-to-v10.rdb');
  });

  it('writes the elements as they come: output leaves before the value ends', () => {
    const evs = decodeInChunks(rdb, 65536, { chunkBytes: CHUNK });
    for (const name of ['noise-list', 'set', 'zset', 'hash']) {
      const at = evs.findIndex((e) => e.type === 'keyStart' && Buffer.from(e.key).toString() === name);
      const w = new RdbWriter({ version: 10 });
      w.write(evs[0]!);
      w.take();
      let out = 0;
      let i = at;
      for (; out === 0 && evs[i]!.type !== 'keyEnd'; i++) {
        w.write(evs[i] as RdbEvent);
        out += w.take().reduce((n, c) => n + c.length, 0);
      }
      expect(evs[i]!.type, name).not.toBe('keyEnd');
      expect(out, name).toBeGreaterThan(0);
    }
  });
});
