/**
 * Bounded memory in the RDB writer: a child process rewrites dumps holding a
 * list (type 1), set (type 2), hash (type 4) and sorted set (type 5) of n
 * elements each, built byte by byte here; its peak RSS must not follow n.
 * (The code before streaming collections needed ~2 MiB per 1,000 elements of
 * each here: 411 MiB at n = 500,000 against 142 MiB at 50,000.)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it, expect, afterAll } from 'vitest';
import { parseRdbBatches } from '../../src/index.js';

const root = path.resolve(__dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-rdbmem-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A REDIS0010 file with the four collections of `n` 64-byte elements (checksum 0: disabled). */
function makeDump(file: string, n: number): void {
  const fd = openSync(file, 'w');
  let parts: Buffer[] = [];
  let size = 0;
  const put = (b: Buffer): void => {
    parts.push(b);
    size += b.length;
    if (size > 1 << 22) {
      writeSync(fd, Buffer.concat(parts));
      parts = [];
      size = 0;
    }
  };
  const len = (v: number): Buffer => (v < 64 ? Buffer.from([v]) : v < 16384 ? Buffer.from([0x40 | (v >> 8), v & 0xff]) : Buffer.from([0x80, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]));
  const str = (s: string): void => {
    const b = Buffer.from(s);
    put(len(b.length));
    put(b);
  };
  put(Buffer.from('REDIS0010'));
  put(Buffer.from([0xfe, 0]));
  for (const [type, key] of [[1, 'list'], [2, 'set'], [4, 'hash'], [5, 'zset']] as const) {
    put(Buffer.from([type]));
    str(key);
    put(len(n));
    for (let i = 0; i < n; i++) {
      str(`element:${i}:`.padEnd(64, '.'));
      if (type === 4) str(String(i));
      if (type === 5) {
        const d = Buffer.alloc(8);
        d.writeDoubleLE(i / 3);
        put(d);
      }
    }
  }
  put(Buffer.from([0xff]));
  put(Buffer.alloc(8));
  writeSync(fd, Buffer.concat(parts));
  closeSync(fd);
}

const PROBE = `
import fs from 'node:fs';
const { parseRdbBatches, RdbWriter } = await import(process.argv[2]);
const w = new RdbWriter({});
const out = fs.openSync(process.argv[4], 'w');
for await (const batch of parseRdbBatches(fs.createReadStream(process.argv[3], { highWaterMark: 1 << 20 }), { rawValues: true })) {
  for (const ev of batch) w.write(ev);
  for (const c of w.take()) fs.writeSync(out, c);
}
w.end();
for (const c of w.take()) fs.writeSync(out, c);
fs.closeSync(out);
console.log(JSON.stringify({ rssMiB: process.resourceUsage().maxRSS / 1024 }));
`;

/** Rewrites `file` in a child process; its peak RSS. */
function rewrite(file: string, out: string): number {
  const probe = path.join(tmp, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const r = spawnSync(process.execPath, [probe, path.join(root, 'dist/index.js'), file, out]);
  expect(r.status, r.stderr.toString()).toBe(0);
  return (JSON.parse(r.stdout.toString()) as { rssMiB: number }).rssMiB;
}

/** Elements per key of an RDB file, streamed. */
async function counts(file: string): Promise<Record<string, number>> {
  const n: Record<string, number> = {};
  for await (const batch of parseRdbBatches(createReadStream(file))) {
    for (const ev of batch) {
      if (ev.type === 'key' || ev.type === 'keyChunk') {
        const k = Buffer.from(ev.key).toString();
        n[k] = (n[k] ?? 0) + (ev.value as unknown[]).length;
      }
    }
  }
  return n;
}

it('peak memory stays flat while the collections grow tenfold', async () => {
  const [small, large, out] = [path.join(tmp, 'small.rdb'), path.join(tmp, 'large.rdb'), path.join(tmp, 'out.rdb')];
  makeDump(small, 60000);
  makeDump(large, 600000);
  const a = rewrite(small, out);
  const b = rewrite(large, out);
  expect(await counts(out)).toEqual({ list: 600000, set: 600000, hash: 600000, zset: 600000 });
  const grownMiB = (statSync(large).size - statSync(small).size) / 2 ** 20;
  expect(b - a, `peak RSS ${a.toFixed(0)} → ${b.toFixed(0)} MiB while the input grew by ${grownMiB.toFixed(0)} MiB`).toBeLessThan(48);
}, 120000);
