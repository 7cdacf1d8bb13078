// Makes the benchmark dumps with a real redis-server (cached in bench/data/):
//   mixed-<mb>.rdb — half the bytes strings of 10 B–10 KB (random text,
//                    compressible JSON-like text, some binary), the rest small
//                    and large hashes, lists, sets (intset, hashtable), zsets
//                    (listpack, skiplist) and a few streams with consumer
//                    groups; 20% of keys with a TTL far in the future
//   huge.rdb       — a 4M-element list, 1M-member set, 1M-field hash,
//                    1M-member zset and a 200 MiB random string
// Data comes from a seeded PRNG, so the same sizes give the same dumps. Each
// dump gets a sidecar `<file>.json` with what the generator wrote and what the
// server says it holds (keys, expires, type/encoding tally), for the benchmark
// to check rdbkit's results against.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, prng } from '../scripts/shared.mjs';

/** Bump to make cached dumps of an older layout regenerate. */
export const MIXED_GEN = 2;
export const HUGE_GEN = 2;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** RESP for one command, arguments as strings or Buffers. */
function resp(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Buffers RESP commands into a file, 8 MiB at a time. */
class RespFile {
  constructor(file) {
    this.fd = fs.openSync(file, 'w');
    this.parts = [];
    this.size = 0;
  }
  cmd(...args) {
    const b = resp(args);
    this.parts.push(b);
    this.size += b.length;
    if (this.size > 8 << 20) this.flush();
  }
  flush() {
    if (this.parts.length) fs.writeSync(this.fd, Buffer.concat(this.parts));
    this.parts = [];
    this.size = 0;
  }
  close() {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/** Runs `fn(port, dir, pid)` against a throwaway redis-server on a free loopback port. */
export async function withServer(config, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdbkit-bench-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no'];
  for (const [k, v] of Object.entries(config)) args.push(`--${k}`, v);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    for (let i = 0; ; i++) {
      const r = spawnSync('redis-cli', ['-p', String(port), 'PING']);
      if (r.stdout?.toString().includes('PONG')) break;
      if (i > 100 || child.exitCode !== null) throw new Error('redis-server did not start');
      await sleep(100);
    }
    return await fn(port, dir, child.pid);
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function cli(port, ...args) {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.toString();
}

export function pipe(port, file) {
  const r = spawnSync('sh', ['-c', `redis-cli -p ${port} --pipe < '${file}'`], { maxBuffer: 1 << 26 });
  const out = r.stdout.toString();
  if (r.status !== 0 || !/errors: 0/.test(out)) throw new Error(`redis-cli --pipe failed: ${out}${r.stderr}`);
}

function save(port, dir, target) {
  if (!cli(port, 'SAVE').includes('OK')) throw new Error('SAVE failed');
  fs.copyFileSync(path.join(dir, 'dump.rdb'), target);
}

// Every key's TYPE/OBJECT ENCODING, tallied inside the server in one round trip.
const TALLY = `local t = {}
for _, k in ipairs(redis.call('KEYS', '*')) do
  local e = redis.call('TYPE', k)['ok'] .. '/' .. redis.call('OBJECT', 'ENCODING', k)
  t[e] = (t[e] or 0) + 1
end
local r = {}
for k, v in pairs(t) do r[#r + 1] = k; r[#r + 1] = v end
return r`;

/** What the server holds: keys, expires (INFO keyspace) and the type/encoding tally. */
function serverView(port) {
  const info = cli(port, 'INFO', 'keyspace');
  const m = /db0:keys=(\d+),expires=(\d+)/.exec(info);
  const lines = cli(port, 'EVAL', TALLY, '0').trim().split('\n');
  const encodings = {};
  for (let i = 0; i + 1 < lines.length; i += 2) encodings[lines[i]] = Number(lines[i + 1]);
  return { keys: m ? Number(m[1]) : 0, expires: m ? Number(m[2]) : 0, encodings, version: /redis_version:(\S+)/.exec(cli(port, 'INFO', 'server'))?.[1] ?? '?' };
}

// Encoding thresholds pinned to Redis 7.0's documented defaults (distribution
// builds sometimes ship other values), so the data has the encodings we intend.
const MIXED_CONFIG = {
  'hash-max-listpack-entries': '128',
  'hash-max-listpack-value': '64',
  'zset-max-listpack-entries': '128',
  'zset-max-listpack-value': '64',
  'set-max-intset-entries': '512',
  'list-max-listpack-size': '-2',
};

const FUTURE = 4102444800000; // 2100-01-01

/** The mixed dump: about `mb` MiB of payload. Returns its sidecar. */
export async function makeMixed(target, mb) {
  const seed = 12345;
  const rnd = prng(seed);
  const tmp = target + '.resp';
  const f = new RespFile(tmp);
  const budget = mb * 1024 * 1024;
  let strBytes = 0;
  let otherBytes = 0;
  let keys = 0;
  let expires = 0;
  const ttl = (k) => {
    if (rnd() < 0.2) {
      f.cmd('PEXPIREAT', k, FUTURE + Math.floor(rnd() * 1e9));
      expires++;
    }
  };
  const word = (n) => {
    let s = '';
    while (s.length < n) s += Math.floor(rnd() * 36 ** 6).toString(36);
    return s.slice(0, n);
  };
  // JSON-ish records: the kind of text LZF compresses (RDB compression is on).
  const doc = (n) => {
    let s = '';
    while (s.length < n) {
      s += `{"id":${Math.floor(rnd() * 1e6)},"name":"user-${word(6)}","active":${rnd() < 0.5},"tags":["alpha","beta"],"score":${(rnd() * 100).toFixed(2)}}`;
    }
    return s.slice(0, n);
  };
  while (strBytes + otherBytes < budget) {
    if (strBytes <= otherBytes) {
      const k = `str:${keys}`;
      const n = 10 + Math.floor(rnd() ** 2 * 10230);
      let v;
      const r = rnd();
      if (r < 0.1) {
        v = Buffer.alloc(n);
        for (let i = 0; i < n; i++) v[i] = Math.floor(rnd() * 256);
      } else if (r < 0.4) v = doc(n);
      else v = word(n);
      f.cmd('SET', k, v);
      ttl(k);
      strBytes += n + k.length;
    } else {
      const kind = Math.floor(rnd() * 8);
      const k = `k${kind}:${keys}`;
      const args = [];
      let bytes = 0;
      if (kind === 0 || kind === 1) {
        // 10 fields: listpack; 200 fields (> 128): hashtable.
        const n = kind === 0 ? 10 : 200;
        for (let i = 0; i < n; i++) args.push(`field${i}`, word(kind === 0 ? 12 : 50));
        f.cmd('HSET', k, ...args);
        bytes = n * (kind === 0 ? 20 : 60);
      } else if (kind === 2) {
        // quicklist of several listpack nodes
        const n = 100 + Math.floor(rnd() * 900);
        for (let i = 0; i < n; i++) args.push(word(30));
        f.cmd('RPUSH', k, ...args);
        bytes = n * 30;
      } else if (kind === 3) {
        // integers only: intset
        for (let i = 0; i < 100; i++) args.push(Math.floor(rnd() * 1e9));
        f.cmd('SADD', k, ...args);
        bytes = 800;
      } else if (kind === 4) {
        // strings: hashtable
        for (let i = 0; i < 200; i++) args.push(`member:${word(20)}`);
        f.cmd('SADD', k, ...args);
        bytes = 200 * 27;
      } else if (kind === 5 || kind === 6) {
        // 50 members: listpack; 300 (> 128): skiplist
        const n = kind === 5 ? 50 : 300;
        for (let i = 0; i < n; i++) args.push((rnd() * 1e6).toFixed(3), `m:${word(16)}`);
        f.cmd('ZADD', k, ...args);
        bytes = n * 28;
      } else if (rnd() < 0.05) {
        // a stream with a consumer group, a consumer and 50 pending entries
        for (let i = 1; i <= 1000; i++) f.cmd('XADD', k, `${1700000000000 + i}-0`, 'event', word(8), 'user', word(10), 'n', i);
        f.cmd('XGROUP', 'CREATE', k, 'g', '0');
        f.cmd('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '50', 'STREAMS', k, '>');
        bytes = 1000 * 40;
      } else {
        f.cmd('SET', k, word(40));
        bytes = 40;
      }
      ttl(k);
      otherBytes += bytes;
    }
    keys++;
  }
  f.close();
  const server = await withServer(MIXED_CONFIG, async (port, dir) => {
    pipe(port, tmp);
    const view = serverView(port);
    save(port, dir, target);
    return view;
  });
  fs.rmSync(tmp);
  if (server.keys !== keys || server.expires !== expires) {
    throw new Error(`the generator wrote ${keys} keys (${expires} with TTL), the server holds ${server.keys} (${server.expires})`);
  }
  const sidecar = { gen: MIXED_GEN, seed, mb, keys, expires, server };
  fs.writeFileSync(target + '.json', JSON.stringify(sidecar, null, 2));
  return sidecar;
}

/** The huge-values dump for the memory check. Returns its sidecar. */
export async function makeHuge(target) {
  const seed = 999;
  const rnd = prng(seed);
  const tmp = target + '.resp';
  const f = new RespFile(tmp);
  const batch = (cmd, key, n, make) => {
    for (let i = 0; i < n; i += 1000) {
      const args = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) args.push(...make(j));
      f.cmd(cmd, key, ...args);
    }
  };
  const want = { list: 4_000_000, set: 1_000_000, hash: 1_000_000, zset: 1_000_000 };
  batch('RPUSH', 'biglist', want.list, (i) => [`element:${i}`]);
  batch('SADD', 'bigset', want.set, (i) => [`member:${i}`]);
  batch('HSET', 'bighash', want.hash, (i) => [`field:${i}`, `value:${i}`]);
  batch('ZADD', 'bigzset', want.zset, (i) => [String(i / 7), `zmember:${i}`]);
  // 25 × 8 MiB of random bytes, appended: a 200 MiB binary string.
  const piece = Buffer.alloc(8 << 20);
  const sha = createHash('sha256');
  for (let p = 0; p < 25; p++) {
    for (let i = 0; i < piece.length; i++) piece[i] = Math.floor(rnd() * 256);
    sha.update(piece);
    f.cmd('APPEND', 'bigstring', piece);
  }
  f.close();
  const server = await withServer({ 'client-query-buffer-limit': '1gb', 'proto-max-bulk-len': '1gb' }, async (port, dir) => {
    pipe(port, tmp);
    const view = serverView(port);
    if (Number(cli(port, 'LLEN', 'biglist')) !== want.list) throw new Error('server: LLEN biglist is wrong');
    if (Number(cli(port, 'STRLEN', 'bigstring')) !== 25 * (8 << 20)) throw new Error('server: STRLEN bigstring is wrong');
    save(port, dir, target);
    return view;
  });
  fs.rmSync(tmp);
  if (server.keys !== 5) throw new Error(`the generator wrote 5 keys, the server holds ${server.keys}`);
  const sidecar = { gen: HUGE_GEN, seed, keys: 5, ...want, string: 25 * (8 << 20), stringSha256: sha.digest('hex'), server };
  fs.writeFileSync(target + '.json', JSON.stringify(sidecar, null, 2));
  return sidecar;
}

// ---- the AOF directory ------------------------------------------------------

export const AOF_GEN = 1;

const infoField = (info, name) => (new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1] ?? '').trim();

async function waitPersistence(port, pred, what, ms = 600_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = cli(port, 'INFO', 'persistence');
    if (pred(info)) return info;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${info}`);
    await sleep(50);
  }
}
const rewriteIdle = (i) => infoField(i, 'aof_rewrite_in_progress') === '0' && infoField(i, 'aof_rewrite_scheduled') === '0';

/** Child pids of `pid` (Linux /proc). */
function childPids(pid) {
  const out = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const c = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (c) out.push(...c.split(/\s+/).map(Number));
      } catch {}
    }
  } catch {}
  return out;
}

/**
 * A multi-part AOF directory of about `mb` MiB written by redis-server 7
 * (`appendonly yes`, RDB preamble, #TS annotations, no automatic rewrites):
 *   phase 1 (~20% of the bytes), then BGREWRITEAOF → an RDB base holding it;
 *   phase 2 (~40%), then a BGREWRITEAOF whose child is killed → the INCR part
 *   it opened stays, so the manifest lists two INCR parts (as after a failed
 *   rewrite in production);
 *   phase 3 (~40%).
 * The commands are small writes of a realistic mix, each of which changes
 * something (so the server propagates every one): SET with and without EX/PX,
 * HSET, RPUSH/LPUSH, SADD/ZADD of new members, INCR, DEL and EXPIRE of keys
 * that exist, MULTI/EXEC blocks of 2–4 writes, a few bursts in db 1 and 2,
 * and a few 1–3 MiB values. TTLs are years long, so nothing expires while the
 * data is made or later replayed. The sidecar `<dir>.json` records what was
 * sent (counts by name; non-SELECT commands after the rewrite, which is what
 * the INCR parts must hold), the keys at the rewrite (the base), the parts,
 * and the server's DEBUG DIGEST at the end.
 */
export async function makeAof(targetDir, mb) {
  const seed = 4242;
  const rnd = prng(seed);
  const tmp = [1, 2, 3].map((n) => `${targetDir}.phase${n}.resp`);
  const budget = mb * 1024 * 1024;
  const sent = { total: 0, byName: {} };
  // Sent after the successful rewrite, which the INCR parts must hold.
  const afterBase = { total: 0, byName: {} };
  let phase = 1;
  let f = null;
  let bytes = 0;
  const cmd = (...args) => {
    const b = resp(args);
    f.parts.push(b);
    f.size += b.length;
    if (f.size > 8 << 20) f.flush();
    bytes += b.length;
    const name = String(args[0]).toUpperCase();
    sent.total++;
    sent.byName[name] = (sent.byName[name] ?? 0) + 1;
    if (phase > 1 && name !== 'SELECT') {
      afterBase.total++;
      afterBase.byName[name] = (afterBase.byName[name] ?? 0) + 1;
    }
  };
  const pick = (n) => Math.floor(rnd() * n);
  const word = (n) => {
    let s = '';
    while (s.length < n) s += Math.floor(rnd() * 36 ** 6).toString(36);
    return s.slice(0, n);
  };
  const doc = () => `{"id":${pick(1e6)},"name":"user-${word(6)}","active":${rnd() < 0.5},"score":${(rnd() * 100).toFixed(2)},"note":"${word(pick(200))}"}`;
  const LONG_S = () => 100_000_000 + pick(900_000_000); // 3-30 years
  let seq = 0; // makes members and cache keys unique
  const liveIn = [[], [], []]; // per db: cache keys that exist (for DEL and EXPIRE)
  let live = liveIn[0];
  let big = 0;
  // One write of the usual mix (not SELECT, MULTI, EXEC).
  const write = () => {
    const r = rnd();
    seq++;
    if (r < 0.22) {
      const k = `cache:${seq}`;
      cmd('SET', k, rnd() < 0.5 ? doc() : word(20 + pick(300)));
      live.push(k);
    } else if (r < 0.32) {
      const ex = rnd() < 0.6;
      cmd('SET', `session:${seq}`, word(32), ex ? 'EX' : 'PX', ex ? LONG_S() : LONG_S() * 1000);
    } else if (r < 0.5) {
      const id = pick(50_000);
      const n = 1 + pick(3);
      const args = [];
      for (let i = 0; i < n; i++) args.push(['name', 'email', 'city', 'plan', 'visits', 'last'][pick(6)], word(5 + pick(25)));
      cmd('HSET', `user:${id}`, ...args);
    } else if (r < 0.62) {
      const n = 1 + pick(3);
      const args = [];
      for (let i = 0; i < n; i++) args.push(`job:${seq}:${i}:${word(12)}`);
      cmd(rnd() < 0.7 ? 'RPUSH' : 'LPUSH', `queue:${pick(2000)}`, ...args);
    } else if (r < 0.7) {
      cmd('SADD', `tags:${pick(5000)}`, `t${seq}`, `t${seq}x`);
    } else if (r < 0.78) {
      cmd('ZADD', `lb:${pick(1000)}`, (rnd() * 1e6).toFixed(2), `player:${seq}`);
    } else if (r < 0.9) {
      cmd('INCR', `counter:${pick(10_000)}`);
    } else if (r < 0.95 && live.length > 100) {
      const i = pick(live.length);
      const k = live[i];
      live[i] = live[live.length - 1];
      live.pop();
      cmd('DEL', k);
    } else if (live.length > 0) {
      cmd('EXPIRE', live[pick(live.length)], LONG_S());
    } else {
      cmd('INCR', `counter:${pick(10_000)}`);
    }
  };
  // A phase of about `share` of the budget. Large values and bursts in other
  // databases come at fixed byte distances, transactions at random.
  const bigEvery = budget / Math.max(2, Math.round(mb / 15));
  const burstEvery = budget / 8;
  let nextBig = bigEvery / 2;
  let nextBurst = burstEvery / 2;
  const makePhase = (share) => {
    const end = bytes + budget * share;
    while (bytes < end) {
      if (bytes >= nextBig) {
        // a 1-3 MiB value
        nextBig += bigEvery;
        big++;
        cmd('SET', `big:${big}`, word((1 + pick(3)) << 20));
      } else if (bytes >= nextBurst) {
        // a few hundred writes in db 1 or 2
        nextBurst += burstEvery;
        const db = 1 + pick(2);
        cmd('SELECT', db);
        live = liveIn[db];
        for (let i = 0, n = 200 + pick(800); i < n; i++) write();
        cmd('SELECT', 0);
        live = liveIn[0];
      } else if (rnd() < 0.001) {
        cmd('MULTI');
        for (let i = 0, n = 2 + pick(3); i < n; i++) write();
        cmd('EXEC');
      } else write();
    }
  };

  f = new RespFile(tmp[0]);
  cmd('SELECT', 0);
  makePhase(0.2);
  f.close();
  phase = 2;
  f = new RespFile(tmp[1]);
  makePhase(0.4);
  f.close();
  phase = 3;
  f = new RespFile(tmp[2]);
  makePhase(0.4);
  f.close();

  const config = {
    appendonly: 'yes',
    appenddirname: 'appendonlydir',
    appendfsync: 'no',
    'aof-timestamp-enabled': 'yes',
    'aof-use-rdb-preamble': 'yes',
    'auto-aof-rewrite-percentage': '0',
    'enable-debug-command': 'yes',
  };
  const server = await withServer(config, async (port, dir, pid) => {
    pipe(port, tmp[0]);
    // 1. a rewrite that succeeds: the base holds phase 1
    const baseKeyspace = cli(port, 'INFO', 'keyspace').trim().split(/\r?\n/).filter((l) => l.startsWith('db'));
    await waitPersistence(port, rewriteIdle, 'idle');
    cli(port, 'BGREWRITEAOF');
    const info = await waitPersistence(port, rewriteIdle, 'rewrite end');
    if (infoField(info, 'aof_last_bgrewrite_status') !== 'ok') throw new Error(`BGREWRITEAOF failed:\n${info}`);
    pipe(port, tmp[1]);
    // 2. a rewrite whose child is killed: Redis keeps the INCR part it opened
    cli(port, 'CONFIG', 'SET', 'rdb-key-save-delay', '1000000');
    cli(port, 'BGREWRITEAOF');
    await waitPersistence(port, (i) => infoField(i, 'aof_rewrite_in_progress') === '1', 'rewrite start');
    let kids = [];
    for (let i = 0; i < 200 && kids.length === 0; i++) {
      kids = childPids(pid);
      if (kids.length === 0) await sleep(10);
    }
    if (kids.length === 0) throw new Error('no rewrite child found');
    for (const k of kids) process.kill(k, 'SIGKILL');
    await waitPersistence(port, (i) => infoField(i, 'aof_rewrite_in_progress') === '0', 'rewrite abort');
    cli(port, 'CONFIG', 'SET', 'rdb-key-save-delay', '0');
    pipe(port, tmp[2]);
    await waitPersistence(port, (i) => infoField(i, 'aof_buffer_length') === '0' && infoField(i, 'aof_pending_bio_fsync') === '0', 'AOF written');
    const digest = cli(port, 'DEBUG', 'DIGEST').trim();
    const keyspace = cli(port, 'INFO', 'keyspace').trim().split(/\r?\n/).filter((l) => l.startsWith('db'));
    const version = /redis_version:(\S+)/.exec(cli(port, 'INFO', 'server'))?.[1] ?? '?';
    const manifest = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'utf8');
    fs.rmSync(targetDir, { recursive: true, force: true });
    fs.cpSync(path.join(dir, 'appendonlydir'), targetDir, { recursive: true });
    return { version, digest, keyspace, baseKeyspace, manifest };
  });
  for (const t of tmp) fs.rmSync(t, { force: true });
  const parts = server.manifest
    .split('\n')
    .filter((l) => l.startsWith('file '))
    .map((l) => {
      const [, file, , s, , type] = l.split(' ');
      return { file, seq: Number(s), type };
    });
  const live2 = parts.filter((p) => p.type !== 'h');
  if (live2.filter((p) => p.type === 'b').length !== 1 || live2.filter((p) => p.type === 'i').length !== 2) {
    throw new Error(`expected a base and two INCR parts, the manifest says:\n${server.manifest}`);
  }
  const baseKeys = server.baseKeyspace.reduce((n, l) => n + Number(/keys=(\d+)/.exec(l)[1]), 0);
  const sidecar = {
    gen: AOF_GEN,
    seed,
    mb,
    sent,
    sentAfterBase: afterBase,
    baseKeys,
    baseKeyspace: server.baseKeyspace,
    parts: live2.map((p) => ({ ...p, bytes: fs.statSync(path.join(targetDir, p.file)).size })),
    server: { version: server.version, digest: server.digest, keyspace: server.keyspace },
  };
  fs.writeFileSync(targetDir + '.json', JSON.stringify(sidecar, null, 2));
  return sidecar;
}
