/**
 * Worker thread of `fileChecksum` (checksum.ts): reads the file on its own
 * and runs the CRC-64 over it while the main thread decodes, keeping the
 * running value at every 1 MiB so the prefix the decoder asks for at its EOF
 * opcode is at most 1 MiB of extra work. Protocol over the shared Int32Array:
 * [0] flag (0 running, 1 request, 2 answer, 3 failed), [1]/[2] answer low/high
 * 32 bits, [3] 1 once started; the Float64Array's [2] is the requested length
 * and [3] the bytes done so far (progress, for the waiting side).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Crc64 } from '../rdb/crc64.js';
import { crcFileRange } from './crc-file.js';

const { path, shared } = workerData as { path: string; shared: SharedArrayBuffer };
const flags = new Int32Array(shared);
const nums = new Float64Array(shared);
const BLOCK = 1 << 20;
const buf = new Uint8Array(BLOCK);
const crc = new Crc64();
/** CRC state after k whole blocks, at [2k] and [2k + 1]. */
const marks: number[] = [0, 0];
let done = 0;
let fd = -1;

/** Reads up to `n` bytes at `at` into buf; returns how many. */
function readAt(at: number, n: number): number {
  let got = 0;
  while (got < n) {
    const r = readSync(fd, buf, got, n - got, at + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}

function answer(): void {
  const end = nums[2]!;
  const k = Math.min(Math.floor(end / BLOCK), marks.length / 2 - 1);
  const c = new Crc64();
  c.lo = marks[2 * k]!;
  c.hi = marks[2 * k + 1]!;
  crcFileRange(fd, c, k * BLOCK, end, buf, (p) => {
    nums[3] = p;
  });
  Atomics.store(flags, 1, c.lo | 0);
  Atomics.store(flags, 2, c.hi | 0);
  Atomics.store(flags, 0, 2);
  Atomics.notify(flags, 0);
}

try {
  fd = openSync(path, 'r');
  Atomics.store(flags, 3, 1);
  // Whole blocks ahead of the decoder until it asks, or the file ends.
  for (;;) {
    if (Atomics.load(flags, 0) === 1) break;
    const n = readAt(done, BLOCK);
    if (n < BLOCK) break;
    crc.update(buf, 0, n);
    done += n;
    nums[3] = done;
    marks.push(crc.lo, crc.hi);
  }
  while (Atomics.load(flags, 0) !== 1) Atomics.wait(flags, 0, 0);
  answer();
} catch {
  Atomics.store(flags, 0, 3);
  Atomics.notify(flags, 0);
} finally {
  if (fd >= 0) closeSync(fd);
}
