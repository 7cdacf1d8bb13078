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
import { listpack, rdbLen } from '../helpers/hand-bytes.js';

const root = path.resolve(__dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-rdbmem-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `n` bytes of base-64 letters from a fixed LCG: data LZF cannot shrink, so that encoded nodes take their full size. */
let seed = 1;
const LETTERS = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
function noise(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    b[i] = LETTERS[seed >>> 26]!;
  }
  return b;
}

/**
 * A REDIS0010 file with `n` elements in each of the collections `kinds` (checksum
 * 0: disabled): 64-byte elements in a list (type 1), set (2), hash (4) and
 * sorted set (5); 60 bytes of noise in a quicklist (18) of 100-element listpack nodes.
 */
function makeDump(file: string, n: number, kinds: ReadonlyArray<readonly [number, string]> = [[1, 'list'], [2, 'set'], [4, 'hash'], [5, 'zset']]): void {
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
  const str = (s: string): void => {
    const b = Buffer.from(s);
    put(rdbLen(b.length));
    put(b);
  };
  put(Buffer.from('REDIS0010'));
  put(Buffer.from([0xfe, 0]));
  for (const [type, key] of kinds) {
    put(Buffer.from([type]));
    str(key);
    if (type === 18) {
      const nodes = Math.ceil(n / 100);
      put(rdbLen(nodes));
      for (let i = 0; i < nodes; i++) {
        const els = Array.from({ length: Math.min(100, n - i * 100) }, () => noise(60));
        put(rdbLen(2));
        const lp = listpack(els.map((e) => ({ s: e })));
        put(rdbLen(lp.length));
        put(lp);
      }
      continue;
    }
    put(rdbLen(n));
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
const w = new RdbWriter(process.argv[5] ? { version: Number(process.argv[5]) } : {});
const out = fs.openSync(process.argv[4], 'w');
let live = 0;
let batches = 0;
// ArrayBuffers freed by a collection leave the count once V8's sweeper has run
// (on another thread, late on a loaded machine): collect, yield, collect again.
const sample = async () => {
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 1));
  globalThis.gc();
  const m = process.memoryUsage();
  live = Math.max(live, m.heapUsed + m.arrayBuffers);
};
for await (const batch of parseRdbBatches(fs.createReadStream(process.argv[3], { highWaterMark: 1 << 20 }), { rawValues: true })) {
  for (const ev of batch) w.write(ev);
  for (const c of w.take()) fs.writeSync(out, c);
  if (++batches % 16 === 0) await sample();
}
await sample();
w.end();
for (const c of w.take()) fs.writeSync(out, c);
fs.closeSync(out);
console.log(JSON.stringify({ rssMiB: process.resourceUsage().maxRSS / 1024, liveMiB: live / 2 ** 20 }));
`;

/**
 * Rewrites `file` in a child process: its peak RSS, and the most memory it
 * held (heap in use plus ArrayBuffers, sampled after a forced collection
 * every 16 batches: what peak RSS follows once garbage is left out, so the
 * comparison does not depend on when V8 chose to collect).
 */
function rewrite(file: string, out: string, version?: number): { rssMiB: number; liveMiB: number } {
  const probe = path.join(tmp, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const r = spawnSync(process.execPath, ['--expose-gc', probe, path.join(root, 'dist/index.js'), file, out, ...(version ? [String(version)] : [])]);
  expect(r.status, r.stderr.toString()).toBe(0);
  return JSON.parse(r.stdout.toString()) as { rssMiB: number; liveMiB: number };
}

/** Asserts that the larger input's rewrite held no more than `slackMiB` more memory than the smaller one's. */
function expectFlat(a: { rssMiB: number; liveMiB: number }, b: { rssMiB: number; liveMiB: number }, grownMiB: number, slackMiB: number): void {
  const msg = `held ${a.liveMiB.toFixed(1)} → ${b.liveMiB.toFixed(1)} MiB (peak RSS ${a.rssMiB.toFixed(0)} → ${b.rssMiB.toFixed(0)} MiB) while the input grew by ${grownMiB.toFixed(0)} MiB`;
  expect(b.liveMiB - a.liveMiB, msg).toBeLessThan(slackMiB);
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
  expectFlat(a, b, (statSync(large).size - statSync(small).size) / 2 ** 20, 32);
}, 120000);

// A quicklist states its node count, not its element count: it goes out as
// the same nodes, one by one. (Gathered as encoded nodes before: the peak
// grew with the list, by about its size in the file.)
for (const version of [10, 9]) {
  it(`a quicklist list ten times as long does not raise the peak (RDB 10 → ${version})`, async () => {
    const [small, large, out] = [path.join(tmp, 'qsmall.rdb'), path.join(tmp, 'qlarge.rdb'), path.join(tmp, 'qout.rdb')];
    makeDump(small, 150000, [[18, 'qlist']]);
    makeDump(large, 1500000, [[18, 'qlist']]);
    const a = rewrite(small, out, version);
    const b = rewrite(large, out, version);
    expect(await counts(out)).toEqual({ qlist: 1500000 });
    expectFlat(a, b, (statSync(large).size - statSync(small).size) / 2 ** 20, 32);
  }, 120000);
}
