/**
 * Worker thread of `FileChecksum` (checksum.ts): reads the file on its own
 * and runs the CRC-64 over it while the main thread decodes, publishing the
 * running value at every 1 MiB block in the shared memory (layout in
 * crc-layout.ts). It never answers anything: the main thread takes the last
 * checkpoint before the prefix it needs and checksums the rest itself, so it
 * never waits for this thread.
 *
 * The thread runs at the lowest priority, set by checksum.ts as it starts
 * it: it is background work that only has to be done by the time the decoder
 * reaches the end, and on two cores it otherwise takes time from the
 * decoding thread and from V8's compiler threads (measured on the bench dump:
 * `rdbkit resp` 0.62 -> 0.58 s median, and 0.54 -> 0.51 s once its start-up
 * ran at that priority too).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Crc64 } from '../rdb/crc64.js';
import { CRC_BLOCK, CRC_BLOCKS_DONE, CRC_MARKS, CRC_STOP } from './crc-layout.js';

const { path, shared } = workerData as { path: string; shared: SharedArrayBuffer };
const words = new Int32Array(shared);
/** Checkpoints the shared memory has room for (the file's blocks when it was opened). */
const room = (words.length - CRC_MARKS) / 2 - 1;

// Blocks are read straight into the CRC kernel's memory where there is one.
const window = Crc64.window(CRC_BLOCK);
const buf = window ?? new Uint8Array(CRC_BLOCK);
const crc = new Crc64();
let fd = -1;
try {
  fd = openSync(path, 'r');
  for (let k = 0; k < room && Atomics.load(words, CRC_STOP) === 0; k++) {
    let n = 0;
    while (n < CRC_BLOCK) {
      const r = readSync(fd, buf, n, CRC_BLOCK - n, k * CRC_BLOCK + n);
      if (r === 0) break;
      n += r;
    }
    if (n < CRC_BLOCK) break;
    if (window !== null) crc.updateWindow(n);
    else crc.update(buf, 0, n);
    words[CRC_MARKS + 2 * (k + 1)] = crc.lo | 0;
    words[CRC_MARKS + 2 * (k + 1) + 1] = crc.hi | 0;
    // Published after its checkpoint (Atomics order the plain writes before it).
    Atomics.store(words, CRC_BLOCKS_DONE, k + 1);
  }
} catch {
  // The main thread checksums whatever was not published.
} finally {
  if (fd >= 0) closeSync(fd);
}
