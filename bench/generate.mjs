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

/** Runs `fn(port, dir)` against a throwaway redis-server on a free loopback port. */
async function withServer(config, fn) {
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
    return await fn(port, dir);
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function cli(port, ...args) {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.toString();
}

function pipe(port, file) {
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
