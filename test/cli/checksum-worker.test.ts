/**
 * The CLI's CRC-64 on a worker thread (src/cli/checksum.ts): the checksum of
 * any prefix of a file equals `crc64` of those bytes (Crc64 is checked
 * against Redis's own check value in the codec tests), also when the answer
 * is taken from the worker's 1 MiB checkpoints, partly or wholly checksummed
 * on the main thread; and `rdbkit verify`/`resp` on a multi-MiB dump find a changed
 * byte, naming the checksum the bytes really have.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileChecksum } from '../../src/cli/checksum.js';
import { crc64 } from '../../src/rdb/crc64.js';
import { repoRoot } from '../helpers/corpus.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-crc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const bin = path.join(repoRoot, 'bin/rdbkit.js');
const MiB = 1 << 20;
/** The built worker (the global setup builds dist/). */
const script = pathToFileURL(path.join(repoRoot, 'dist/cli/crc-worker.cjs'));

/** Seeded bytes, so a failure can be reproduced. */
function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

/** A REDIS0010 dump of `count` raw string keys of `size` bytes each, with its CRC-64 trailer. */
function bigDump(count: number, size: number): Uint8Array {
  const parts: Uint8Array[] = [new TextEncoder().encode('REDIS0010'), Uint8Array.of(0xfe, 0x00)];
  for (let i = 0; i < count; i++) {
    const key = new TextEncoder().encode(`k${i}`);
    const len = Uint8Array.of(0x80, size >>> 24, (size >>> 16) & 0xff, (size >>> 8) & 0xff, size & 0xff);
    parts.push(Uint8Array.of(0x00, key.length), key, len, bytes(size, i + 1));
  }
  parts.push(Uint8Array.of(0xff));
  const body = Buffer.concat(parts);
  const trailer = Buffer.alloc(8);
  trailer.writeBigUInt64LE(crc64(body));
  return new Uint8Array(Buffer.concat([body, trailer]));
}

/** Waits until the worker has published `blocks` checkpoints (or 10 s pass). */
async function workerReaches(c: FileChecksum, blocks: number): Promise<void> {
  for (const t = Date.now(); c.blocksDone < blocks && Date.now() - t < 10_000; ) await new Promise((r) => setTimeout(r, 10));
}

