/** The CRC-64 over a range of an open file: shared by the checksum worker and its main-thread fallback. */
import { readSync } from 'node:fs';
import type { Crc64 } from '../rdb/crc64.js';

/**
 * Runs `c` over bytes `[from, end)` of the open file `fd`, read into `buf`
 * (stops early where the file ends); `progress(p)` after each read.
 */
export function crcFileRange(fd: number, c: Crc64, from: number, end: number, buf: Uint8Array, progress?: (p: number) => void): void {
  for (let p = from; p < end; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - p), p);
    if (n === 0) break;
    c.update(buf, 0, n);
    p += n;
    progress?.(p);
  }
}
