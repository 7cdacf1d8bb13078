// Small helpers shared by the fixture script, the benchmark and the tests.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';

/** A loopback port that was free a moment ago (bind 0, read, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** Quotes a config value the way Redis's config parser (sdssplitargs) reads it. */
export function quoteConfigValue(value) {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += '\\' + String.fromCharCode(byte);
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += '\\x' + byte.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** A seeded PRNG (mulberry32) returning numbers in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The settings every test and fixture server starts with (before its own `dir` and config). */
export const REDIS_BASE_CONFIG = {
  bind: '127.0.0.1',
  save: '',
  appendonly: 'no',
  daemonize: 'no',
  dbfilename: 'dump.rdb',
  logfile: '',
  'enable-debug-command': 'yes',
};

/** Writes `dir`/redis.conf: the base settings, `dir`, then `config` (a key in `config` replaces the base one); returns its path. */
export function writeRedisConf(dir, config) {
  const confPath = path.join(dir, 'redis.conf');
  fs.writeFileSync(
    confPath,
    Object.entries({ ...REDIS_BASE_CONFIG, dir, ...config })
      .map(([k, v]) => `${k} ${quoteConfigValue(v)}`)
      .join('\n') + '\n',
  );
  return confPath;
}

/** Every key of the currently selected database of `client` (ioredis), each once, sorted bytewise. */
export async function scanAllKeys(client) {
  const keys = new Map();
  let cursor = '0';
  do {
    const [next, batch] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    for (const k of batch) keys.set(k.toString('hex'), k);
  } while (cursor !== '0');
  return [...keys.values()].sort(Buffer.compare);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** redis-server processes started by launchRedis and not yet stopped; killed when Node exits. */
const liveChildren = new Set();
let exitHookInstalled = false;

/**
 * Runs `server` (a redis-server binary) on `confPath` with `cwd` on a free
 * loopback port (up to 5 ports while the port is taken) and waits up to
 * `readyMs` for PING, polling every `pollMs`. Resolves to
 * { port, pid, client, log(), stop() }; stop() disconnects and ends the
 * process. Rejects with an Error carrying the server's output in `.log` when
 * the server does not come up.
 */
export async function launchRedis(server, confPath, { cwd, readyMs, pollMs }) {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const child of liveChildren) child.kill('SIGKILL');
    });
  }
  let lastLog = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(server, [confPath, '--port', String(port)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    liveChildren.add(child);
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    let exited = false;
    const exitPromise = new Promise((r) => child.once('exit', () => ((exited = true), r())));
    child.once('error', (e) => {
      log += `spawn error: ${e.message}\n`;
      exited = true;
    });
    const deadline = Date.now() + readyMs;
    let client = null;
    while (!exited && Date.now() < deadline) {
      const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') {
          client = probe;
          break;
        }
      } catch {
        /* not up yet (or still loading) */
      }
      probe.disconnect();
      await sleep(pollMs);
    }
    if (client) {
      client.options.maxRetriesPerRequest = 1;
      return {
        port,
        pid: child.pid,
        client,
        log: () => log,
        async stop() {
          client.disconnect();
          if (!exited) child.kill('SIGTERM');
          await Promise.race([exitPromise, sleep(5000)]);
          if (!exited) child.kill('SIGKILL');
          await exitPromise;
          liveChildren.delete(child);
        },
      };
    }
    if (!exited) child.kill('SIGKILL');
    await exitPromise;
    liveChildren.delete(child);
    lastLog = log;
    if (/Address already in use/.test(log)) continue;
    const err = new Error(`redis-server did not start:\n${log}`);
    err.log = log;
    throw err;
  }
  const err = new Error(`redis-server: no free port after 5 attempts\n${lastLog}`);
  err.log = lastLog;
  throw err;
}
