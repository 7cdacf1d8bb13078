/**
 * Real-server test infrastructure: start and stop throw-away `redis-server`
 * processes, and read back everything a server holds as independent truth
 * (design.md §1.7: "real servers are the judges").
 *
 * Every server runs on a free loopback port in its own temporary directory,
 * with persistence off (`save ""`, `appendonly no`) and `DEBUG` enabled. A
 * server is stopped by, in order of preference: its own `stop()`, the
 * `afterAll` of the `describeRedis` block that started it, a process `exit`
 * hook, and — on Linux, where `setpriv` exists — the kernel's parent-death
 * signal, so a crashed test worker does not leave servers behind.
 *
 * Environment:
 * - `RDBKIT_REQUIRE_REDIS=1`: a missing `redis-server` fails the tests
 *   instead of skipping them (CI sets this).
 * - `RDBKIT_REDIS_SERVER`: path of the server binary (default: `redis-server`
 *   on `PATH`), e.g. to run the suite against another build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, quoteConfigValue, REDIS_BASE_CONFIG, scanAllKeys } from '../../scripts/shared.mjs';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';

// ---------------------------------------------------------------------------
// Locating binaries

/** Absolute path of an executable on `PATH`, or null. */
export function findExecutable(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? path.resolve(name) : null;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Path of the `redis-server` binary the tests use, or null when there is none. */
export const redisServerPath: string | null = findExecutable(process.env.RDBKIT_REDIS_SERVER ?? 'redis-server');

/** Path of `redis-check-rdb` (installed next to `redis-server`), or null. */
export const redisCheckRdbPath: string | null = (() => {
  if (redisServerPath !== null) {
    const sibling = path.join(path.dirname(redisServerPath), 'redis-check-rdb');
    if (isExecutable(sibling)) return sibling;
  }
  return findExecutable('redis-check-rdb');
})();

/** Whether `redis-server` was found, i.e. whether real-server tests can run. */
export const redisAvailable: boolean = redisServerPath !== null;

/** Whether `RDBKIT_REQUIRE_REDIS=1` asks for a missing server to be a failure. */
export const redisRequired: boolean = process.env.RDBKIT_REQUIRE_REDIS === '1';

const SKIP_MESSAGE =
  'redis-server not found: skipping real-server tests; install it (apt-get install redis-server) or these tests are not run';
const REQUIRED_MESSAGE = 'redis-server is required (RDBKIT_REQUIRE_REDIS=1) but not found';

const warned = new Set<string>();
/** Prints `message` once per process, loudly. */
function warnSkipped(message = SKIP_MESSAGE): void {
  if (warned.has(message)) return;
  warned.add(message);
  const bar = '!'.repeat(100);
  console.warn(`\n${bar}\n!!! ${message}\n${bar}\n`);
}

/**
 * For use inside a test: true when `redis-server` is available. When it is
 * missing, prints a loud warning and returns false (the caller returns or
 * skips), unless `RDBKIT_REQUIRE_REDIS=1`, in which case it throws so that the
 * test fails.
 */
export function requireRedisOrSkip(): boolean {
  if (redisAvailable) return true;
  if (redisRequired) throw new Error(REQUIRED_MESSAGE);
  warnSkipped();
  return false;
}

/**
 * `describe` for suites that need a real server.
 *
 * - server available: a plain `describe`; every server started by
 *   `startRedis`/`startRedisWithRdb` while the block runs (hooks included) is
 *   stopped in the block's `afterAll`, whether the tests passed or not;
 * - missing, not required: `describe.skip`, with a loud console warning;
 * - missing and `RDBKIT_REQUIRE_REDIS=1`: a block holding one failing test.
 */
export function describeRedis(name: string, fn: () => void): void {
  if (redisAvailable) {
    describe(name, () => {
      const scope = new Set<RedisServer>();
      beforeAll(() => {
        scopes.push(scope);
      });
      afterAll(async () => {
        const i = scopes.lastIndexOf(scope);
        if (i >= 0) scopes.splice(i, 1);
        await Promise.allSettled([...scope].map((s) => s.stop()));
      });
      fn();
    });
  } else if (redisRequired) {
    describe(name, () => {
      it(REQUIRED_MESSAGE, () => {
        throw new Error(REQUIRED_MESSAGE);
      });
    });
  } else {
    warnSkipped();
    describe.skip(name, fn);
  }
}

/** A Valkey server (Debian: `apt-get install -t bookworm-backports valkey-server`), or null. */
export const valkeyServerPath: string | null = findExecutable(process.env.RDBKIT_VALKEY_SERVER ?? 'valkey-server');

/** Whether `RDBKIT_REQUIRE_VALKEY=1` asks for a missing Valkey server to be a failure (.ci/run sets it once it has installed one). */
export const valkeyRequired: boolean = process.env.RDBKIT_REQUIRE_VALKEY === '1';

const VALKEY_SKIP_MESSAGE =
  'valkey-server not found: skipping the tests with a real Valkey server; install it (apt-get install -t bookworm-backports valkey-server) or these tests are not run';
const VALKEY_REQUIRED_MESSAGE = 'valkey-server is required (RDBKIT_REQUIRE_VALKEY=1) but not found';

/** `requireRedisOrSkip` for valkey-server and `RDBKIT_REQUIRE_VALKEY=1`. */
export function requireValkeyOrSkip(): boolean {
  if (valkeyServerPath !== null) return true;
  if (valkeyRequired) throw new Error(VALKEY_REQUIRED_MESSAGE);
  warnSkipped(VALKEY_SKIP_MESSAGE);
  return false;
}

/**
 * `describeRedis` for suites that also need a Valkey server: skipped with a
 * loud warning when valkey-server is missing, failing instead when
 * `RDBKIT_REQUIRE_VALKEY=1`.
 */
export function describeValkey(name: string, fn: () => void): void {
  if (valkeyServerPath !== null) {
    describeRedis(name, fn);
  } else if (valkeyRequired) {
    describe(name, () => {
      it(VALKEY_REQUIRED_MESSAGE, () => {
        throw new Error(VALKEY_REQUIRED_MESSAGE);
      });
    });
  } else {
    warnSkipped(VALKEY_SKIP_MESSAGE);
    describe.skip(name, fn);
  }
}

// ---------------------------------------------------------------------------
// Process bookkeeping

/** Servers not yet stopped, killed synchronously if the process exits. */
const live = new Set<RedisServer>();
/** Open `describeRedis` blocks, innermost last. */
const scopes: Set<RedisServer>[] = [];

process.once('exit', () => {
  for (const server of live) server.killNow();
});

/** Stops every server this process started and has not stopped yet. */
export async function stopAllRedis(): Promise<void> {
  await Promise.allSettled([...live].map((s) => s.stop()));
}

// ---------------------------------------------------------------------------
// Starting a server

export interface StartRedisOptions {
  /** Extra configuration directives (`name → value`), written to the config file. */
  config?: Record<string, string>;
  /** Extra command-line arguments, after the config file (e.g. `['--loglevel', 'debug']`). */
  args?: string[];
  /** Milliseconds to wait for the server to answer PING (default 10 000). */
  timeoutMs?: number;
  /** The server binary (default: redis-server; `valkeyServerPath` for a Valkey server). */
  server?: string;
}

export interface RedisHandle {
  /** TCP port on 127.0.0.1 (may change across `restartWith`). */
  readonly port: number;
  /** The server's working directory (a fresh temp dir); holds `dump.rdb`. */
  readonly dir: string;
  /** A connected ioredis client; replaced by a new one on `restartWith`, so read it each time. */
  readonly client: Redis;
  /** The server's output so far (its log, since `logfile ""`). */
  log(): string;
  /** Path of `dump.rdb` in `dir`. */
  rdbPath(): string;
  /** Runs SAVE and returns the bytes of the dump it wrote. */
  save(): Promise<Buffer>;
  /** Stops the server, writes `rdbBytes` as `dump.rdb`, starts it again on the same dir so it loads them. */
  restartWith(rdbBytes: Uint8Array): Promise<void>;
  /** Stops the server (SHUTDOWN NOSAVE, then kill) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Thrown when a server does not come up; `log` holds its output (e.g. why it refused an RDB). */
export class RedisStartError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(log.trim() === '' ? message : `${message}\n--- redis-server output ---\n${log.trimEnd()}`);
    this.name = 'RedisStartError';
  }
}

