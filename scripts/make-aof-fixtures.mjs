#!/usr/bin/env node
/**
 * make-aof-fixtures.mjs — writes the AOF fixtures in fixtures/aof/ with a real
 * redis-server 7.0 (`appendonly yes`), and next to each one
 * `<name>.expected.json`: what the SERVER held when the files were closed
 * (DEBUG DIGEST, per-key DEBUG DIGEST-VALUE, key counts per db, FUNCTION
 * LIST) and what an independent, tiny RESP splitter in this script counts in
 * each part (commands, `#TS:` annotations) — never through rdbkit.
 *
 *   node scripts/make-aof-fixtures.mjs          # needs redis-server 7.0.x, redis-check-aof
 *
 * Layouts (see fixtures/aof/README.md):
 *
 * - multipart-rdb-ts/  — a Redis 7 `appendonlydir`: RDB base (default
 *   preamble), two INCR parts (the second one opened by a rewrite that was
 *   killed, as Redis leaves it), `aof-timestamp-enabled yes`.
 * - multipart-resp-ts/ — the same with `aof-use-rdb-preamble no` (RESP
 *   `.base.aof`), two INCR parts, timestamps on.
 * - multipart-rdb/     — RDB base and one INCR part, no timestamps.
 * - legacy-preamble.aof — one file: the base .rdb of multipart-rdb followed
 *   by its INCR bytes, as Redis 4–6 wrote an RDB-preamble AOF. Its expected
 *   digest is what redis-server 7.0 holds after loading (upgrading) it.
 *
 * Data is driven by a seeded PRNG; runs differ in `#TS` values, stream
 * consumer seen-times and the RDB's ctime/used-mem AUX fields.
 *
 * The functions exported here are also used by the tests (test/aof/) to make
 * fresh directories at test time and to split RESP independently.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchRedis, prng, scanAllKeys, writeRedisConf } from './shared.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, 'fixtures', 'aof');
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
export const REDIS_CHECK_AOF = process.env.REDIS_CHECK_AOF ?? 'redis-check-aof';

/** 2100-01-01T00:00:00Z in Unix ms: far-future TTLs that never fire. */
const Y2100 = 4102444800000;
/** Base of stream IDs and delivery times. */
const T0 = 1700000000000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Independent RESP splitter (deliberately tiny; mirrors redis-check-aof)

/**
 * Splits a plain AOF (RESP multi-bulk commands and `#` annotation lines)
 * starting at `start`. Returns the complete commands and annotations, and
 * `okUpTo`: the end of the last complete command outside MULTI (the
 * redis-check-aof rule), `error` when it stopped early.
 */
export function splitResp(buf, start = 0) {
  const commands = [];
  const annotations = [];
  let pos = start;
  let okUpTo = start;
  let multi = 0;
  let error = null;
  const readLine = () => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0 || nl === pos || buf[nl - 1] !== 0x0d) return null;
    const line = buf.subarray(pos, nl - 1).toString('latin1');
    pos = nl + 1;
    return line;
  };
  outer: while (pos < buf.length) {
    const cmdStart = pos;
    if (buf[pos] === 0x23) {
      // redis-check-aof reads an annotation with fgets: a last line without its
      // line end is still a whole annotation (the file is valid up to its end).
      const nl = buf.indexOf(0x0a, pos);
      const lineEnd = nl < 0 ? buf.length : nl + 1;
      const line = buf.subarray(pos, lineEnd).toString('latin1').replace(/\r?\n$/, '');
      pos = lineEnd;
      const m = /^#TS:(\d+)$/.exec(line);
      annotations.push({ offset: cmdStart, end: pos, text: line.slice(1), ts: m ? Number(m[1]) : null });
      if (multi === 0) okUpTo = pos;
      continue;
    }
    if (buf[pos] !== 0x2a) {
      error = 'bad prefix';
      break;
    }
    const head = readLine();
    if (head === null) {
      error = 'eof';
      break;
    }
    const argc = Number(head.slice(1));
    if (!Number.isInteger(argc) || argc < 1) {
      error = 'bad argc';
      break;
    }
    const args = [];
    for (let i = 0; i < argc; i++) {
      if (pos >= buf.length) {
        error = 'eof';
        break outer;
      }
      if (buf[pos] !== 0x24) {
        error = 'bad bulk prefix';
        break outer;
      }
      const h = readLine();
      if (h === null) {
        error = 'eof';
        break outer;
      }
      const len = Number(h.slice(1));
      if (!Number.isInteger(len) || len < 0) {
        error = 'bad length';
        break outer;
      }
      if (pos + len + 2 > buf.length) {
        error = 'eof';
        break outer;
      }
      if (buf[pos + len] !== 0x0d || buf[pos + len + 1] !== 0x0a) {
        error = 'missing crlf';
        break outer;
      }
      args.push(buf.subarray(pos, pos + len));
      pos += len + 2;
    }
    const name = args[0].toString('latin1').toLowerCase();
    if (name === 'multi') {
      if (multi) {
        error = 'nested multi';
        break;
      }
      multi = 1;
    } else if (name === 'exec') {
      if (!multi) {
        error = 'exec without multi';
        break;
      }
      multi = 0;
    }
    commands.push({ offset: cmdStart, end: pos, args });
    if (multi === 0) okUpTo = pos;
  }
  if (error === null && multi) error = 'eof in multi';
  return { commands, annotations, okUpTo, error, end: pos };
}

