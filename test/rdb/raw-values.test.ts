/**
 * The decoder's `rawValues` option: every whole key event carries its value
 * exactly as the file stores it (checked against bytes cut from the file
 * here), whether the input comes whole or in small chunks, and the events are
 * otherwise the same as without the option.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { decodeInChunks, dumpFiles, valueSlice } from '../helpers/rdb-bytes.js';
import type { KeyEvent, RdbEvent } from '../../src/events.js';

const fixtures = path.resolve(__dirname, '../../fixtures');
const files = dumpFiles();

function decodes(bytes: Uint8Array): RdbEvent[] | null {
  try {
    return decodeInChunks(bytes, 0, { verifyChecksum: false });
  } catch {
    return null; // corrupt, future and module-parser corpus files: not this test's business
  }
}

describe('rawValues', () => {
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(f.path));
    const plain = decodes(bytes);
    if (plain === null) continue;
    it(f.name, () => {
      // Byte by byte only for small files: the 1-byte path is slow on the large ones.
      for (const chunk of bytes.length < 65536 ? [0, 7, 1] : [0, 4093]) {
        const evs = decodeInChunks(bytes, chunk, { verifyChecksum: false, rawValues: true });
        const keys = evs.filter((e): e is KeyEvent => e.type === 'key');
        for (const k of keys) {
          expect(k.raw, `${f.name} key at ${k.offset}`).toBeDefined();
          expect(Buffer.from(k.raw!).equals(Buffer.from(valueSlice(bytes, k))), `${f.name} key at ${k.offset}, chunks of ${chunk}`).toBe(true);
        }
        expect(evs.map(({ raw: _r, ...e }: RdbEvent & { raw?: Uint8Array }) => e)).toEqual(plain);
      }
    });
  }

  it('leaves streamed values and the default decoder alone', () => {
    const bytes = new Uint8Array(readFileSync(path.join(fixtures, 'encodings-7.0.rdb')));
    const evs = decodeInChunks(bytes, 0, { rawValues: true, chunkBytes: 64 });
    expect(evs.some((e) => e.type === 'keyStart')).toBe(true);
    for (const e of evs) if (e.type === 'key' || e.type === 'keyStart') expect('raw' in e).toBe(e.type === 'key');
    for (const e of decodeInChunks(bytes, 0)) expect('raw' in e).toBe(false);
  });
});