const BASE_CONFIG: [string, string][] = Object.entries(REDIS_BASE_CONFIG);

const setprivPath = process.platform === 'linux' ? findExecutable('setpriv') : null;
const LOG_LIMIT = 256 * 1024;

export { freePort };

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Sends one inline command on a fresh connection and returns the first reply line (or null). */
function rawCommand(port: number, command: string, timeoutMs = 1000): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    let done = false;
    const finish = (v: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write(command + '\r\n'));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\r\n');
      if (nl >= 0) finish(buf.slice(0, nl));
    });
    sock.on('error', () => finish(null));
    sock.on('close', () => finish(buf === '' ? null : buf));
  });
}

class RedisServer implements RedisHandle {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private currentPort = 0;
  private currentClient: Redis | null = null;
  private stopped = false;

  constructor(
    readonly dir: string,
    private readonly confPath: string,
    private readonly args: string[],
    private readonly timeoutMs: number,
    private readonly binary: string | null = redisServerPath,
  ) {}

  get port(): number {
    return this.currentPort;
  }

  get client(): Redis {
    if (this.currentClient === null) throw new Error('redis server is not running');
    return this.currentClient;
  }

  log(): string {
    return this.output;
  }

  rdbPath(): string {
    return path.join(this.dir, 'dump.rdb');
  }