/** Parses a Redis 7 manifest the simple way Redis 7.0 writes it (no quoting in our fixtures). */
export function readManifestSimple(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const t = line.trim().split(/\s+/);
    const rec = {};
    for (let i = 0; i + 1 < t.length; i += 2) rec[t[i].toLowerCase()] = t[i + 1];
    out.push({ file: rec.file, seq: Number(rec.seq), type: rec.type[0] });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Server process

/**
 * Starts redis-server with `config` in `dir` (created if needed). Resolves
 * to { port, dir, pid, client, log(), stop() }. Rejects with the server's log
 * when it does not come up (e.g. it refuses an AOF).
 */
export async function startServer(config, dir) {
  const ownDir = dir === undefined;
  if (ownDir) dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdbkit-aof-gen-'));
  fs.mkdirSync(dir, { recursive: true });
  const confPath = writeRedisConf(dir, config);
  let server;
  try {
    server = await launchRedis(REDIS_SERVER, confPath, { cwd: dir, readyMs: 15_000, pollMs: 25 });
  } catch (err) {
    if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...server,
    dir,
    async stop(keepDir = !ownDir) {
      await server.stop();
      if (!keepDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitFor(client, pred, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = await client.info('persistence');
    if (pred(info)) return info;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${info}`);
    await sleep(20);
  }
}

const infoField = (info, name) => (new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1] ?? '').trim();

async function rewriteAndWait(client) {
  await waitFor(client, (i) => infoField(i, 'aof_rewrite_in_progress') === '0' && infoField(i, 'aof_rewrite_scheduled') === '0', 'idle');
  await client.call('BGREWRITEAOF');
  await waitFor(
    client,
    (i) => infoField(i, 'aof_rewrite_in_progress') === '0' && infoField(i, 'aof_rewrite_scheduled') === '0',
    'rewrite end',
  );
  const info = await client.info('persistence');
  if (infoField(info, 'aof_last_bgrewrite_status') !== 'ok') throw new Error(`rewrite failed:\n${info}`);
}

/** Child pids of `pid` (Linux /proc). */
function childPids(pid) {
  const out = [];
  const taskDir = `/proc/${pid}/task`;
  try {
    for (const tid of fs.readdirSync(taskDir)) {
      try {
        const c = fs.readFileSync(`${taskDir}/${tid}/children`, 'utf8').trim();
        if (c) out.push(...c.split(/\s+/).map(Number));
      } catch {
        /* thread gone */
      }
    }
  } catch {
    /* no /proc */
  }
  return out;
}

/**
 * Starts a rewrite that cannot finish (rdb-key-save-delay), kills its child:
 * Redis 7.0 keeps the INCR part it opened for the rewrite, so the manifest
 * lists two INCR parts.
 */
async function killedRewrite(server) {
  const c = server.client;
  await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000000');
  await c.call('BGREWRITEAOF');
  await waitFor(c, (i) => infoField(i, 'aof_rewrite_in_progress') === '1', 'rewrite start');
  let kids = [];
  for (let i = 0; i < 200 && kids.length === 0; i++) {
    kids = childPids(server.pid);
    if (kids.length === 0) await sleep(10);
  }
  if (kids.length === 0) throw new Error('no rewrite child found');
  for (const k of kids) process.kill(k, 'SIGKILL');
  await waitFor(c, (i) => infoField(i, 'aof_rewrite_in_progress') === '0', 'rewrite abort');
  await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
}

// ---------------------------------------------------------------------------
// Data

const LIB1 = `#!lua name=rdbkitlib1
redis.register_function('setit', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function('pushit', function(keys, args) redis.call('RPUSH', keys[1], args[1]); return redis.call('INCR', keys[2]) end)`;
const LIB2 = `#!lua name=rdbkitlib2
redis.register_function{function_name='hinc', callback=function(keys, args) return redis.call('HINCRBY', keys[1], args[1], 1) end, flags={}}`;

function words(rng, n, prefix = 'w') {
  const out = [];
  for (let i = 0; i < n; i++) out.push(`${prefix}${Math.floor(rng() * 1e6).toString(36)}`);
  return out;
}

/** Phase 1: goes into the base at the rewrite. */
async function phaseBase(c, rng) {
  await c.call('SELECT', '0');
  for (let i = 0; i < 12; i++) await c.call('SET', `str:${i}`, words(rng, 1 + (i % 4)).join(' '));
  await c.call('SET', 'int:1', '12345');
  await c.call('SET', 'int:big', '-9223372036854775808');
  await c.call('SET', Buffer.from([0xff, 0x00, 0x62, 0x69, 0x6e]), Buffer.from([0x80, 0x81, 0x00, 0xfe]));
  await c.call('SET', 'long', 'abc'.repeat(300));
  await c.call('RPUSH', 'list:1', ...words(rng, 20));
  await c.call('RPUSH', 'list:int', '1', '-2', '300', '70000', '5000000000');
  await c.call('SADD', 'set:str', ...words(rng, 15, 's'));
  await c.call('SADD', 'set:int', '1', '2', '3', '-7', '100000');
  await c.call('ZADD', 'zset:1', '1', 'a', '2.5', 'b', '-3', 'c', 'inf', 'top', '-inf', 'bottom');
  const big = [];
  for (let i = 0; i < 140; i++) big.push(String(Math.floor(rng() * 1000) / 8), `m${i}`);
  await c.call('ZADD', 'zset:big', ...big);
  await c.call('HSET', 'hash:1', 'name', 'Ada', 'born', '1815', 'lang', 'en');
  const hf = [];
  for (let i = 0; i < 140; i++) hf.push(`f${i}`, words(rng, 1)[0]);
  await c.call('HSET', 'hash:big', ...hf);
  for (let i = 0; i < 6; i++) await c.call('XADD', 'stream:1', `${T0 + i * 1000}-${i}`, 'n', String(i), 'w', words(rng, 1)[0]);
  await c.call('XGROUP', 'CREATE', 'stream:1', 'g1', '0');
  await c.call('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '2', 'STREAMS', 'stream:1', '>');
  await c.call('XCLAIM', 'stream:1', 'g1', 'bob', '0', `${T0}-0`, 'TIME', String(T0 + 5000), 'RETRYCOUNT', '3', 'JUSTID');
  await c.call('SET', 'ttl:abs', 'x');
  await c.call('PEXPIREAT', 'ttl:abs', String(Y2100));
  await c.call('RPUSH', 'ttl:list', 'a', 'b');
  await c.call('PEXPIREAT', 'ttl:list', String(Y2100 + 17));
  await c.call('FUNCTION', 'LOAD', LIB1);
  await c.call('SELECT', '1');
  await c.call('SET', 'db1:k', 'one');
  await c.call('HSET', 'db1:h', 'a', '1');
  await c.call('SELECT', '5');
  await c.call('SADD', 'db5:s', 'x', 'y');
  await c.call('SELECT', '0');
}

/** Phase 2: writes of every type after the rewrite. */
async function phaseIncr(c, rng, tag) {
  await c.call('SELECT', '0');
  await c.call('SET', `${tag}:s`, words(rng, 3).join('-'));
  await c.call('APPEND', 'str:0', '+appended');
  await c.call('INCR', 'int:1');
  await c.call('INCRBYFLOAT', `${tag}:f`, '1.5');
  await c.call('SETEX', `${tag}:ttl`, '315360000', 'tenyears');
  await c.call('SET', `${tag}:px`, 'v', 'PXAT', String(Y2100 + 5));
  await c.call('LPUSH', 'list:1', ...words(rng, 3));
  await c.call('RPOP', 'list:1');
  await c.call('LINSERT', 'list:1', 'BEFORE', (await c.call('LINDEX', 'list:1', '2')) ?? 'x', 'inserted');
  await c.call('LSET', 'list:int', '0', 'zero');
  await c.call('SADD', 'set:str', ...words(rng, 3, 't'));
  await c.call('SREM', 'set:int', '2');
  await c.call('SPOP', 'set:str');
  await c.call('ZADD', 'zset:1', '7', `${tag}:m`);
  await c.call('ZINCRBY', 'zset:big', '2.25', 'm3');
  await c.call('ZREM', 'zset:big', 'm5');
  await c.call('HSET', 'hash:1', `${tag}`, words(rng, 1)[0]);
  await c.call('HDEL', 'hash:big', 'f7');
  await c.call('HINCRBY', 'hash:1', 'born', '1');
  await c.call('HINCRBYFLOAT', 'hash:1', 'score', '0.25');
  const sid = await c.call('XADD', 'stream:1', '*', 'tag', tag);
  await c.call('XADD', `${tag}:stream`, `${T0 + 99000}-1`, 'a', '1');
  await c.call('XGROUP', 'CREATE', `${tag}:stream`, 'grp', '$', 'MKSTREAM');
  await c.call('XGROUP', 'CREATECONSUMER', 'stream:1', 'g1', `${tag}-consumer`);
  await c.call('XREADGROUP', 'GROUP', 'g1', 'carol', 'COUNT', '1', 'STREAMS', 'stream:1', '>');
  await c.call('XACK', 'stream:1', 'g1', `${T0}-0`);
  await c.call('XCLAIM', 'stream:1', 'g1', 'dave', '0', `${T0 + 1000}-1`, 'TIME', String(T0 + 9000), 'RETRYCOUNT', '4', 'JUSTID');
  await c.call('XDEL', 'stream:1', `${T0 + 5000}-5`);
  void sid;
  await c.call('EXPIRE', 'str:1', '315360000');
  await c.call('PERSIST', 'ttl:list');
  await c.call('DEL', 'str:2');
  await c.call('RENAME', tag === 'p2' ? 'str:3' : 'str:4', `${tag}:renamed`);
  await c.call('SET', Buffer.from(`${tag}:bin\xff`, 'latin1'), Buffer.from([0, 1, 2, 0xc3, 0x28]));
  // Transaction
  await c.multi().call('SET', `${tag}:tx1`, 'a').call('INCRBY', `${tag}:tx2`, '5').call('RPUSH', 'list:int', 'tx').exec();
  // Scripts (effects are replicated wrapped in MULTI/EXEC)
  await c.call('EVAL', "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SADD', KEYS[2], ARGV[1]); return 1", '2', `${tag}:eval`, 'set:str', 'from-eval');
  await c.call('FCALL', 'setit', '1', `${tag}:fcall`, 'via-function');
  await c.call('FCALL', 'pushit', '2', 'list:1', `${tag}:count`, 'pushed');
  // Other databases
  await c.call('SELECT', '1');
  await c.call('SET', `db1:${tag}`, 'one');
  await c.call('ZADD', `db1:z:${tag}`, '1', 'x');
  await c.call('SELECT', '5');
  await c.call('HSET', `db5:h:${tag}`, 'f', 'v');
  await c.call('SELECT', '0');
  await c.call('SET', `${tag}:back-in-0`, '1');
}

/** Waits for the next wall-clock second, so the next write gets a new `#TS:` annotation. */
const nextSecond = () => sleep(1000 - (Date.now() % 1000) + 30);

/** Writes spread over several seconds, so the part gets several `#TS:` annotations. */
async function phaseTimed(c, rng, tag, seconds) {
  for (let s = 0; s < seconds; s++) {
    await nextSecond();
    await c.call('SELECT', String([0, 1, 5][s % 3]));
    await c.call('SET', `${tag}:t${s}`, words(rng, 2).join(' '));
    await c.call('RPUSH', `${tag}:tl`, String(s), ...words(rng, 2));
    await c.multi().call('INCR', `${tag}:tc`).call('SADD', `${tag}:ts`, String(s)).exec();
    await c.call('HSET', `${tag}:th`, `s${s}`, String(s));
    await c.call('SELECT', '0');
    await c.call('ZADD', 'zset:1', String(s), `${tag}:z${s}`);
  }
}

// ---------------------------------------------------------------------------
// Building a directory

export const LAYOUTS = {
  'multipart-rdb-ts': { preamble: true, timestamps: true, twoIncr: true },
  'multipart-resp-ts': { preamble: false, timestamps: true, twoIncr: true },
  'multipart-rdb': { preamble: true, timestamps: false, twoIncr: false },
};

/** What the server holds: DEBUG DIGEST, per-key DIGEST-VALUE per db, functions. */
export async function serverTruth(client) {
  const c = client.duplicate();
  c.on('error', () => {});
  try {
    // SCAN first: it drops keys whose expiry has passed (a loaded AOF may hold some that a
    // replay through commands never creates), so counts and digests cover live keys only.
    const scanned = {};
    for (const m of (await c.info('keyspace')).matchAll(/^db(\d+):keys=(\d+)/gm)) {
      const db = Number(m[1]);
      await c.call('SELECT', String(db));
      scanned[db] = await scanAllKeys(c);
    }
    const dbs = {};
    for (const m of (await c.info('keyspace')).matchAll(/^db(\d+):keys=(\d+)/gm)) {
      const db = Number(m[1]);
      if (Number(m[2]) === 0) continue;
      await c.call('SELECT', String(db));
      const out = {};
      for (const k of scanned[db] ?? []) {
        const d = await c.callBuffer('DEBUG', 'DIGEST-VALUE', k);
        out[keyName(k)] = d[0].toString('latin1');
      }
      dbs[db] = { key_count: Number(m[2]), keys: out };
    }
    const digest = String(await c.call('DEBUG', 'DIGEST'));
    const libs = await c.callBuffer('FUNCTION', 'LIST', 'WITHCODE');
    const functions = [];
    for (const lib of libs) {
      const rec = {};
      for (let i = 0; i + 1 < lib.length; i += 2) rec[lib[i].toString()] = lib[i + 1];
      functions.push({ name: rec.library_name.toString(), code: rec.library_code.toString() });
    }
    functions.sort((a, b) => (a.name < b.name ? -1 : 1));
    return { digest, dbs, functions };
  } finally {
    c.disconnect();
  }
}

/** A key as JSON text: UTF-8 when it round-trips, else `hex:<hex>`. */
export function keyName(k) {
  const s = k.toString('utf8');
  return Buffer.from(s, 'utf8').equals(k) ? s : `hex:${k.toString('hex')}`;
}

/**
 * Runs a server with `appendonly yes` in a temp dir, writes the data model
 * for `layout`, and copies its `appendonlydir` to `outDir`. Returns the
 * server truth and the parts. `timedSeconds` sets how many wall-clock seconds
 * the last part's writes are spread over (default 3).
 */
export async function makeAofDir(layout, outDir, { seed = 7, timedSeconds = 3 } = {}) {
  const spec = LAYOUTS[layout];
  if (!spec) throw new Error(`unknown layout ${layout}`);
  const rng = prng(seed);
  const server = await startServer({
    appendonly: 'yes',
    appendfsync: 'always',
    'aof-use-rdb-preamble': spec.preamble ? 'yes' : 'no',
    'aof-timestamp-enabled': spec.timestamps ? 'yes' : 'no',
    'auto-aof-rewrite-percentage': '0',
  });
  try {
    const c = server.client;
    await phaseBase(c, rng);
    await rewriteAndWait(c);
    if (spec.timestamps) await nextSecond();
    await phaseIncr(c, rng, 'p2');
    if (spec.twoIncr) {
      await killedRewrite(server);
      if (spec.timestamps) await nextSecond();
      await phaseIncr(c, rng, 'p3');
    }
    await phaseTimed(c, rng, 'late', spec.timestamps ? timedSeconds : 1);
    const truth = await serverTruth(c);
    const src = path.join(server.dir, 'appendonlydir');
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    // Shut the server down first: nothing else gets written (no rewrite on SHUTDOWN NOSAVE).
    await c.call('SHUTDOWN', 'NOSAVE').catch(() => {});
    await server.stop(true);
    for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(outDir, f));
    fs.rmSync(server.dir, { recursive: true, force: true });
    return { ...truth, redis_version: redisVersion() };
  } catch (err) {
    await server.stop(false);
    throw err;
  }
}

/** Manifest entries of an AOF dir, with each file's bytes. */
export function readAofDir(dir) {
  const manifestName = fs.readdirSync(dir).find((f) => f.endsWith('.manifest'));
  const manifest = readManifestSimple(fs.readFileSync(path.join(dir, manifestName), 'utf8'));
  const parts = manifest
    .filter((m) => m.type !== 'h')
    .map((m) => ({ ...m, bytes: fs.readFileSync(path.join(dir, m.file)) }));
  return { manifestName, parts };
}

/** Loads an AOF dir (copied) into a fresh redis-server 7.0 and returns its truth. */
export async function loadDirTruth(dir, extraConfig = {}) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdbkit-aof-load-'));
  fs.cpSync(dir, path.join(work, 'appendonlydir'), { recursive: true });
  const server = await startServer({ appendonly: 'yes', 'aof-load-truncated': 'yes', appenddirname: 'appendonlydir', ...extraConfig }, work);
  try {
    return await serverTruth(server.client);
  } finally {
    await server.stop(false);
  }
}

/** Loads a single legacy AOF file (as `appendonly.aof`) into redis-server 7.0 and returns its truth. */
export async function loadLegacyTruth(file) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdbkit-aof-load-'));
  fs.copyFileSync(file, path.join(work, 'appendonly.aof'));
  const server = await startServer({ appendonly: 'yes', 'aof-load-truncated': 'yes' }, work);
  try {
    return await serverTruth(server.client);
  } finally {
    await server.stop(false);
  }
}

export function redisVersion() {
  const r = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

/** Runs redis-check-aof on `target`; returns { status, stdout, okUpTo: [per file…] }. */
export function checkAof(target, extra = []) {
  const r = spawnSync(REDIS_CHECK_AOF, [...extra, target], { encoding: 'latin1', input: 'y\n' });
  const okUpTo = [...(r.stdout ?? '').matchAll(/ok_up_to=(\d+)/g)].map((m) => Number(m[1]));
  return { status: r.status, stdout: r.stdout, okUpTo };
}

function partFacts(part) {
  const isRdb = part.bytes.subarray(0, 5).toString('latin1') === 'REDIS';
  const facts = { file: part.file, seq: part.seq, role: part.type === 'b' ? 'base' : 'incr', format: isRdb ? 'rdb' : 'resp', size: part.bytes.length };
  if (!isRdb) {
    const s = splitResp(part.bytes);
    if (s.error) throw new Error(`${part.file}: ${s.error} at ${s.end}`);
    Object.assign(facts, {
      commands: s.commands.length,
      ts_annotations: s.annotations.filter((a) => a.ts !== null).length,
      ts_values: [...new Set(s.annotations.filter((a) => a.ts !== null).map((a) => a.ts))],
      multi_blocks: s.commands.filter((c) => c.args[0].toString().toLowerCase() === 'multi').length,
    });
  }
  return facts;
}

// ---------------------------------------------------------------------------
// Main: write fixtures/aof/

async function main() {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const check = spawnSync(REDIS_CHECK_AOF, [], { encoding: 'utf8' });
  if (check.error) throw new Error(`${REDIS_CHECK_AOF} not found`);
  for (const layout of Object.keys(LAYOUTS)) {
    const outDir = path.join(OUT_DIR, layout);
    const truth = await makeAofDir(layout, outDir);
    const { manifestName, parts } = readAofDir(outDir);
    const facts = parts.map(partFacts);
    // The server itself must load the copy into the same data.
    const loaded = await loadDirTruth(outDir);
    if (JSON.stringify(loaded) !== JSON.stringify({ digest: truth.digest, dbs: truth.dbs, functions: truth.functions })) {
      throw new Error(`${layout}: reloaded data differs`);
    }
    const chk = checkAof(path.join(outDir, manifestName));
    if (chk.status !== 0) throw new Error(`${layout}: redis-check-aof says\n${chk.stdout}`);
    const expected = {
      schema: 'rdbkit-aof-fixture/1',
      layout,
      redis_version: truth.redis_version,
      config: LAYOUTS[layout],
      manifest: manifestName,
      parts: facts,
      counts: {
        commands: facts.reduce((n, f) => n + (f.commands ?? 0), 0),
        ts_annotations: facts.reduce((n, f) => n + (f.ts_annotations ?? 0), 0),
      },
      digest: truth.digest,
      dbs: truth.dbs,
      functions: truth.functions,
    };
    fs.writeFileSync(path.join(OUT_DIR, `${layout}.expected.json`), JSON.stringify(expected, null, 2) + '\n');
    console.log(`${layout}: ${facts.map((f) => `${f.file} ${f.size} B`).join(', ')}; digest ${truth.digest}`);
  }

  // Legacy single-file RDB-preamble AOF: base .rdb + INCR bytes of multipart-rdb.
  const { parts } = readAofDir(path.join(OUT_DIR, 'multipart-rdb'));
  const base = parts.find((p) => p.type === 'b');
  const incrs = parts.filter((p) => p.type === 'i');
  const legacy = Buffer.concat([base.bytes, ...incrs.map((p) => p.bytes)]);
  const legacyPath = path.join(OUT_DIR, 'legacy-preamble.aof');
  fs.writeFileSync(legacyPath, legacy);
  const truth = await loadLegacyTruth(legacyPath);
  const mp = JSON.parse(fs.readFileSync(path.join(OUT_DIR, 'multipart-rdb.expected.json'), 'utf8'));
  if (truth.digest !== mp.digest) throw new Error('legacy file loads differently from its multi-part source');
  const chk = checkAof(legacyPath);
  if (chk.status !== 0) throw new Error(`legacy: redis-check-aof says\n${chk.stdout}`);
  const tail = splitResp(legacy, base.bytes.length);
  const expected = {
    schema: 'rdbkit-aof-fixture/1',
    layout: 'legacy-preamble',
    redis_version: redisVersion(),
    made_from: 'multipart-rdb',
    size: legacy.length,
    rdb_size: base.bytes.length,
    counts: { commands: tail.commands.length, ts_annotations: tail.annotations.filter((a) => a.ts !== null).length },
    digest: truth.digest,
    dbs: truth.dbs,
    functions: truth.functions,
  };
  fs.writeFileSync(path.join(OUT_DIR, 'legacy-preamble.aof.expected.json'), JSON.stringify(expected, null, 2) + '\n');
  console.log(`legacy-preamble.aof: ${legacy.length} B (RDB ${base.bytes.length} B); digest ${truth.digest}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
