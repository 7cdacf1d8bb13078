/**
 * Dumps newer than the server: every corpus dump a Redis 7.0 cannot load
 * (RDB 11 and 12 from Redis 7.2–7.4, VALKEY080 from Valkey 9) is converted for
 * it the three ways a user would — `rdbkit rdb --rdb-version 10`, `rdbkit resp
 * --restore --target-version 10` and plain `rdbkit resp` — and a real
 * redis-server 7.0 must take each (start-up load, `redis-cli --pipe` with zero
 * errors, redis-check-rdb). What the server then holds, read back from its own
 * SAVE, must be the source's keys, less only what 7.0 cannot hold (field TTLs,
 * module values without the module, consumer active times, keys already
 * expired), and the RDB and RESTORE routes must give the same DEBUG DIGEST.
 *
 * The corpus's RDB 11 dumps carry the encodings a Valkey 8 server writes
 * (set listpack, stream v3, quicklist 2, listpack hash and zset);
 * valkey.test.ts converts a dump a real Valkey 8 server wrote.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pipeInto, rdbkit, resetServer } from '../helpers/aof.js';
import { corpusDir } from '../helpers/corpus.js';
import { decodableDumps, decodeInChunks, hex, logical } from '../helpers/rdb-bytes.js';
import { describeRedis, debugDigest, redisCheckRdbPath, startRedis, type RedisHandle } from '../helpers/redis.js';
import { crc64 } from '../../src/rdb/crc64.js';
import type { FunctionEvent, KeyEvent, RdbEvent, StreamValue } from '../../src/events.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-newer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const newer = corpusDir === null ? [] : decodableDumps().filter((d) => d.header.magic === 'VALKEY' || d.header.version > 10);

/**
 * A real RDB 11 dump laid out as a Valkey 8 cluster node writes it (format.md
 * 1 and 2.6): `valkey-ver` instead of `redis-ver`, and a `slot-info` AUX record
 * inside the keyspace before keys. Built here by splicing the file's own
 * bytes (records start at a key's offset when it has no expiry/LRU/LFU
 * prefix), with a new CRC-64.
 */
function valkeyShaped(d: (typeof newer)[number]): { name: string; path: string; bytes: Uint8Array } {
  const aux = (name: string, value: string): number[] => [0xfa, name.length, ...Buffer.from(name), value.length, ...Buffer.from(value)];
  const evs = d.events;
  const firstBody = evs.find((e) => e.type !== 'header' && e.type !== 'aux')!.offset;
  const eof = evs.find((e) => e.type === 'eof')!.offset;
  const out: number[] = [...Buffer.from('REDIS0011'), ...aux('valkey-ver', '8.0.2'), ...aux('redis-bits', '64'), ...aux('ctime', '1733300000'), ...aux('aof-base', '0')];
  let at = firstBody;
  let slot = 0;
  for (const e of evs) {
    if (e.type !== 'key' || e.expireAt !== null || e.lruIdle !== null || e.lfuFreq !== null) continue;
    out.push(...d.bytes.subarray(at, e.offset), ...aux('slot-info', `${slot++ * 97},1,0`));
    at = e.offset;
  }
  out.push(...d.bytes.subarray(at, eof), 0xff);
  const crc = crc64(new Uint8Array(out));
  for (let i = 0n; i < 64n; i += 8n) out.push(Number((crc >> i) & 0xffn));
  const file = path.join(tmp, 'valkey8-shaped.rdb');
  writeFileSync(file, new Uint8Array(out));
  return { name: `${d.name}, as Valkey 8 writes it`, path: file, bytes: new Uint8Array(out) };
}
const shapedFrom = newer.find((d) => d.name === 'redis-replicator/dumpV11.rdb');
const dumps = [...newer, ...(shapedFrom ? [valkeyShaped(shapedFrom)] : [])].map((d) => ({ ...d, header: decodeInChunks(d.bytes, 0)[0] as { magic: string; version: number } }));

/** Runs the CLI; returns stdout, after checking that every stderr line reports a drop. */
function converted(args: string[]): Buffer {
  const r = rdbkit(args);
  expect(r.code, r.stderr).toBe(0);
  for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^rdbkit: (dropped|\d+ item\(s\) dropped)/);
  return r.stdout;
}

const num = (v: number | bigint | null): number | null => (v === null ? null : Number(v));

/**
 * A key as a Redis 7.0 holds it after loading: no LRU/LFU (the test servers
 * evict nothing, so SAVE writes none), no field TTLs, no consumer active
 * time, zset members in score order; `plain` also leaves out what commands
 * cannot rebuild (consumer seen times, pending entries whose stream entry is
 * gone).
 */
