/**
 * OutputSink.writeAll (src/node/index.ts): the chunks of a batch go to a file
 * in one writev call; the file must hold exactly their bytes in order, empty
 * chunks and all, batch after batch, and the chunks handed in stay as they
 * were (the CLI gives them back to the writer to reuse).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputSink } from '../../src/node/index.js';
import { rdbLen } from '../helpers/hand-bytes.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-sink-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('OutputSink.writeAll', () => {
  it('writes every batch of chunks in order, empty ones included, and leaves the chunks as they were', async () => {
    let seed = 11;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    const file = path.join(tmp, 'out.bin');
    const sink = await OutputSink.open(file);
    expect(sink.synchronous).toBe(true);
    const want: Uint8Array[] = [];
    for (let b = 0; b < 50; b++) {
      const chunks: Uint8Array[] = [];
      for (let c = rnd(30); c >= 0; c--) {
        const chunk = new Uint8Array(rnd(5) === 0 ? 0 : rnd(20_000));
        for (let i = 0; i < chunk.length; i++) chunk[i] = rnd(256);
        chunks.push(chunk);
        want.push(chunk.slice());
      }
      const before = chunks.map((c) => [c.buffer, c.byteOffset, c.length]);
      await sink.writeAll(chunks);
      expect(chunks.map((c) => [c.buffer, c.byteOffset, c.length])).toEqual(before);
    }
    await sink.close();
    const got = readFileSync(file);
    const all = Buffer.concat(want);
    expect(got.length).toBe(all.length);
    expect(got.equals(all)).toBe(true);
  });
});

/**
 * Standard output goes through the descriptor (writev) when it is a file, a
 * pipe or a socket, and through process.stdout from the first write that
 * would block: the bytes are the same as with -o either way.
 */
describe('OutputSink on standard output', () => {
  const root = path.resolve(__dirname, '../..');
  const bin = path.join(root, 'bin/rdbkit.js');
  const input = path.join(root, 'fixtures/encodings-7.0.rdb');
  const viaFile = (): Buffer => {
    const out = path.join(tmp, 'ref.resp');
    const r = spawnSync(process.execPath, [bin, 'resp', input, '-o', out]);
    expect(r.status).toBe(0);
    return readFileSync(out);
  };

  it('to a file (a shell redirect): the same bytes as -o', () => {
    const want = viaFile();
    const out = path.join(tmp, 'redirect.resp');
    const fd = openSync(out, 'w');
    try {
      const r = spawnSync(process.execPath, [bin, 'resp', input], { stdio: ['ignore', fd, 'pipe'] });
      expect(r.status, r.stderr.toString()).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(out).equals(want)).toBe(true);
  });

  it('to a non-blocking socket whose reader is slow: the writes that would block go through process.stdout', async () => {
    // A dump built by hand (format.md 2.1): 200 strings of 4 KiB, checksum 0 (not checked).
    // Their commands (~820 KB) are more than the socket holds while nobody reads.
    const parts: Buffer[] = [Buffer.from('REDIS0009')];
    for (let k = 0; k < 200; k++) {
      const key = Buffer.from(`key:${k}`);
      const value = Buffer.alloc(4096, 97 + (k % 26));
      parts.push(Buffer.from([0]), rdbLen(key.length), key, rdbLen(value.length), value);
    }
    parts.push(Buffer.from([0xff]), Buffer.alloc(8));
    const dump = path.join(tmp, 'strings.rdb');
    writeFileSync(dump, Buffer.concat(parts));
    const ref = path.join(tmp, 'strings.resp');
    expect(spawnSync(process.execPath, [bin, 'resp', dump, '-o', ref]).status).toBe(0);
    const want = readFileSync(ref);
    expect(want.length).toBeGreaterThan(800_000);
    // Opening fd 1 as a net.Socket makes it non-blocking (libuv); then the launcher runs as usual.
    const prelude = `globalThis.keep = new (require('node:net').Socket)({ fd: 1, readable: false, writable: true }).unref(); process.argv = [process.argv[0], ${JSON.stringify(bin)}, 'resp', ${JSON.stringify(dump)}]; require(${JSON.stringify(bin)});`;
    const child = spawn(process.execPath, ['-e', prelude], { stdio: ['ignore', 'pipe', 'pipe'] });
    const got: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => got.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Nothing is read for a while (this thread sleeps): the socket fills and a write would block.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(err).toBe('');
    expect(code).toBe(0);
    const all = Buffer.concat(got);
    expect(all.length).toBe(want.length);
    expect(all.equals(want)).toBe(true);
  });
});

