/**
 * The CRC-64 of a file's prefix, computed mostly on a worker thread that
 * reads the file itself while the main thread decodes (the decoder's
 * `checksumOf`): on two cores the checksum then costs the decoder little.
 * The worker publishes a checkpoint every 1 MiB (crc-layout.ts); asked for
 * a prefix, this thread stops the worker, takes the last checkpoint before
 * the prefix's end and checksums the rest itself. It never waits for the
 * worker, so the result and the time to it never depend on the worker having
 * started, finished or failed — on a busy machine, where the low-priority
 * worker may lag, this thread just does more of the work.
 */
import { closeSync, openSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Crc64 } from '../rdb/crc64.js';
import { crcFileRange } from './crc-file.js';
import { CRC_BLOCK, CRC_BLOCKS_DONE, CRC_MARKS, CRC_STOP, crcSharedBytes } from './crc-layout.js';

/** This process's thread ids (Linux), or null. */
function threadIds(): Set<string> | null {
  try {
    return new Set(readdirSync('/proc/self/task'));
  } catch {
    return null;
  }
}

/**
 * Gives the one thread started since `before` the lowest priority (nice 19):
 * the worker's, which `new Worker` starts at once. Done from here, not by the
 * worker itself, so that its start-up (a Node environment of its own, some
 * 50 ms of CPU) already yields to this thread and V8's compiler threads: on
 * two cores that start-up, at normal priority, cost the decoder ~45 ms
 * (measured on the bench dump with a worker that did nothing else).
 * Elsewhere, when it is not allowed, or when no single new thread is seen,
 * the worker runs as it is.
 */
function lowerNewThread(before: Set<string> | null): void {
  if (before === null) return;
  const added = [...(threadIds() ?? [])].filter((t) => !before.has(t));
  if (added.length !== 1) return;
  try {
    setPriority(Number(added[0]), 19);
  } catch {
    // not allowed
  }
}

/** A checksum provider for one regular file of `size` bytes; `close()` ends its worker. */
export class FileChecksum {
  private readonly shared: SharedArrayBuffer;
  private readonly words: Int32Array;
  private worker: Worker | null = null;

  /** Of the last answer: the bytes the worker had checksummed (from its checkpoint), and those checksummed on this thread. */
  fromWorker = 0;
  onThisThread = 0;

  /** `script`: the built worker (crc-worker.cjs beside this module; tests pass dist's). */
  constructor(
    private readonly path: string,
    size: number,
    script: URL = new URL('./crc-worker.cjs', import.meta.url),
  ) {
    this.shared = new SharedArrayBuffer(crcSharedBytes(size));
    this.words = new Int32Array(this.shared);
    try {
      const before = threadIds();
      // stdout/stderr true: not piped to this thread's (the worker prints nothing),
      // so that new Worker does not create process.stdout, which makes a piped
      // stdout non-blocking: OutputSink's writev to it then fails with EAGAIN
      // and falls back to the stream (`rdbkit resp` of the bench dump into a
      // pipe: 453 EAGAIN and 5,877 writes, against 686 writev without).
      this.worker = new Worker(script, { workerData: { path, shared: this.shared }, stdout: true, stderr: true });
      lowerNewThread(before);
      // A worker that fails only publishes less (its error is not this run's).
      this.worker.on('error', () => {});
      this.worker.unref();
    } catch {
      this.worker = null;
    }
  }

  /** Blocks the worker has checksummed so far. */
  get blocksDone(): number {
    return Atomics.load(this.words, CRC_BLOCKS_DONE);
  }

  /** The CRC-64 of the file's first `end` bytes. */
  readonly of = (end: number): bigint => {
    const words = this.words;
    Atomics.store(words, CRC_STOP, 1);
    const k = Math.min(Atomics.load(words, CRC_BLOCKS_DONE), Math.floor(end / CRC_BLOCK));
    const c = new Crc64();
    c.lo = words[CRC_MARKS + 2 * k]! >>> 0;
    c.hi = words[CRC_MARKS + 2 * k + 1]! >>> 0;
    const from = k * CRC_BLOCK;
    if (from < end) {
      const fd = openSync(this.path, 'r');
      try {
        crcFileRange(fd, c, from, end, new Uint8Array(Math.min(CRC_BLOCK, end - from)));
      } finally {
        closeSync(fd);
      }
    }
    this.fromWorker = from;
    this.onThisThread = end - from;
    return c.value;
  };

  close(): void {
    Atomics.store(this.words, CRC_STOP, 1);
    void this.worker?.terminate();
    this.worker = null;
  }
}
