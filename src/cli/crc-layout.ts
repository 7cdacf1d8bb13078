/**
 * The memory `FileChecksum` (checksum.ts) shares with its worker
 * (crc-worker.ts), as an Int32Array: [CRC_STOP] set to 1 by the main thread
 * when the worker should stop; [CRC_BLOCKS_DONE] how many whole blocks of
 * CRC_BLOCK bytes from the file's start the worker has checksummed; from
 * [CRC_MARKS], the running CRC after k blocks as two 32-bit halves (low,
 * high) at CRC_MARKS + 2k, for k = 0 (zero: the empty prefix) up to
 * CRC_BLOCKS_DONE.
 */
export const CRC_BLOCK = 1 << 20;
export const CRC_STOP = 0;
export const CRC_BLOCKS_DONE = 1;
export const CRC_MARKS = 2;

/** Bytes of shared memory for a file of `size` bytes. */
export function crcSharedBytes(size: number): number {
  return 4 * (CRC_MARKS + 2 * (Math.floor(size / CRC_BLOCK) + 1));
}
