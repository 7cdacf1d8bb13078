/**
 * Helpers for the AOF tests: running the `rdbkit` CLI and `redis-check-aof`,
 * loading RESP into a server with `redis-cli --pipe`, starting a server on a
 * copy of an AOF directory (what redis-server itself loads), and comparing
 * server truths (DEBUG DIGEST, per-key DIGEST-VALUE, functions).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { REDIS_CHECK_AOF, serverTruth, splitResp, type ServerTruth } from '../../scripts/make-aof-fixtures.mjs';
import { repoRoot } from './corpus.js';
import { prng } from '../../scripts/shared.mjs';
import { findExecutable, RedisStartError, startRedis, startRedisPrepared, type RedisHandle } from './redis.js';

export { serverTruth, type ServerTruth };

export const bin = path.join(repoRoot, 'bin/rdbkit.js');
export const aofFixtures = path.join(repoRoot, 'fixtures/aof');
export const redisCheckAofPath: string | null = findExecutable(REDIS_CHECK_AOF);
export const redisCliPath: string | null = findExecutable('redis-cli');

/** The recorded facts of a committed fixture (`fixtures/aof/<name>.expected.json`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const expectedOf = (name: string): any => JSON.parse(readFileSync(path.join(aofFixtures, `${name}.expected.json`), 'utf8'));

/** Whether an AOF part is an RDB (starts with the `REDIS` magic). */
export const isRdb = (b: Buffer): boolean => b.subarray(0, 5).toString('latin1') === 'REDIS';

/** Every item of an async iterable, in order. */
export async function collectAll<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const ev of gen) out.push(ev);
  return out;
}

/** `bytes` in consecutive chunks whose lengths `next()` gives (at least 1 byte each). */
export function* chunks(bytes: Uint8Array, next: () => number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, next());
    yield bytes.slice(i, i + n);
    i += n;
  }
}

export interface CliResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs `node bin/rdbkit.js …args` synchronously. */
export function rdbkit(args: string[], input?: Buffer): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], { input, maxBuffer: 1 << 30, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** Runs `node bin/rdbkit.js …args` asynchronously (several can run at once). */
export function rdbkitAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
  });
}

export interface CheckAofFile {
  file: string;
  size: number;
  okUpTo: number;
}

export interface CheckAofResult {
  status: number;
  stdout: string;
  /** Every `AOF analyzed:` line, in order (one per file checked). */
  files: CheckAofFile[];
  /** The last analysed file (the one that stopped the check when it failed). */
  last: CheckAofFile | null;
}

/** Number of keys redis-check-aof reports reading from the RDB base of an AOF directory ("[info] N keys read"), or null. */
export function rdbKeysRead(dir: string): number | null {
  if (redisCheckAofPath === null) return null;
  const m = /\[info\] (\d+) keys read/.exec(redisCheckAof(manifestOf(dir)).stdout);
  return m ? Number(m[1]) : null;
}

/** Runs `redis-check-aof [extra…] target` (never with a confirmation: stdin is empty). */
export function redisCheckAof(target: string, extra: string[] = [], input = ''): CheckAofResult {
  const r = spawnSync(redisCheckAofPath ?? REDIS_CHECK_AOF, [...extra, target], { encoding: 'latin1', input, timeout: 30_000 });
  const files = [...(r.stdout ?? '').matchAll(/AOF analyzed: filename=(.*?), size=(\d+), ok_up_to=(\d+)/g)].map((m) => ({
    file: path.basename(m[1]!),
    size: Number(m[2]),
    okUpTo: Number(m[3]),
  }));
  return { status: r.status ?? -1, stdout: r.stdout ?? '', files, last: files.at(-1) ?? null };
}