/**
 * A pipe or socket is written on the thread pool while the decoder goes on,
 * its chunks given back to the writer only once written: with a reader that
 * makes the writes wait, and one that goes away, the bytes and the exit
 * status are those of a blocking write. (Chunks reused before they were
 * written would show as changed bytes.)
 */
describe('OutputSink on a pipe', () => {
  const root = path.resolve(__dirname, '../..');
  const bin = path.join(root, 'bin/rdbkit.js');
  const bash = spawnSync('bash', ['-c', 'exit 0']).status === 0;
  // 1,500 strings of 3 KiB with distinct contents: ~4.7 MB of commands, more than the sink holds (OVERLAP_BYTES).
  const dump = path.join(tmp, 'pipe.rdb');
  const parts: Buffer[] = [Buffer.from('REDIS0009')];
  for (let k = 0; k < 1500; k++) {
    const key = Buffer.from(`key:${k}`);
    const value = Buffer.alloc(3072);
    for (let i = 0; i < value.length; i++) value[i] = 33 + ((k * 7 + i * 13) % 90);
    parts.push(Buffer.from([0]), rdbLen(key.length), key, rdbLen(value.length), value);
  }
  parts.push(Buffer.from([0xff]), Buffer.alloc(8));
  writeFileSync(dump, Buffer.concat(parts));
  const ref = path.join(tmp, 'pipe-ref.resp');
  const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

  it.skipIf(!bash)('stdout a pipe whose reader waits before reading: the same bytes as -o', () => {
    expect(spawnSync(process.execPath, [bin, 'resp', dump, '-o', ref]).status).toBe(0);
    const want = readFileSync(ref);
    expect(want.length).toBeGreaterThan(4 << 20);
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${q(process.execPath)} ${q(bin)} resp ${q(dump)} | { sleep 0.4; cat; }`], { maxBuffer: 1 << 26 });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(want.length);
    expect(r.stdout.equals(want)).toBe(true);
  });

  it.skipIf(!bash)('-o a named pipe read slowly: the same bytes', async () => {
    const fifo = path.join(tmp, 'out.fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return;
    const want = readFileSync(ref);
    const child = spawn(process.execPath, [bin, 'resp', dump, '-o', fifo], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const got: Buffer[] = [];
    const { createReadStream } = await import('node:fs');
    const rs = createReadStream(fifo, { highWaterMark: 16 << 10 });
    // 16 KiB at a time, a pause after every 64: the writer's queue fills and it waits.
    let n = 0;
    rs.on('data', (d) => {
      got.push(d as Buffer);
      if (++n % 64 === 0) {
        rs.pause();
        setTimeout(() => rs.resume(), 20);
      }
    });
    const closed = new Promise<void>((r) => rs.on('close', () => r()));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    await closed;
    expect(err).toBe('');
    expect(code).toBe(0);
    const all = Buffer.concat(got);
    expect(all.length).toBe(want.length);
    expect(all.equals(want)).toBe(true);
  });

  it.skipIf(!bash)('a dump cut short, its reader waiting: exit 1 with the error, and every command made before it, as with -o', () => {
    const cut = path.join(tmp, 'pipe-cut.rdb');
    writeFileSync(cut, readFileSync(dump).subarray(0, 4_000_000));
    const refCut = path.join(tmp, 'pipe-cut.resp');
    const byFile = spawnSync(process.execPath, [bin, 'resp', cut, '-o', refCut], { encoding: 'utf8' });
    expect(byFile.status).toBe(1);
    expect(byFile.stderr).toContain('[TRUNCATED]');
    const want = readFileSync(refCut);
    expect(want.length).toBeGreaterThan(3 << 20); // more than the pipe and the sink's queue hold
    const r = spawnSync('bash', ['-c', `${q(process.execPath)} ${q(bin)} resp ${q(cut)} | { sleep 0.6; cat; }; echo "status \${PIPESTATUS[0]}" >&2`], { maxBuffer: 1 << 26 });
    expect(r.stderr.toString()).toBe(byFile.stderr + 'status 1\n');
    expect(r.stdout.length).toBe(want.length);
    expect(r.stdout.equals(want)).toBe(true);
  });

  it.skipIf(!bash)('a reader that goes away after 1,000 bytes: exit 0, nothing on stderr', () => {
    const r = spawnSync('bash', ['-c', `${q(process.execPath)} ${q(bin)} resp ${q(dump)} | { head -c 1000 >/dev/null; }; echo "status \${PIPESTATUS[0]}" >&2`]);
    expect(r.stderr.toString()).toBe('status 0\n');
  });
});
