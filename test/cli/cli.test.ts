/**
 * The `rdbkit` command as a user runs it: JSON Lines output checked against
 * what redis-server recorded for each fixture, filters, info, verify, exit
 * codes and error lines.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { expBytes, expKey } from '../helpers/expected.js';
import { corpusDir } from '../helpers/corpus.js';
import { findExecutable } from '../helpers/redis.js';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/rdbkit.js');
const fixture = (f: string): string => path.join(root, 'fixtures', f);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], input?: Buffer): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { input, maxBuffer: 1 << 30 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function lines(out: Buffer): any[] {
  const text = out.toString('utf8');
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

/** A byte string of a JSON Lines record, back to bytes by the record's rule. */
function recBytes(rec: any, s: string): Buffer {
  return rec.bytes === 'base64' ? Buffer.from(s, 'base64') : Buffer.from(s, 'utf8');
}

function recordMatchesServer(rec: any, exp: any): void {
  expect(rec.type).toBe(exp.type);
  expect(rec.expireAt ?? null).toBe(exp.expire_ms);
  const B = (s: string): string => recBytes(rec, s).toString('hex');
  const E = (v: any): string => expBytes(v).toString('hex');
  switch (exp.type) {
    case 'string':
      expect(B(rec.value)).toBe(E(exp.value));
      break;
    case 'list':
      expect(rec.value.map(B)).toEqual(exp.value.map(E));
      break;
    case 'set':
      expect(rec.value.map(B).sort()).toEqual(exp.value.map(E).sort());
      break;
    case 'zset': {
      const got = Object.fromEntries(rec.value.map(([m, s]: [string, number | string]) => [B(m), s]));
      const want = Object.fromEntries(Object.entries(exp.value).map(([m, s]) => [expKey(m).toString('hex'), s]));
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const [m, s] of Object.entries(want)) {
        if (typeof s === 'number' && typeof got[m] === 'number') expect(Object.is(got[m], s) || got[m] === s).toBe(true);
        else expect(got[m]).toBe(s);
      }
      break;
    }
    case 'hash': {
      const got = Object.fromEntries(Object.entries(rec.value).map(([f, v]) => [B(f), B(v as string)]));
      const want = Object.fromEntries(Object.entries(exp.value).map(([f, v]) => [expKey(f).toString('hex'), E(v)]));
      expect(got).toEqual(want);
      break;
    }
    case 'stream': {
      const s = exp.stream;
      expect(rec.value.length).toBe(s.length);
      expect(rec.value.lastId).toBe(s.last_id);
      expect(rec.value.firstId).toBe(s.first_id);
      expect(rec.value.maxDeletedId).toBe(s.max_deleted_id);
      expect(rec.value.entriesAdded).toBe(s.entries_added);
      expect(rec.value.entries.map(([id, fs]: [string, string[]]) => [id, fs.map(B)])).toEqual(
        s.entries.map(([id, fs]: [string, any[]]) => [id, fs.map(E)]),
      );
      expect(rec.value.groups.length).toBe(s.group_count);
      for (const g of rec.value.groups) {
        const ge = Object.entries(s.groups).find(([n]) => expKey(n).toString('hex') === B(g.name))![1] as any;
        expect(g.lastId).toBe(ge.last_id);
        expect(g.pending.map((p: any) => [p.id, B(p.consumer), p.deliveryTime, p.deliveryCount])).toEqual(
          ge.pending.map((p: any) => [p.id, E(p.consumer), p.delivery_time, p.delivery_count]),
        );
        expect(g.consumers.map((c: any) => [B(c.name), c.pending])).toEqual(ge.consumers.map((c: any) => [E(c.name), c.pending.map((p: any) => p.id)]));
      }
      break;
    }
  }
}