/** `redis-cli -p port --pipe` with `input`; returns its errors / replies counts. */
export function pipeInto(port: number, input: Buffer): { errors: number; replies: number; output: string } {
  const r = spawnSync(redisCliPath ?? 'redis-cli', ['-p', String(port), '--pipe'], { input, encoding: 'utf8', timeout: 60_000 });
  const m = /errors: (\d+), replies: (\d+)/.exec(r.stdout ?? '');
  if (m === null) throw new Error(`redis-cli --pipe failed:\n${r.stdout}\n${r.stderr}`);
  return { errors: Number(m[1]), replies: Number(m[2]), output: `${r.stdout}${r.stderr}` };
}

/** Empties a server (keys and functions) so it can be reused as a load target. */
export async function resetServer(server: RedisHandle): Promise<void> {
  await server.client.call('FLUSHALL');
  await server.client.call('FUNCTION', 'FLUSH');
}

/** A fresh temp directory (removed by `cleanupTemp`). */
const temps: string[] = [];
export function tempDir(prefix = 'rdbkit-aof-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
}
export function cleanupTemp(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * For a describe block: starts a server before its tests (the target that
 * converted RESP is loaded into) and removes the temp dirs after them.
 * Returns the server (valid once the tests run).
 */
export function useLoadTarget(): () => RedisHandle {
  let target: RedisHandle | undefined;
  beforeAll(async () => {
    target = await startRedis();
  });
  afterAll(() => cleanupTemp());
  return () => target!;
}

/** Copies an AOF directory to a new temp dir; returns the copy's path. */
export function copyDir(src: string): string {
  const d = path.join(tempDir(), path.basename(src));
  cpSync(src, d, { recursive: true });
  return d;
}

/** Name of the manifest file in an AOF directory. */
export function manifestOf(dir: string): string {
  const m = readdirSync(dir).find((f) => f.endsWith('.manifest'));
  if (m === undefined) throw new Error(`no manifest in ${dir}`);
  return path.join(dir, m);
}

/**
 * Starts redis-server 7.0 with `appendonly yes`, `aof-load-truncated yes` on
 * a copy of `aofDir` (as its `appenddirname`). Resolves to the server (the
 * caller reads its truth), or rejects with a RedisStartError (it refused).
 */
export function startOnAofDir(aofDir: string, config: Record<string, string> = {}): Promise<RedisHandle> {
  return startRedisPrepared(
    (dir) => {
      cpSync(aofDir, path.join(dir, 'aofdir'), { recursive: true });
    },
    { config: { appendonly: 'yes', 'aof-load-truncated': 'yes', appenddirname: 'aofdir', ...config } },
  );
}

/** Starts redis-server 7.0 with `appendonly yes` on a legacy single-file AOF (copied as `appendonly.aof`). */
export function startOnLegacyAof(file: string, config: Record<string, string> = {}): Promise<RedisHandle> {
  return startRedisPrepared(
    (dir) => {
      cpSync(file, path.join(dir, 'appendonly.aof'));
    },
    { config: { appendonly: 'yes', 'aof-load-truncated': 'yes', ...config } },
  );
}

/** Asserts two server truths are the same data (digest, per-key digests, functions). */
export function expectSameTruth(got: ServerTruth, want: Pick<ServerTruth, 'digest' | 'dbs' | 'functions'>, what = ''): void {
  expect(got.dbs, `${what}: keys and per-key DEBUG DIGEST-VALUE`).toEqual(want.dbs);
  expect(got.functions, `${what}: FUNCTION LIST`).toEqual(want.functions);
  expect(got.digest, `${what}: DEBUG DIGEST`).toBe(want.digest);
}

/** Loads `resp` into `target` (emptied first) with redis-cli --pipe (0 errors) and returns its truth. */
export async function loadResp(target: RedisHandle, resp: Buffer, what = ''): Promise<ServerTruth> {
  await resetServer(target);
  const pipe = pipeInto(target.port, resp);
  expect(pipe.errors, `${what}: redis-cli --pipe errors\n${pipe.output}`).toBe(0);
  return serverTruth(target.client);
}

/**
 * Replays `resp` into `target` (emptied first) with redis-cli --pipe, command
 * errors allowed (as redis-server ignores them while loading); returns the
 * truth and the pipe result.
 */
export async function replayResp(
  target: RedisHandle,
  resp: Buffer,
): Promise<{ truth: ServerTruth; pipe: ReturnType<typeof pipeInto> }> {
  await resetServer(target);
  const pipe = pipeInto(target.port, resp);
  return { truth: await serverTruth(target.client), pipe };
}

/**
 * Runs `rdbkit …args` (a `resp` conversion; `input` on stdin), which must
 * succeed, and checks that its output loaded into `target` gives `want`.
 * Returns the run.
 */
export async function expectRespGives(
  target: RedisHandle,
  args: string[],
  want: Pick<ServerTruth, 'digest' | 'dbs' | 'functions'>,
  what: string,
  input?: Buffer,
): Promise<CliResult> {
  const r = rdbkit(args, input);
  expect(r.code, `${what}: rdbkit ${args.join(' ')}\n${r.stderr}`).toBe(0);
  expectSameTruth(await loadResp(target, r.stdout, what), want, what);
  return r;
}

/**
 * Runs `rdbkit verify input` and checks it against redis-check-aof's `check`
 * of the same input: exit 0 when redis-check-aof finds it valid, else exit 1
 * and redis-check-aof's ok_up_to. Returns verify's output (stdout and stderr).
 */
export function expectVerifyAgrees(input: string, check: CheckAofResult, what: string): string {
  const verify = rdbkit(['verify', input]);
  const text = `${verify.stdout.toString()}${verify.stderr}`;
  const context = `${what}\n${check.stdout}\n--- rdbkit ---\n${text}`;
  expect(verify.code, context).toBe(check.status === 0 ? 0 : 1);
  if (check.status !== 0) expect(okUpToOf(text), `${context}\n(ok_up_to)`).toBe(check.last!.okUpTo);
  return text;
}

/** The `ok_up_to=N` rdbkit verify printed (the last one), or null. */
export function okUpToOf(text: string): number | null {
  const all = [...text.matchAll(/ok_up_to=(\d+)/g)];
  return all.length === 0 ? null : Number(all.at(-1)![1]);
}

/**
 * An event as a comparable JSON line: its documented fields only (command
 * events may be lazy objects whose `args` is a getter), byte strings as hex,
 * bigints as strings.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function normEvent(ev: any): string {
  const plain =
    ev.type === 'command'
      ? { type: ev.type, db: ev.db, args: ev.args, file: ev.file, offset: ev.offset, end: ev.end, ts: ev.ts }
      : ev;
  return JSON.stringify(plain, (_k, v) =>
    v instanceof Uint8Array ? `hex:${Buffer.from(v).toString('hex')}` : typeof v === 'bigint' ? `big:${v}` : v,
  );
}

/** Interesting cut offsets of a RESP part: around boundaries, headers, bulk data, MULTI blocks, annotations. */
export function sampleCuts(bytes: Buffer, seed: number, extra = 4): number[] {
  const s = splitResp(bytes);
  const out = new Set<number>([0, 1, bytes.length - 1]);
  const cmds = s.commands;
  const pick = (i: number) => cmds[Math.min(cmds.length - 1, Math.max(0, i))]!;
  const c1 = pick(Math.floor(cmds.length / 3));
  out.add(c1.offset); // at a boundary: valid
  out.add(c1.offset + 2); // inside "*N\r\n"
  out.add(c1.offset + 6); // inside the first "$len" line or bulk
  out.add(c1.end - 1); // the final \n missing
  const multi = cmds.find((c) => c.args[0]!.toString().toLowerCase() === 'multi' && c.offset > bytes.length / 2) ??
    cmds.find((c) => c.args[0]!.toString().toLowerCase() === 'multi');
  if (multi) {
    out.add(multi.end); // MULTI complete, nothing queued
    const inside = cmds.find((c) => c.offset > multi.offset)!;
    out.add(inside.end); // one queued command complete
    out.add(inside.offset + Math.floor((inside.end - inside.offset) / 2));
    const exec = cmds.find((c) => c.offset > multi.offset && c.args[0]!.toString().toLowerCase() === 'exec')!;
    out.add(exec.offset + 5); // inside EXEC
    out.add(exec.end); // right after EXEC: valid
  }
  const ann = s.annotations.find((a) => a.offset > 0) ?? s.annotations[0];
  if (ann) {
    out.add(ann.offset + 4); // "#TS:" then EOF
    out.add(ann.end - 1); // annotation without its \n
  }
  const rng = prng(seed);
  for (let i = 0; i < extra; i++) out.add(1 + Math.floor(rng() * (bytes.length - 1)));
  return [...out].filter((k) => k >= 0 && k < bytes.length).sort((a, b) => a - b);
}

/** The truth (and log) of the server `start` starts; the server is stopped afterwards. */
export async function truthOfServer(start: Promise<RedisHandle>): Promise<{ truth: ServerTruth; log: string }> {
  const s = await start;
  try {
    return { truth: await serverTruth(s.client), log: s.log() };
  } finally {
    await s.stop();
  }
}

/** What a redis-server started by `start` loads (or null when it refuses), and its log. */
async function truthOrRefusal(start: () => Promise<RedisHandle>): Promise<{ truth: ServerTruth | null; log: string }> {
  try {
    return await truthOfServer(start());
  } catch (err) {
    if (err instanceof RedisStartError) return { truth: null, log: err.log };
    throw err;
  }
}

/** What redis-server 7.0 loads from a broken dir (or null when it refuses), and its log. */
export function serverOnAofDir(dir: string): Promise<{ truth: ServerTruth | null; log: string }> {
  return truthOrRefusal(() => startOnAofDir(dir));
}

export function serverOnLegacyAof(file: string): Promise<{ truth: ServerTruth | null; log: string }> {
  return truthOrRefusal(() => startOnLegacyAof(file));
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export interface WantCommand {
  file: string | null;
  offset: number;
  end: number;
  db: number;
  ts: number | null;
  args: string[];
}

/**
 * What the splitter finds in the RESP parts: commands with the db in force
 * (each part is loaded by a fresh client in db 0, as redis-server does; a
 * SELECT carries the db it selects) and the #TS time in force (carried across
 * parts; null before the first).
 */
export function wantFrom(parts: Array<{ file: string | null; bytes: Buffer; start: number }>) {
  const commands: WantCommand[] = [];
  const annotations: Array<{ file: string | null; offset: number; end: number; ts: number | null }> = [];
  let ts: number | null = null;
  for (const p of parts) {
    const s = splitResp(p.bytes, p.start);
    expect(s.error, `${p.file}: the fixture part is whole`).toBeNull();
    const items = [
      ...s.commands.map((c) => ({ kind: 'c' as const, at: c.offset, c })),
      ...s.annotations.map((a) => ({ kind: 'a' as const, at: a.offset, a })),
    ].sort((x, y) => x.at - y.at);
    let db = 0;
    for (const it of items) {
      if (it.kind === 'a') {
        if (it.a.ts !== null) ts = it.a.ts;
        annotations.push({ file: p.file, offset: it.a.offset, end: it.a.end, ts: it.a.ts });
      } else {
        const name = it.c.args[0]!.toString('latin1').toLowerCase();
        if (name === 'select') db = Number(it.c.args[1]!.toString());
        commands.push({ file: p.file, offset: it.c.offset, end: it.c.end, db, ts, args: it.c.args.map(hex) });
      }
    }
  }
  return { commands, annotations };
}

/** `wantFrom` over the RESP parts of an AOF directory (RDB parts skipped), each from its start. */
export function wantFromRespParts(parts: Array<{ file: string; bytes: Buffer }>): ReturnType<typeof wantFrom> {
  return wantFrom(parts.filter((p) => !isRdb(p.bytes)).map((p) => ({ file: p.file, bytes: p.bytes, start: 0 })));
}
