/**
 * Mid-batch output (`ChunkedOutput.drainTo`, as the CLI sets it for a file
 * or descriptor): every writer gives the same bytes as through `take()`
 * alone, over the fixtures a real redis-server wrote, whether the drain is
 * done with the chunks at once (they are written into again) or keeps them
 * (standard output that turned into a stream).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { openAof } from '../../src/node/index.js';
import { parseAofBatches } from '../../src/index.js';
import { WRITERS } from '../helpers/writers.js';
import { repoRoot } from '../helpers/corpus.js';

async function run(file: string, kind: keyof typeof WRITERS, drain: 'none' | 'reuse' | 'keep', repeat = 1): Promise<{ out: Buffer; drained: number }> {
  const { writer, rawValues } = WRITERS[kind]();
  const parts: Buffer[] = [];
  let drained = 0;
  if (drain !== 'none') {
    writer.drainTo((chunks) => {
      drained += chunks.length;
      // Kept: views, read at the end (a writer that wrote into them again would show).
      for (const c of chunks) parts.push(drain === 'reuse' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.length));
      return drain === 'reuse';
    });
  }
  const keep = (chunks: Uint8Array[]): void => {
    for (const c of chunks) parts.push(Buffer.from(c));
    writer.recycle(chunks);
  };
  for (let r = 0; r < repeat; r++) {
    const src = await openAof(file, { chunkSize: 4096 });
    for await (const batch of parseAofBatches(src.parts, { sink: writer, rawValues, reuseInput: true })) {
      for (const ev of batch) writer.write(ev as never);
      // Repeated: output gathers over the batches until the end (or the drain).
      if (repeat === 1) keep(writer.take());
    }
  }
  writer.end();
  keep(writer.take());
  return { out: Buffer.concat(parts), drained };
}

const fixtures = readdirSync(path.join(repoRoot, 'fixtures')).filter((f) => f.endsWith('.rdb')).map((f) => path.join(repoRoot, 'fixtures', f));

describe('writers draining mid-batch give the same output', () => {
  for (const file of fixtures) {
    for (const kind of Object.keys(WRITERS) as Array<keyof typeof WRITERS>) {
      it(`${kind}: ${path.basename(file)}`, async () => {
        const plain = await run(file, kind, 'none');
        for (const mode of ['reuse', 'keep'] as const) {
          const d = await run(file, kind, mode);
          expect(d.out.equals(plain.out), `${mode}: ${d.out.length} vs ${plain.out.length} bytes`).toBe(true);
          // Output of 512 KiB or more went out through the drain, in groups of 4 chunks.
          if (plain.out.length >= 1 << 19) expect(d.drained).toBeGreaterThanOrEqual(4);
          expect(d.drained % 4).toBe(0);
        }
      });
    }
  }
  it('output larger than a few chunks goes out through the drain, with the same bytes', async () => {
    // The same dump 80 times into one writer: several MB of output, drained in 256 KiB groups.
    const file = path.join(repoRoot, 'fixtures/encodings-7.0.rdb');
    for (const kind of ['resp', 'json'] as const) {
      const plain = await run(file, kind, 'none', 80);
      expect(plain.out.length).toBeGreaterThan(1 << 20);
      for (const mode of ['reuse', 'keep'] as const) {
        const d = await run(file, kind, mode, 80);
        expect(d.out.equals(plain.out), `${kind} ${mode}`).toBe(true);
        expect(d.drained, `${kind} ${mode}`).toBeGreaterThanOrEqual(8);
      }
    }
  });
});