describe('rdbkit json', () => {
  for (const f of ['sample.rdb', 'encodings-7.0.rdb', 'nocompress-7.0.rdb', 'lfu-7.0.rdb']) {
    it(`${f}: one record per key, equal to what the server held`, () => {
      const r = run(['json', fixture(f)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const exp = JSON.parse(readFileSync(fixture(`${f}.expected.json`), 'utf8'));
      const recs = lines(r.stdout);
      expect(recs.length).toBe(exp.counts.keys);
      for (const rec of recs) {
        expect(Object.keys(rec)[0]).toBe('db');
        const key = recBytes(rec, rec.key);
        const name = Object.keys(exp.dbs[String(rec.db)].keys).find((k) => expKey(k).equals(key));
        expect(name, `key ${key.toString('hex')} in expected`).toBeDefined();
        recordMatchesServer(rec, exp.dbs[String(rec.db)].keys[name!]);
      }
    });
  }

  it('binary keys and values make base64 records; --bytes base64 forces it everywhere', () => {
    const auto = lines(run(['json', fixture('encodings-7.0.rdb')]).stdout);
    const b64 = auto.filter((r) => r.bytes === 'base64');
    expect(b64.length).toBeGreaterThan(0);
    for (const r of auto) if (r.bytes !== 'base64') expect(Buffer.from(r.key, 'utf8').toString('utf8')).toBe(r.key);
    const forced = lines(run(['json', fixture('encodings-7.0.rdb'), '--bytes', 'base64']).stdout);
    expect(forced.length).toBe(auto.length);
    for (let i = 0; i < forced.length; i++) {
      expect(forced[i].bytes).toBe('base64');
      expect(recBytes(forced[i], forced[i].key).equals(recBytes(auto[i], auto[i].key))).toBe(true);
    }
  });

  it('filters: --db, --key, --key-regex, --type', () => {
    const all = lines(run(['json', fixture('sample.rdb')]).stdout);
    const keysOf = (args: string[]): string[] => lines(run(['json', fixture('sample.rdb'), ...args]).stdout).map((r) => `${r.db}:${r.key}`).sort();
    expect(keysOf(['--db', '1'])).toEqual(all.filter((r) => r.db === 1).map((r) => `${r.db}:${r.key}`).sort());
    expect(keysOf(['--key', 'user:*'])).toEqual(['0:user:1', '0:user:2']);
    expect(keysOf(['--key', 'cache:h[aeiou]me', '--key', 'visits'])).toEqual(['1:cache:home', '1:visits']);
    expect(keysOf(['--key-regex', '^(greeting|counter)$'])).toEqual(['0:counter', '0:greeting']);
    expect(keysOf(['--type', 'zset', '--type', 'stream'])).toEqual(['0:events', '0:leaderboard']);
    expect(keysOf(['--db', '0', '--type', 'string', '--key', 's*'])).toEqual(['0:session:abc123']);
  });

  it.skipIf(!corpusDir)('--no-expired leaves out keys whose expiry has passed', () => {
    const file = path.join(corpusDir!, 'redis-rdb-tools/keys_with_expiry.rdb');
    expect(lines(run(['json', file]).stdout).length).toBe(1);
    expect(lines(run(['json', file, '--no-expired']).stdout).length).toBe(0);
  });

  it('--meta adds header, aux, function and eof records without a key field', () => {
    const recs = lines(run(['json', fixture('encodings-7.0.rdb'), '--meta']).stdout);
    const meta = recs.filter((r) => !('key' in r));
    expect(meta[0]).toEqual({ type: 'header', magic: 'REDIS', version: 10 });
    expect(meta.filter((r) => r.type === 'aux').map((r) => r.name)).toContain('redis-ver');
    expect(meta.filter((r) => r.type === 'function').length).toBe(2);
    expect(meta.at(-1)).toMatchObject({ type: 'eof', verified: true });
    expect(recs.filter((r) => 'key' in r).length).toBe(65);
  });

  it('-o writes a file; - reads stdin', () => {
    const out = path.join(tmp, 'out.jsonl');
    expect(run(['json', fixture('sample.rdb'), '-o', out]).code).toBe(0);
    const viaStdin = run(['json', '-'], readFileSync(fixture('sample.rdb')));
    expect(viaStdin.code).toBe(0);
    expect(readFileSync(out).equals(viaStdin.stdout)).toBe(true);
  });
});

describe('rdbkit info', () => {
  it('--json reports the format, aux fields, databases, types, encodings and checksum', () => {
    const r = run(['info', fixture('encodings-7.0.rdb'), '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout.toString());
    const exp = JSON.parse(readFileSync(fixture('encodings-7.0.rdb.expected.json'), 'utf8'));
    expect(info.magic).toBe('REDIS');
    expect(info.version).toBe(10);
    expect(info.aux['redis-ver']).toBe('7.0.15');
    expect(info.dbs.map((d: any) => [d.db, d.keys])).toEqual(Object.entries(exp.dbs).map(([db, v]: [string, any]) => [Number(db), Object.keys(v.keys).length]));
    const expires = Object.values(exp.dbs).reduce((n: number, v: any) => n + Object.values(v.keys).filter((k: any) => k.expire_ms !== null).length, 0);
    expect(info.expires).toBe(expires);
    expect(Object.values(info.types as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(exp.counts.keys);
    expect(info.encodings['list/quicklist2 (type 18)']).toBeGreaterThan(0);
    expect(info.checksum).toEqual({ stored: exp.checksum.stored_hex, computed: exp.checksum.stored_hex, ok: true, disabled: false });
    expect(info.functions.map((f: any) => f.name).sort()).toEqual(['lib2', 'mylib']);
    expect(info.largestKeys.length).toBe(10);
    expect(info.largestKeys[0].size).toBeGreaterThanOrEqual(info.largestKeys[9].size);
  });

  it('text output names the version, keys and checksum; a disabled checksum says so', () => {
    const text = run(['info', fixture('sample.rdb')]).stdout.toString();
    expect(text).toMatch(/REDIS0010/);
    expect(text).toMatch(/keys:\s+14/);
    expect(text).toMatch(/OK/);
    expect(run(['info', fixture('nochecksum-7.0.rdb')]).stdout.toString()).toMatch(/disabled/);
  });
});

describe('rdbkit verify and errors', () => {
  const sample = readFileSync(fixture('sample.rdb'));

  it('exit 0 and one line when intact', () => {
    const r = run(['verify', fixture('sample.rdb')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^OK .*REDIS0010, 14 keys in 2 databases, checksum [0-9a-f]{16} verified\n$/);
    expect(run(['verify', '-q', fixture('sample.rdb')]).stdout.length).toBe(0);
  });

  it('truncation anywhere: exit 1, one line naming the offset, no stack trace', () => {
    // An empty file is an empty AOF, valid as redis-check-aof and redis-server see it.
    const empty = path.join(tmp, 'empty.rdb');
    writeFileSync(empty, '');
    const e = run(['verify', empty]);
    expect(e.code).toBe(0);
    expect(e.stdout.toString()).toMatch(/empty file \(an empty AOF/);
    for (const cut of [5, 9, 100, 500, sample.length - 9, sample.length - 1]) {
      const p = path.join(tmp, `cut${cut}.rdb`);
      writeFileSync(p, sample.subarray(0, cut));
      const r = run(['verify', p]);
      expect(r.code, `cut ${cut}`).toBe(1);
      const errLines = r.stderr.split('\n').filter(Boolean);
      expect(errLines.length).toBe(1);
      expect(errLines[0]).toMatch(/^rdbkit: .* at offset \d+.*\[(TRUNCATED|BAD_MAGIC)\]$/);
    }
  });

  it('a flipped bit: exit 1 with the checksum mismatch', () => {
    const bad = Buffer.from(sample);
    bad[600]! ^= 0x10;
    const p = path.join(tmp, 'flip.rdb');
    writeFileSync(p, bad);
    const r = run(['verify', p]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CHECKSUM_MISMATCH|CORRUPT/);
    // json refuses it too, unless told not to check
    expect(run(['json', p]).code).toBe(1);
  });

  it('trailing bytes fail verify unless allowed', () => {
    const p = path.join(tmp, 'trailing.rdb');
    writeFileSync(p, Buffer.concat([sample, Buffer.from('extra')]));
    expect(run(['verify', p]).code).toBe(1);
    expect(run(['verify', '--allow-trailing', p]).code).toBe(0);
    expect(run(['info', p]).stdout.toString()).toMatch(/trailing:\s+5 bytes/);
  });

  it('usage errors exit 2; unreadable input exits 1', () => {
    expect(run(['json']).code).toBe(2);
    expect(run(['json', fixture('sample.rdb'), '--type', 'nosuch']).code).toBe(2);
    expect(run(['json', fixture('sample.rdb'), '--bogus']).code).toBe(2);
    expect(run(['frobnicate']).code).toBe(2);
    expect(run(['json', fixture('sample.rdb'), '--key-regex', '(']).code).toBe(2);
    const missing = run(['verify', path.join(tmp, 'missing.rdb')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/ENOENT/);
    // An AOF is read whatever its name; bytes that are neither RDB nor AOF are refused with exit 1.
    const aofNamedRdb = path.join(tmp, 'not.rdb');
    writeFileSync(aofNamedRdb, '*1\r\n$4\r\nPING\r\n');
    const asAof = run(['verify', aofNamedRdb]);
    expect(asAof.code).toBe(0);
    expect(asAof.stdout.toString()).toMatch(/^OK .*: AOF, 1 commands/);
    const neither = path.join(tmp, 'neither.bin');
    writeFileSync(neither, 'hello world');
    const bad = run(['verify', neither]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not an RDB or AOF file.*\[BAD_MAGIC\]/);
  });
});

describe('rdbkit rdb', () => {
  it("copies the source's RESIZEDB hints when every key is written, and leaves them out when keys are filtered", () => {
    const src = fixture('encodings-7.0.rdb');
    const hints = (file: string): any[] => lines(run(['json', '--meta', file]).stdout).filter((r) => r.type === 'resizeDb');
    const all = path.join(tmp, 'all.rdb');
    expect(run(['rdb', src, '-o', all]).code).toBe(0);
    const want = hints(src);
    expect(want.length).toBeGreaterThan(1);
    expect(hints(all)).toEqual(want);
    const some = path.join(tmp, 'some.rdb');
    expect(run(['rdb', src, '--db', '0', '-o', some]).code).toBe(0);
    expect(hints(some)).toEqual([]);
  });
});

describe('-o: the input and files already there', () => {
  it('refuses to write over its own input (the file, a link to it, a file of an input AOF directory), which stays as it was', () => {
    const dir = mkdtempSync(path.join(tmp, 'same-'));
    const file = path.join(dir, 'dump.rdb');
    copyFileSync(fixture('encodings-7.0.rdb'), file);
    const before = readFileSync(file);
    symlinkSync(file, path.join(dir, 'link.rdb'));
    for (const args of [['rdb', file, '-o', file], ['json', file, '-o', file], ['resp', path.join(dir, 'link.rdb'), '-o', file], ['rdb', file, '-o', path.join(dir, 'link.rdb')]]) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^rdbkit: the output .* is the input: write to another file \[USAGE\]\n$/);
      expect(readFileSync(file).equals(before), args.join(' ')).toBe(true);
    }
    const aof = path.join(dir, 'aofdir');
    cpSync(path.join(root, 'fixtures/aof/multipart-rdb'), aof, { recursive: true });
    const incr = path.join(aof, 'appendonly.aof.2.incr.aof');
    const incrBefore = readFileSync(incr);
    const r = run(['resp', aof, '-o', incr]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a file of the input AOF/);
    expect(readFileSync(incr).equals(incrBefore)).toBe(true);
  });

  it('rdb replaces a file only when it succeeds: a failed run leaves the old file and no temporary one; the replaced file keeps its mode', () => {
    const dir = mkdtempSync(path.join(tmp, 'atomic-'));
    const out = path.join(dir, 'out.rdb');
    writeFileSync(out, 'the previous contents');
    chmodSync(out, 0o640);
    const bad = path.join(dir, 'bad.rdb');
    const good = readFileSync(fixture('encodings-7.0.rdb'));
    writeFileSync(bad, good.subarray(0, good.length - 100)); // cut short: TRUNCATED
    const failed = run(['rdb', bad, '-o', out]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/TRUNCATED/);
    expect(readFileSync(out, 'utf8')).toBe('the previous contents');
    expect(readdirSync(dir).sort()).toEqual(['bad.rdb', 'out.rdb']);
    const ok = run(['rdb', fixture('encodings-7.0.rdb'), '-o', out]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(out).subarray(0, 9).toString()).toBe('REDIS0010');
    expect(run(['verify', out]).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['bad.rdb', 'out.rdb']);
    // A device is written, not replaced.
    expect(run(['rdb', fixture('encodings-7.0.rdb'), '-o', '/dev/null']).code).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  // As root (directory permissions do not bind root), the run drops to nobody with setpriv.
  const asUser = process.getuid?.() === 0 ? findExecutable('setpriv') : null;
  it.runIf(process.getuid?.() !== 0 || asUser !== null)('rdb writes a writable file in place when its directory takes no new files', () => {
    // Beside the repository, which the user must reach anyway to run the CLI
    // (the temp directory's parents may be closed to it, as under .ci/run).
    const dir = mkdtempSync(path.join(root, '.tmp-nodir-'));
    const out = path.join(dir, 'out.rdb');
    writeFileSync(out, 'old');
    chmodSync(out, 0o666);
    chmodSync(dir, 0o555);
    try {
      const argv = [process.execPath, bin, 'rdb', fixture('sample.rdb'), '-o', out];
      const r = asUser !== null ? spawnSync(asUser, ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv]) : spawnSync(argv[0]!, argv.slice(1));
      expect(r.status, r.stderr.toString()).toBe(0);
      expect(readdirSync(dir)).toEqual(['out.rdb']);
      expect(run(['verify', out]).code).toBe(0);
    } finally {
      chmodSync(dir, 0o755);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`rdb stopped by ${sig} mid-run removes its temporary file and dies of the signal`, async () => {
      const dir = mkdtempSync(path.join(tmp, 'signal-'));
      const child = spawn(process.execPath, [bin, 'rdb', '-', '-o', path.join(dir, 'out.rdb')], { stdio: ['pipe', 'ignore', 'pipe'] });
      const bytes = readFileSync(fixture('encodings-7.0.rdb'));
      child.stdin.write(bytes.subarray(0, bytes.length >> 1)); // and no more: it waits for the rest
      for (let i = 0; i < 500 && !readdirSync(dir).some((f) => f.endsWith('.tmp')); i++) await new Promise((r) => setTimeout(r, 20));
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 'the temporary file while it runs').toBe(1);
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      child.kill(sig);
      expect(await exited).toBe(sig);
      expect(readdirSync(dir)).toEqual([]);
    });
  }
});