  async save(): Promise<Buffer> {
    await this.client.call('SAVE');
    return readFile(this.rdbPath());
  }

  async restartWith(rdbBytes: Uint8Array): Promise<void> {
    await this.stopProcess();
    await writeFile(this.rdbPath(), rdbBytes);
    await this.start(this.currentPort);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.stopProcess();
    } finally {
      live.delete(this);
      for (const scope of scopes) scope.delete(this);
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  /** Synchronous last resort, for the process `exit` hook. */
  killNow(): void {
    try {
      this.child?.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }

  /** Starts the process, preferring `preferredPort`, retrying on port collisions. */
  async start(preferredPort?: number): Promise<void> {
    let lastError: RedisStartError | null = null;
    for (let attempt = 0; attempt < 6; attempt++) {
      const port = attempt === 0 && preferredPort !== undefined && preferredPort > 0 ? preferredPort : await freePort();
      try {
        await this.startOn(port);
        return;
      } catch (err) {
        if (err instanceof RedisStartError && /Address already in use/i.test(err.log)) {
          lastError = err;
          continue;
        }
        throw err;
      }
    }
    throw lastError ?? new RedisStartError('redis-server did not start', this.output);
  }

  private async startOn(port: number): Promise<void> {
    if (this.binary === null) throw new Error(REQUIRED_MESSAGE);
    const serverArgv = [this.binary, this.confPath, '--port', String(port), ...this.args];
    // setpriv --pdeathsig: the kernel kills the server if this worker dies without cleaning up.
    const argv = setprivPath !== null ? [setprivPath, '--pdeathsig', 'KILL', '--', ...serverArgv] : serverArgv;
    const startOffset = this.output.length;
    const child = spawn(argv[0]!, argv.slice(1), { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.currentPort = port;
    live.add(this);
    const append = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      if (this.output.length > LOG_LIMIT) this.output = this.output.slice(-LOG_LIMIT);
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    let exitInfo: string | null = null;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = signal !== null ? `signal ${signal}` : `exit code ${code}`;
        resolve();
      });
      child.once('error', (err) => {
        exitInfo = `spawn error: ${err.message}`;
        resolve();
      });
    });

    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (exitInfo !== null) {
        await sleep(20); // let the last output arrive
        this.child = null;
        throw new RedisStartError(
          `redis-server exited during start-up (${exitInfo}) on port ${port}`,
          this.output.slice(startOffset),
        );
      }
      const reply = await rawCommand(port, 'PING', 500);
      if (reply === '+PONG') break;
      if (Date.now() > deadline) {
        await this.stopProcess();
        throw new RedisStartError(
          `redis-server did not answer PING on port ${port} within ${this.timeoutMs} ms (last reply: ${reply ?? 'none'})`,
          this.output.slice(startOffset),
        );
      }
      await sleep(25);
    }

    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: false,
      maxRetriesPerRequest: 2,
      connectTimeout: 5000,
      retryStrategy: (times) => (times > 5 ? null : 50),
    });
    client.on('error', () => {
      /* commands reject on their own; avoid "Unhandled error event" noise */
    });
    this.currentClient = client;
    await client.ping();
  }

  /** Stops the process but keeps the directory. */
  private async stopProcess(): Promise<void> {
    const client = this.currentClient;
    this.currentClient = null;
    client?.disconnect();
    const child = this.child;
    if (child === null) return;
    if (child.exitCode === null && child.signalCode === null) {
      await rawCommand(this.currentPort, 'SHUTDOWN NOSAVE', 2000);
      if (!(await exitedWithin(this.exited, 5000))) {
        child.kill('SIGKILL');
        await exitedWithin(this.exited, 5000);
      }
    }
    this.child = null;
  }
}