describe('FileChecksum (the CRC-64 worker of the CLI)', () => {
  const data = bytes(3 * MiB + 12345, 7);
  const file = path.join(tmp, 'data.bin');
  writeFileSync(file, data);

  for (const end of [0, 1, MiB - 1, MiB, MiB + 1, 2 * MiB + 777, 3 * MiB, data.length - 8, data.length]) {
    it(`the first ${end} bytes, from the worker's last checkpoint before them: crc64 of them`, async () => {
      const c = new FileChecksum(file, data.length, script);
      try {
        await workerReaches(c, 3);
        expect(c.blocksDone).toBe(3);
        expect(c.of(end).toString(16)).toBe(crc64(data.subarray(0, end)).toString(16));
        // Whole blocks from the worker, the rest (under 1 MiB) on this thread.
        expect(c.fromWorker).toBe(Math.floor(end / MiB) * MiB);
        expect(c.onThisThread).toBe(end - c.fromWorker);
        // Asked again (the worker stopped): the same.
        expect(c.of(end).toString(16)).toBe(crc64(data.subarray(0, end)).toString(16));
      } finally {
        c.close();
      }
    });
  }

  it('asked before the worker is done: this thread checksums what the worker has not, and the answer is the same', () => {
    const c = new FileChecksum(file, data.length, script);
    try {
      // At once: the worker has at most started.
      expect(c.of(data.length).toString(16)).toBe(crc64(data).toString(16));
      expect(c.fromWorker + c.onThisThread).toBe(data.length);
      expect(c.onThisThread).toBeGreaterThan(0);
    } finally {
      c.close();
    }
  });

  it('a file that grew after it was opened: the worker stops at the size it was given, this thread does the rest', async () => {
    const c = new FileChecksum(file, MiB + 5, script);
    try {
      await workerReaches(c, 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(c.blocksDone).toBe(1);
      expect(c.of(data.length).toString(16)).toBe(crc64(data).toString(16));
      expect(c.fromWorker).toBe(MiB);
    } finally {
      c.close();
    }
  });
});

describe('the worker thread on Linux', () => {
  it.runIf(process.platform === 'linux')('runs at nice 19 from its start (background work: the decoding thread keeps its core)', async () => {
    const nices = (): Map<string, number> =>
      new Map(
        readdirSync('/proc/self/task').map((t) => {
          // Field 19 of stat is the nice value; the fields after the parenthesised name start at 3.
          const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
          return [t, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
        }),
      );
    const before = nices();
    expect([...before.values()]).not.toContain(19);
    const data = bytes(64 * MiB, 3);
    const file = path.join(tmp, 'nice.bin');
    writeFileSync(file, data);
    const c = new FileChecksum(file, data.length, script);
    try {
      // Already when the constructor returns, before the worker has run a line of its own:
      // exactly the new thread, none that was there before.
      const after = nices();
      const lowered = [...after].filter(([, n]) => n === 19).map(([t]) => t);
      expect(lowered).toHaveLength(1);
      expect(before.has(lowered[0]!)).toBe(false);
      expect(after.get(String(process.pid))).toBe(before.get(String(process.pid)));
      // And it still checksums.
      for (const t = Date.now(); c.blocksDone < 64 && Date.now() - t < 10_000; ) await new Promise((r) => setTimeout(r, 5));
      expect(c.blocksDone).toBe(64);
    } finally {
      c.close();
      rmSync(file);
    }
  });
});

describe('FileChecksum and standard output', () => {
  it("starts its worker without touching process.stdout (which would make a piped stdout non-blocking, and the CLI's writes to it fall back to the stream)", async () => {
    const data = bytes(2 * MiB, 11);
    const file = path.join(tmp, 'stdout.bin');
    writeFileSync(file, data);
    const own = Object.getOwnPropertyDescriptor(process, 'stdout');
    const proto = own ?? Object.getOwnPropertyDescriptor(Object.getPrototypeOf(process), 'stdout');
    const seen: string[] = [];
    Object.defineProperty(process, 'stdout', {
      configurable: true,
      get() {
        seen.push(new Error().stack ?? '');
        return proto?.get ? proto.get.call(process) : proto?.value;
      },
    });
    let c: FileChecksum | null = null;
    try {
      c = new FileChecksum(file, data.length, script);
      await workerReaches(c, 2);
      expect(c.blocksDone).toBe(2); // the worker did run
      expect(c.of(data.length).toString(16)).toBe(crc64(data).toString(16));
    } finally {
      c?.close();
      if (own) Object.defineProperty(process, 'stdout', own);
      else delete (process as { stdout?: unknown }).stdout;
    }
    expect(seen).toEqual([]);
  });
});

describe('FileChecksum without a worker', () => {
  it('answers on this thread when the worker cannot start, without waiting', async () => {
    const data = bytes(MiB + 3, 9);
    const file = path.join(tmp, 'noworker.bin');
    writeFileSync(file, data);
    const c = new FileChecksum(file, data.length, pathToFileURL(path.join(tmp, 'no-such-worker.js')));
    try {
      await new Promise((r) => setTimeout(r, 300)); // the decoder's work, during which the worker fails
      const t = Date.now();
      expect(c.of(data.length).toString(16)).toBe(crc64(data).toString(16));
      expect(c.onThisThread).toBe(data.length);
      expect(Date.now() - t).toBeLessThan(5000);
    } finally {
      c.close();
    }
  });
});

describe('rdbkit verify and resp on a multi-MiB dump, checksummed on the worker', () => {
  const good = bigDump(80, 40_000);
  const goodPath = path.join(tmp, 'big.rdb');
  writeFileSync(goodPath, good);
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });

  it('a whole dump verifies, with the checksum the bytes have', () => {
    const r = run(['verify', goodPath]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`checksum ${crc64(good.subarray(0, good.length - 8)).toString(16).padStart(16, '0')} verified`);
    expect(run(['resp', goodPath, '-o', path.join(tmp, 'out.resp')]).status).toBe(0);
  });

  for (const at of [100, MiB + 5, 2 * MiB + 3, good.length - 20]) {
    it(`a byte changed at ${at}: exit 1, CHECKSUM_MISMATCH after the EOF byte, naming the checksum of the changed bytes`, () => {
      const bad = good.slice();
      bad[at]! ^= 0x01;
      const p = path.join(tmp, `bad-${at}.rdb`);
      writeFileSync(p, bad);
      const computed = crc64(bad.subarray(0, bad.length - 8)).toString(16).padStart(16, '0');
      for (const args of [['verify', p], ['resp', p, '-o', path.join(tmp, 'bad.resp')]]) {
        const r = run(args);
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.stderr).toContain(`computed ${computed}`);
        expect(r.stderr).toMatch(new RegExp(`at offset ${bad.length - 8}\\b.*\\[CHECKSUM_MISMATCH\\]`));
      }
    });
  }
});
