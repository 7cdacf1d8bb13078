/**
 * OutputSink.writeAll (src/node/index.ts): the chunks of a batch go to a file
 * in one writev call; the file must hold exactly their bytes in order, empty
 * chunks and all, batch after batch, and the chunks handed in stay as they
 * were (the CLI gives them back to the writer to reuse).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputSink } from '../../src/node/index.js';

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
