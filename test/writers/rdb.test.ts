/**
 * RDB files written by rdbkit, judged by a real server: each fixture data
 * model is saved by redis-server 7.0, rewritten with `rdbkit rdb` at several
 * versions, checked by `redis-check-rdb`, loaded at start-up by a fresh
 * server, and compared key by key with the source (the server's reads,
 * expiries, `DEBUG DIGEST-VALUE`) and function libraries. One pass goes
 * through the library with the decoder's raw values instead, so that every
 * value is copied byte for byte (checked against the source file's bytes).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it, expect, afterAll } from 'vitest';
import { FIXTURES } from '../../scripts/make-fixtures.mjs';
import { decodeInChunks, hex, valueSlice, writeRdb } from '../helpers/rdb-bytes.js';
import type { KeyEvent } from '../../src/events.js';
import { describeRedis, startRedis, startRedisWithRdb, snapshot, debugDigestValue, redisCheckRdbPath, type ServerSnapshot } from '../helpers/redis.js';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin/rdbkit.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-rdbw-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Below RDB 10 there are no functions and no stream metadata; below 9 no streams at all.
// `raw`: through the library with the decoder's rawValues, so that every value
// of the RDB 10 source is copied as its original bytes.
const VERSIONS = [
  { version: 10, args: [] as string[], raw: false },
  { version: 10, args: [] as string[], raw: true },
  { version: 9, args: ['--lossy'], raw: false },
  { version: 7, args: ['--lossy'], raw: false },
];

/** The file `rdbkit rdb` writes, or the library with raw copies. */
function rewrite(rdb: Uint8Array, out: string, version: number, args: string[], raw: boolean): Uint8Array {
  if (raw) return Buffer.from(writeRdb(decodeInChunks(rdb, 65536, { rawValues: true }), { version }));
  const r = spawnSync(process.execPath, [bin, 'rdb', '-', '-o', out, '--rdb-version', String(version), ...args], { input: rdb });
  expect(r.status, r.stderr.toString()).toBe(0);
  return readFileSync(out);
}
const V2 = new Set(['maxDeletedEntryId', 'entriesAdded', 'recordedFirstEntryId', 'entriesRead', 'lag', 'activeTime']);

function comparable(s: ServerSnapshot, version: number): unknown {
  const out = JSON.parse(JSON.stringify(s, (k, v: unknown) => (version < 10 && V2.has(k) ? undefined : k === 'activeTime' ? undefined : v)));
  if (version < 9) for (const db of Object.keys(out)) out[db] = out[db].filter((k: { type: string }) => k.type !== 'stream');
  for (const db of Object.keys(out)) if (out[db].length === 0) delete out[db];
  return out;
}

describeRedis('rdbkit rdb writes files redis-server loads with the same data', () => {
  for (const fx of FIXTURES) {
    for (const { version, args, raw } of VERSIONS) {
      it(`${fx.file.replace('.rdb', '')} as RDB ${version}${raw ? ', values copied' : ''}`, async () => {
        const source = await startRedis({ config: fx.config });
        try {
          await fx.populate(source.client);
          const rdb = await source.save();
          const out = path.join(tmp, `${fx.file}.${version}${raw ? '.raw' : ''}.rdb`);
          const written = rewrite(rdb, out, version, args, raw);
          if (raw) {
            writeFileSync(out, written);
            const keys = (b: Uint8Array): KeyEvent[] => decodeInChunks(b, 0).filter((e): e is KeyEvent => e.type === 'key');
            const [a, b] = [keys(rdb), keys(written)];
            expect(b.map((k) => hex(valueSlice(written, k)))).toEqual(a.map((k) => hex(valueSlice(rdb, k))));
          }
          expect(written.subarray(0, 9).toString()).toBe(`REDIS${String(version).padStart(4, '0')}`);
          if (redisCheckRdbPath) {
            const check = spawnSync(redisCheckRdbPath, [out]);
            expect(check.stdout.toString(), check.stdout.toString()).toMatch(/RDB looks OK/);
          }
          const target = await startRedisWithRdb(new Uint8Array(written), fx.config);
          try {
            const [a, b] = [await snapshot(source.client, { encoding: false }), await snapshot(target.client, { encoding: false })];
            expect(comparable(b, version)).toEqual(comparable(a, version));
            if (version >= 10) {
              for (const [db, keys] of Object.entries(a)) {
                await source.client.call('SELECT', db);
                await target.client.call('SELECT', db);
                for (const k of keys) expect(await debugDigestValue(target.client, k.key), k.key.toString()).toBe(await debugDigestValue(source.client, k.key));
              }
              const libs = async (c: typeof source.client): Promise<string[]> => ((await c.call('FUNCTION', 'LIST', 'WITHCODE')) as unknown[]).map((l) => JSON.stringify(l)).sort();
              expect(await libs(target.client)).toEqual(await libs(source.client));
            }
          } finally {
            await target.stop();
          }
        } finally {
          await source.stop();
        }
      });
    }
  }

  it('a failed conversion leaves no partial file behind', () => {
    const out = path.join(tmp, 'failed.rdb');
    const r = spawnSync(process.execPath, [bin, 'rdb', path.join(root, 'fixtures/encodings-7.0.rdb'), '-o', out, '--rdb-version', '9']);
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toMatch(/cannot hold it \(pass --lossy/);
    expect(existsSync(out)).toBe(false);
  });
});
