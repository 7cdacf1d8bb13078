/**
 * The CRC-64 of a file's prefix, computed on a worker thread that reads the
 * file itself while the main thread decodes (the decoder's `checksumOf`):
 * on two cores the checksum then costs the decoder nothing. When the worker
 * cannot start or fails, the prefix is read and checksummed on this thread,
 * so the result never depends on the worker.
 */
import { closeSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Crc64 } from '../rdb/crc64.js';
import { crcFileRange } from './crc-file.js';

/** A checksum provider for one regular file; `close()` ends its worker. */
export class FileChecksum {
  private readonly shared = new SharedArrayBuffer(32);
  private readonly flags = new Int32Array(this.shared);
  private worker: Worker | null = null;

  /** Who gave the last answer: the worker, or this thread after a worker failure (or a second question). */
  answeredBy: 'worker' | 'here' | null = null;

  /** `script`: the built worker (crc-worker.js beside this module; tests pass dist's). */
  constructor(
    private readonly path: string,
    script: URL = new URL('./crc-worker.js', import.meta.url),
  ) {
    try {
      this.worker = new Worker(script, { workerData: { path, shared: this.shared } });
      // A worker that failed to start or died is not asked (once this thread has seen it go);
      // one that fails while asked answers 3, or stops moving: see of().
      const gone = (): void => {
        this.worker = null;
      };
      this.worker.on('error', gone);
      this.worker.on('exit', () => {
        if (Atomics.load(this.flags, 0) !== 2) gone();
      });
      this.worker.unref();
    } catch {
      this.worker = null;
    }
  }

  /** The CRC-64 of the file's first `end` bytes. Blocks until the worker has it. */
  readonly of = (end: number): bigint => {
    const flags = this.flags;
    const nums = new Float64Array(this.shared);
    nums[2] = end;
    // Ask, unless the worker already failed (3).
    if (this.worker !== null && Atomics.compareExchange(flags, 0, 0, 1) === 0) {
      Atomics.notify(flags, 0);
      // Wait while it makes progress: a worker that never started, or stopped
      // moving for 10 s, is not waited for.
      let seen = -1;
      let still = 0;
      while (Atomics.load(flags, 0) === 1 && still < 10000) {
        Atomics.wait(flags, 0, 1, 100);
        const now = nums[3]!;
        if (now !== seen) {
          seen = now;
          still = 0;
        } else still += 100;
      }
      if (Atomics.load(flags, 0) === 2) {
        this.answeredBy = 'worker';
        return (BigInt(flags[2]! >>> 0) << 32n) | BigInt(flags[1]! >>> 0);
      }
    }
    this.answeredBy = 'here';
    return this.here(end);
  };

  private here(end: number): bigint {
    const c = new Crc64();
    const buf = new Uint8Array(1 << 20);
    const fd = openSync(this.path, 'r');
    try {
      crcFileRange(fd, c, 0, end, buf);
    } finally {
      closeSync(fd);
    }
    return c.value;
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}
