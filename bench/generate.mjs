// Makes the benchmark dumps with a real redis-server (cached in bench/data/):
//   mixed.rdb — half the bytes strings of 10 B–10 KB, the rest small and large
//               hashes, lists, sets, zsets and a few streams; 20% of keys with TTLs
//   huge.rdb  — a 4M-element list, 1M-member set, hash and zset, a 200 MB string
// Data comes from a seeded PRNG; the number of keys written is kept in a sidecar.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, prng } from '../scripts/shared.mjs';

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
      if (i > 100) throw new Error('redis-server did not start');
      await sleep(100);
    }
    return await fn(port, dir);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function pipe(port, file) {
  const r = spawnSync('sh', ['-c', `redis-cli -p ${port} --pipe < '${file}'`], { maxBuffer: 1 << 26 });
  const out = r.stdout.toString();
  if (r.status !== 0 || !/errors: 0/.test(out)) throw new Error(`redis-cli --pipe failed: ${out}${r.stderr}`);
}

function save(port, dir, target) {
  const r = spawnSync('redis-cli', ['-p', String(port), 'SAVE']);
  if (!r.stdout.toString().includes('OK')) throw new Error(`SAVE failed: ${r.stdout}${r.stderr}`);
  fs.copyFileSync(path.join(dir, 'dump.rdb'), target);
}

function dbsize(port) {
  return Number(spawnSync('redis-cli', ['-p', String(port), 'DBSIZE']).stdout.toString().trim());
}

const FUTURE = 4102444800000;

/** The mixed dump: about `mb` MB. */
export async function makeMixed(target, mb) {
  const rnd = prng(12345);
  const tmp = target + '.resp';
  const f = new RespFile(tmp);
  const budget = mb * 1024 * 1024;
  let strBytes = 0;
  let otherBytes = 0;
  let keys = 0;
  const ttl = (k) => {
    if (rnd() < 0.2) f.cmd('PEXPIREAT', k, FUTURE + Math.floor(rnd() * 1e9));
  };
  const word = (n) => {
    let s = '';
    while (s.length < n) s += Math.floor(rnd() * 36 ** 6).toString(36);
    return s.slice(0, n);
  };
  while (strBytes + otherBytes < budget) {
    if (strBytes <= otherBytes) {
      const k = `str:${keys}`;
      const n = 10 + Math.floor(rnd() ** 2 * 10230);
      let v;
      if (rnd() < 0.1) {
        v = Buffer.alloc(n);
        for (let i = 0; i < n; i++) v[i] = Math.floor(rnd() * 256);
      } else v = word(n);
      f.cmd('SET', k, v);
      ttl(k);
      strBytes += n + k.length;
    } else {
      const kind = Math.floor(rnd() * 8);
      const k = `k${kind}:${keys}`;
      const args = [];
      let bytes = 0;
      if (kind === 0 || kind === 1) {
        const n = kind === 0 ? 10 : 200;
        for (let i = 0; i < n; i++) args.push(`field${i}`, word(kind === 0 ? 12 : 50));
        f.cmd('HSET', k, ...args);
        bytes = n * (kind === 0 ? 20 : 60);
      } else if (kind === 2) {
        const n = 100 + Math.floor(rnd() * 900);
        for (let i = 0; i < n; i++) args.push(word(30));
        f.cmd('RPUSH', k, ...args);
        bytes = n * 30;
      } else if (kind === 3) {
        for (let i = 0; i < 100; i++) args.push(Math.floor(rnd() * 1e9));
        f.cmd('SADD', k, ...args);
        bytes = 800;
      } else if (kind === 4) {
        for (let i = 0; i < 200; i++) args.push(`member:${word(20)}`);
        f.cmd('SADD', k, ...args);
        bytes = 200 * 27;
      } else if (kind === 5 || kind === 6) {
        const n = kind === 5 ? 50 : 300;
        for (let i = 0; i < n; i++) args.push((rnd() * 1e6).toFixed(3), `m:${word(16)}`);
        f.cmd('ZADD', k, ...args);
        bytes = n * 28;
      } else {
        if (rnd() < 0.05) {
          for (let i = 1; i <= 1000; i++) f.cmd('XADD', k, `${1700000000000 + i}-0`, 'event', word(8), 'user', word(10), 'n', i);
          f.cmd('XGROUP', 'CREATE', k, 'g', '0');
          f.cmd('XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '50', 'STREAMS', k, '>');
          bytes = 1000 * 40;
        } else {
          f.cmd('SET', k, word(40));
          bytes = 40;
        }
      }
      ttl(k);
      otherBytes += bytes;
    }
    keys++;
  }
  f.close();
  const written = await withServer({}, async (port, dir) => {
    pipe(port, tmp);
    const n = dbsize(port);
    save(port, dir, target);
    return n;
  });
  fs.rmSync(tmp);
  fs.writeFileSync(target + '.json', JSON.stringify({ keys: written }));
  return written;
}

/** The huge-values dump for the memory check. */
export async function makeHuge(target) {
  const rnd = prng(999);
  const tmp = target + '.resp';
  const f = new RespFile(tmp);
  const batch = (cmd, key, n, make) => {
    for (let i = 0; i < n; i += 1000) {
      const args = [];
      for (let j = i; j < Math.min(n, i + 1000); j++) args.push(...make(j));
      f.cmd(cmd, key, ...args);
    }
  };
  batch('RPUSH', 'biglist', 4_000_000, (i) => [`element:${i}`]);
  batch('SADD', 'bigset', 1_000_000, (i) => [`member:${i}`]);
  batch('HSET', 'bighash', 1_000_000, (i) => [`field:${i}`, `value:${i}`]);
  batch('ZADD', 'bigzset', 1_000_000, (i) => [String(i / 7), `zmember:${i}`]);
  const piece = Buffer.alloc(8 << 20);
  for (let p = 0; p < 25; p++) {
    for (let i = 0; i < piece.length; i++) piece[i] = Math.floor(rnd() * 256);
    f.cmd('APPEND', 'bigstring', piece);
  }
  f.close();
  await withServer({ 'client-query-buffer-limit': '1gb', 'proto-max-bulk-len': '1gb' }, async (port, dir) => {
    pipe(port, tmp);
    save(port, dir, target);
  });
  fs.rmSync(tmp);
  fs.writeFileSync(target + '.json', JSON.stringify({ keys: 5, list: 4_000_000, set: 1_000_000, hash: 1_000_000, zset: 1_000_000, string: 25 * (8 << 20) }));
}