async function exitedWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([exited.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a fresh server in a new temp directory, filled first by `prepare(dir)`
 * when given; the directory is removed on stop (also when the start fails).
 */
async function createServer(opts: StartRedisOptions, prepare?: (dir: string) => Promise<void> | void): Promise<RedisServer> {
  if (redisServerPath === null) {
    if (redisRequired) throw new Error(REQUIRED_MESSAGE);
    warnSkipped();
    throw new Error(SKIP_MESSAGE);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rdbkit-redis-'));
  const confPath = path.join(dir, 'redis.conf');
  const lines = [...BASE_CONFIG, ['dir', dir] as [string, string], ...Object.entries(opts.config ?? {})].map(
    ([k, v]) => `${k} ${quoteConfigValue(v)}`,
  );
  await writeFile(confPath, lines.join('\n') + '\n');
  const server = new RedisServer(dir, confPath, opts.args ?? [], opts.timeoutMs ?? 10_000, opts.server ?? redisServerPath);
  live.add(server);
  scopes.at(-1)?.add(server);
  try {
    await prepare?.(dir);
    await server.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * Starts `redis-server` on a free loopback port in a fresh temp directory
 * (`bind 127.0.0.1`, `save ""`, `appendonly no`, `enable-debug-command yes`,
 * plus `opts.config`) and resolves once it answers PING.
 */
export function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  return createServer(opts);
}

/**
 * Starts a fresh server whose directory holds `rdb` as `dump.rdb`, so the
 * server loads it at start-up. Rejects with a `RedisStartError` carrying the
 * server's log when it refuses the file.
 */
export function startRedisWithRdb(
  rdb: Uint8Array,
  config?: Record<string, string>,
  opts: Omit<StartRedisOptions, 'config'> = {},
): Promise<RedisHandle> {
  return createServer(
    config === undefined ? opts : { ...opts, config },
    rdb === undefined ? undefined : (dir) => writeFile(path.join(dir, 'dump.rdb'), rdb),
  );
}

// ---------------------------------------------------------------------------
// Reading a server back

export interface StreamPending {
  id: string;
  consumer: Buffer;
  deliveryTime: number;
  deliveryCount: number;
}

export interface StreamConsumer {
  name: Buffer;
  seenTime: number;
  /** `active-time` (Redis ≥ 7.2); null when the server does not report it. */
  activeTime: number | null;
  pelCount: number;
  pending: { id: string; deliveryTime: number; deliveryCount: number }[];
}

export interface StreamGroup {
  name: Buffer;
  lastDeliveredId: string;
  /** null when the server reports nil or does not know the field (< 7.0). */
  entriesRead: number | null;
  lag: number | null;
  pelCount: number;
  pending: StreamPending[];
  consumers: StreamConsumer[];
}

export interface StreamValue {
  length: number;
  lastGeneratedId: string;
  /** `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id` (Redis ≥ 7.0), else null. */
  maxDeletedEntryId: string | null;
  entriesAdded: number | null;
  recordedFirstEntryId: string | null;
  /** Entries in ID order: `[id, [field, value, …]]`. */
  entries: [string, Buffer[]][];
  groups: StreamGroup[];
}

export type SnapshotValue =
  | Buffer // string, or DUMP payload of a module value
  | Buffer[] // list (in order), set (sorted bytewise)
  | [Buffer, string][] // zset: [member, score as the server prints it], server order
  | [Buffer, Buffer][] // hash: [field, value], sorted by field bytes
  | StreamValue;

export interface KeySnapshot {
  key: Buffer;
  /** TYPE: string, list, set, zset, hash, stream, or a module type name. */
  type: string;
  /** OBJECT ENCODING (omitted with `{ encoding: false }`). */
  encoding?: string;
  /** PEXPIRETIME: absolute Unix ms, or null when the key has no expiry. */
  pexpiretime: number | null;
  value: SnapshotValue;
}

/** Keys per database number (only databases that hold keys), each list sorted by key bytes. */
export type ServerSnapshot = Record<number, KeySnapshot[]>;

export interface SnapshotOptions {
  /** Include OBJECT ENCODING (default true). Turn off when comparing across writers that may re-encode. */
  encoding?: boolean;
}

/** Database numbers that hold keys, from INFO keyspace. */
export async function keyspaceDbs(client: Redis): Promise<number[]> {
  const info = await client.info('keyspace');
  const dbs: number[] = [];
  for (const m of info.matchAll(/^db(\d+):keys=(\d+)/gm)) {
    if (Number(m[2]) > 0) dbs.push(Number(m[1]));
  }
  return dbs.sort((a, b) => a - b);
}

const str = (b: unknown): string => (Buffer.isBuffer(b) ? b.toString('latin1') : String(b));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(str(v)));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : str(v));

/** A flat RESP2 `[name, value, name, value, …]` reply as a Map with string names. */
function pairs(reply: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out.set(str(reply[i]), reply[i + 1]);
  return out;
}

/** Reads a stream with XRANGE and XINFO STREAM FULL COUNT 0. */
export async function readStream(conn: Redis, key: Buffer): Promise<StreamValue> {
  const range = (await conn.xrangeBuffer(key, '-', '+')) as unknown as [Buffer, Buffer[]][];
  const info = pairs(await conn.callBuffer('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0'));
  const groups = ((info.get('groups') as unknown[] | null) ?? []).map((g): StreamGroup => {
    const gi = pairs(g);
    return {
      name: gi.get('name') as Buffer,
      lastDeliveredId: str(gi.get('last-delivered-id')),
      entriesRead: numOrNull(gi.get('entries-read')),
      lag: numOrNull(gi.get('lag')),
      pelCount: num(gi.get('pel-count')),
      pending: ((gi.get('pending') as unknown[][] | null) ?? []).map((p) => ({
        id: str(p[0]),
        consumer: p[1] as Buffer,
        deliveryTime: num(p[2]),
        deliveryCount: num(p[3]),
      })),
      consumers: ((gi.get('consumers') as unknown[] | null) ?? []).map((c) => {
        const ci = pairs(c);
        return {
          name: ci.get('name') as Buffer,
          seenTime: num(ci.get('seen-time')),
          activeTime: numOrNull(ci.get('active-time')),
          pelCount: num(ci.get('pel-count')),
          pending: ((ci.get('pending') as unknown[][] | null) ?? []).map((p) => ({
            id: str(p[0]),
            deliveryTime: num(p[1]),
            deliveryCount: num(p[2]),
          })),
        };
      }),
    };
  });
  return {
    length: num(info.get('length')),
    lastGeneratedId: str(info.get('last-generated-id')),
    maxDeletedEntryId: strOrNull(info.get('max-deleted-entry-id')),
    entriesAdded: numOrNull(info.get('entries-added')),
    recordedFirstEntryId: strOrNull(info.get('recorded-first-entry-id')),
    entries: range.map(([id, fields]) => [str(id), fields]),
    groups,
  };
}

/** Reads one key's value with the Buffer variants of the type's read commands. */
export async function readValue(conn: Redis, key: Buffer, type: string): Promise<SnapshotValue> {
  switch (type) {
    case 'string':
      return (await conn.getBuffer(key)) ?? Buffer.alloc(0);
    case 'list':
      return conn.lrangeBuffer(key, 0, -1);
    case 'set':
      return (await conn.smembersBuffer(key)).sort(Buffer.compare);
    case 'zset': {
      const flat = await conn.zrangeBuffer(key, 0, -1, 'WITHSCORES');
      const out: [Buffer, string][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!.toString('latin1')]);
      return out;
    }
    case 'hash': {
      // Not HGETALL: ioredis turns its reply into an object with string keys, which loses bytes.
      const fields = (await conn.hkeysBuffer(key)).sort(Buffer.compare);
      if (fields.length === 0) return [];
      const values = await conn.hmgetBuffer(key, ...fields);
      return fields.map((f, i): [Buffer, Buffer] => [f, values[i] ?? Buffer.alloc(0)]);
    }
    case 'stream':
      return readStream(conn, key);
    default:
      // Module types: the serialised value is the best independent view we have.
      return ((await conn.callBuffer('DUMP', key)) as Buffer | null) ?? Buffer.alloc(0);
  }
}

/**
 * Everything the server holds, read through its own commands (never through
 * rdbkit): for each database with keys, each key's TYPE, OBJECT ENCODING,
 * PEXPIRETIME and value. Uses its own connection, so `client`'s selected
 * database is left alone. Reading values touches LRU/LFU data: read
 * OBJECT IDLETIME/FREQ first when they matter.
 */
export async function snapshot(client: Redis, opts: SnapshotOptions = {}): Promise<ServerSnapshot> {
  const conn = client.duplicate({ lazyConnect: false });
  conn.on('error', () => {});
  try {
    const out: ServerSnapshot = {};
    for (const db of await keyspaceDbs(conn)) {
      await conn.select(db);
      const keys: KeySnapshot[] = [];
      for (const key of await scanAllKeys(conn)) {
        const type = str(await conn.callBuffer('TYPE', key));
        const pexp = num(await conn.call('PEXPIRETIME', key));
        const snap: KeySnapshot = { key, type, pexpiretime: pexp >= 0 ? pexp : null, value: Buffer.alloc(0) };
        if (opts.encoding !== false) snap.encoding = str(await conn.call('OBJECT', 'ENCODING', key));
        snap.value = await readValue(conn, key, type);
        keys.push(snap);
      }
      out[db] = keys;
    }
    return out;
  } finally {
    conn.disconnect();
  }
}

/** DEBUG DIGEST: a hex digest of the whole dataset (all zeros when empty). */
export async function debugDigest(client: Redis): Promise<string> {
  return str(await client.call('DEBUG', 'DIGEST'));
}

/** DEBUG DIGEST-VALUE of one key in the client's selected database. */
export async function debugDigestValue(client: Redis, key: string | Uint8Array): Promise<string> {
  const reply = (await client.call('DEBUG', 'DIGEST-VALUE', Buffer.from(key))) as unknown[];
  return str(reply[0]);
}

/**
 * Starts a fresh server whose directory is first filled by `prepare(dir)`
 * (e.g. with an `appendonlydir` to load at start-up, with `appendonly yes`
 * in `config`). Rejects with a `RedisStartError` carrying the server's log
 * when it refuses the files; the directory is removed either way on stop.
 */
export async function startRedisPrepared(
  prepare: (dir: string) => Promise<void> | void,
  opts: StartRedisOptions = {},
): Promise<RedisHandle> {
  return createServer(opts, prepare);
}
