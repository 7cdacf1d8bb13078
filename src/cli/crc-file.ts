/** The CRC-64 over a range of an open file: what the main thread checksums past the worker's last checkpoint (checksum.ts). */
import { readSync } from 'node:fs';
import type { Crc64 } from '../rdb/crc64.js';

/**
 * Runs `c` over bytes `[from, end)` of the open file `fd`, read into `buf`
 * (stops early where the file ends).
 */
export function crcFileRange(fd: number, c: Crc64, from: number, end: number, buf: Uint8Array): void {
  for (let p = from; p < end; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - p), p);
    if (n === 0) break;
    c.update(buf, 0, n);
    p += n;
  }
}