function held(ev: KeyEvent, plain: boolean): unknown {
  const k = { ...ev, lruIdle: null, lfuFreq: null, expireAt: num(ev.expireAt) } as KeyEvent;
  if (k.dataType === 'hash') k.fieldExpireAt = null;
  // Skiplist zsets are stored highest score first, listpacks lowest first: compare in score order.
  // A -0 score becomes 0 when Redis 7.0 turns a small zset into a listpack at load (seen here:
  // ZSCORE gives "0" after loading a type-5 zset whose file holds -0, "-0" with zset-max-listpack-entries 0).
  if (k.dataType === 'zset') {
    k.value = k.value.map(([m, s]) => [m, s === 0 ? 0 : s] as [Uint8Array, number]);
    k.value.sort((a, b) => a[1] - b[1] || Buffer.compare(a[0], b[0]));
  }
  if (k.dataType === 'stream') {
    const s = k.value as StreamValue;
    const ids = new Set(s.entries.map((e) => `${e.id.ms}-${e.id.seq}`));
    const kept = (id: { ms: number | bigint; seq: number | bigint }): boolean => !plain || ids.has(`${id.ms}-${id.seq}`);
    k.value = {
      ...s,
      nodes: 0,
      groups: s.groups.map((g) => ({
        ...g,
        pending: g.pending.filter((p) => kept(p.id)),
        consumers: g.consumers.map((c) => ({ ...c, activeTime: null, seenTime: plain ? 0 : c.seenTime, pending: c.pending.filter(kept) })),
      })),
    };
  }
  return plainData(logical(k));
}

/** Bytes as hex and bigints as decimal text, so that Buffers and Uint8Arrays (and 5n and 5) compare equal. */
function plainData(v: unknown): unknown {
  if (v instanceof Uint8Array) return hex(v);
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plainData);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainData(x)]));
  return v;
}

/** Keys (by db and key) and function libraries of an RDB, as `held` shows them. */
function contents(events: RdbEvent[], plain: boolean, now: number): { keys: Record<string, unknown>; functions: string[] } {
  const keys: Record<string, unknown> = {};
  const functions: string[] = [];
  for (const ev of events) {
    if (ev.type === 'function') functions.push(Buffer.from((ev as FunctionEvent).code).toString('latin1'));
    if (ev.type !== 'key' || ev.dataType === 'module') continue;
    if (ev.expireAt !== null && Number(ev.expireAt) <= now) continue;
    keys[`${ev.db}/${hex(ev.key)}`] = held(ev, plain);
  }
  return { keys, functions: functions.sort() };
}

describeRedis('dumps newer than Redis 7.0, converted for it, load with the same keys', () => {
  let rdbServer: RedisHandle;
  let pipeServer: RedisHandle;
  beforeAll(async () => {
    [rdbServer, pipeServer] = await Promise.all([startRedis(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([rdbServer?.stop(), pipeServer?.stop()]);
  });

  /** Empties the pipe server, pipes `resp` into it (zero errors) and returns its SAVE and digest. */
  async function pipe(resp: Buffer): Promise<{ rdb: Buffer; digest: string }> {
    await resetServer(pipeServer);
    const r = pipeInto(pipeServer.port, resp);
    expect(r.errors, r.output).toBe(0);
    return { rdb: await pipeServer.save(), digest: await debugDigest(pipeServer.client) };
  }

  it.runIf(corpusDir !== null)('the corpus has such dumps', () => {
    expect(dumps.length).toBeGreaterThan(30);
    expect(shapedFrom, 'the RDB 11 dump with a set listpack and a stream v3').toBeDefined();
    const shaped = dumps.at(-1)!;
    const auxNames = decodeInChunks(shaped.bytes, 0).flatMap((e) => (e.type === 'aux' ? [Buffer.from(e.name).toString()] : []));
    expect(auxNames.filter((n) => n === 'slot-info').length).toBeGreaterThan(1);
  });

  for (const d of dumps) {
    it(`${d.name} (${d.header.magic} ${d.header.version})`, async () => {
      const source = decodeInChunks(d.bytes, 0, { verifyChecksum: false });
      const now = Date.now();

      const out = path.join(tmp, `${d.name.replace(/\W/g, '_')}.rdb`);
      converted(['rdb', d.path, '-o', out, '--rdb-version', '10', '--lossy', '--no-modules']);
      const written = readFileSync(out);
      expect(written.subarray(0, 9).toString()).toBe('REDIS0010');
      if (redisCheckRdbPath) {
        const check = spawnSync(redisCheckRdbPath, [out]);
        expect(check.stdout.toString(), check.stdout.toString()).toMatch(/RDB looks OK/);
      }
      await rdbServer.restartWith(written);
      const fromRdb = await rdbServer.save();
      const rdbDigest = await debugDigest(rdbServer.client);

      const restore = await pipe(converted(['resp', d.path, '--restore', '--target-version', '10', '--lossy', '--no-modules']));
      const want = contents(source, false, now);
      expect(contents(decodeInChunks(fromRdb, 0), false, now), 'loaded from rdbkit rdb').toEqual(want);
      expect(contents(decodeInChunks(restore.rdb, 0), false, now), 'RESTOREd').toEqual(want);
      expect(restore.digest, 'RESTORE route digest').toBe(rdbDigest);

      const plain = await pipe(converted(['resp', d.path, '--target-version', '10', '--lossy', '--no-modules']));
      expect(contents(decodeInChunks(plain.rdb, 0), true, now), 'rebuilt by commands').toEqual(contents(source, true, now));
    });
  }
});
