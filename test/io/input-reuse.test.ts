/**
 * Reading over released input (`reuseInput`, `openInput`'s pool): every
 * writer the CLI runs gives the same bytes as with fresh memory per chunk,
 * over the fixtures (dumps a real redis-server wrote), the multi-part AOF
 * fixtures and the shared corpus, at chunk sizes small enough that records
 * and values straddle many chunks. A chunk read over while something still
 * looks at it shows up as other bytes in the output.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import { openAof } from '../../src/node/index.js';
import { InfoCollector, parseAofBatches, type ParseAofOptions } from '../../src/index.js';
import { WRITERS } from '../helpers/writers.js';
import { corpusDir, listCorpusFiles, repoRoot } from '../helpers/corpus.js';

interface Writer {
  write(ev: never): void;
  take(): Uint8Array[];
  end(): void;
  recycle?(chunks: Uint8Array[]): void;
}

/** Fresh 1-chunk buffers the pool asked for (Buffer.allocUnsafeSlow of the chunk size). */
let fresh = 0;
const allocUnsafeSlow = Buffer.allocUnsafeSlow;
afterEach(() => {
  Buffer.allocUnsafeSlow = allocUnsafeSlow;
});
function countFresh(size: number): void {
  fresh = 0;
  Buffer.allocUnsafeSlow = (n: number) => {
    if (n === size) fresh++;
    return allocUnsafeSlow(n);
  };
}

/** What the CLI's convert() loop writes for `file`, or the error it stops with. */
async function convert(file: string, kind: keyof typeof WRITERS, chunkSize: number, reuse: boolean): Promise<{ out: Buffer; error: string | null; chunks: number }> {
  const { writer, rawValues } = WRITERS[kind]();
  const w = writer as unknown as Writer;
  const src = await openAof(file, { chunkSize });
  const options: ParseAofOptions = { sink: writer, rawValues, reuseInput: reuse, verifyChecksum: true };
  const parts: Uint8Array[] = [];
  const keep = (chunks: Uint8Array[]): void => {
    for (const c of chunks) parts.push(Uint8Array.prototype.slice.call(c));
    // As the CLI does once a chunk is written out: the writer writes into it again.
    w.recycle?.(chunks);
  };
  let error: string | null = null;
  try {
    for await (const batch of parseAofBatches(src.parts, options)) {
      for (const ev of batch) w.write(ev as never);
      keep(w.take());
    }
    w.end();
    keep(w.take());
  } catch (e) {
    error = `${(e as Error).message}`;
  }
  return { out: Buffer.concat(parts), error, chunks: Math.ceil((src.size ?? 0) / chunkSize) };
}

/** info/verify's collector over `file`: its report. */
async function info(file: string, chunkSize: number, reuse: boolean): Promise<string> {
  const src = await openAof(file, { chunkSize });
  const c = new InfoCollector();
  try {
    for await (const batch of parseAofBatches(src.parts, { sink: c, computeChecksum: true, reuseInput: reuse })) for (const ev of batch) c.add(ev);
  } catch (e) {
    return `error ${(e as Error).message}`;
  }
  return JSON.stringify(c.report(src.size));
}

const fixtures = [
  ...readdirSync(path.join(repoRoot, 'fixtures')).filter((f) => f.endsWith('.rdb')).map((f) => path.join(repoRoot, 'fixtures', f)),
  ...readdirSync(path.join(repoRoot, 'fixtures/aof'))
    .map((f) => path.join(repoRoot, 'fixtures/aof', f))
    .filter((f) => statSync(f).isDirectory() || f.endsWith('.aof')),
];

describe('reading over released input gives the same output', () => {
  for (const file of fixtures) {
    const name = path.relative(repoRoot, file);
    for (const kind of Object.keys(WRITERS) as Array<keyof typeof WRITERS>) {
      it(`${kind}: ${name}`, async () => {
        for (const size of [61, 509, 4096]) {
          const plain = await convert(file, kind, size, false);
          countFresh(size);
          const reused = await convert(file, kind, size, true);
          const reusedFresh = fresh;
          Buffer.allocUnsafeSlow = allocUnsafeSlow;
          expect(reused.error, `${name} at ${size}`).toBe(plain.error);
          expect(reused.out.equals(plain.out), `${name} at ${size}: ${reused.out.length} vs ${plain.out.length} bytes`).toBe(true);
          // The memory was reused (a lone RDB releases; the reads ahead and the decoder's chunk stay fresh).
          // The memory was reused: chunks a lone RDB released were read into again (not all:
          // the reads ahead, the decoder's own, and those a value held past the pool's window).
          if (plain.chunks >= 16 && name.endsWith('.rdb')) expect(plain.chunks - reusedFresh, `${name} at ${size}: ${reusedFresh} fresh of ${plain.chunks}`).toBeGreaterThanOrEqual(plain.chunks / 4);
        }
      });
    }
    it(`info: ${name}`, async () => {
      for (const size of [61, 4096]) expect(await info(file, size, true)).toBe(await info(file, size, false));
    });
  }
});

describe.skipIf(corpusDir === null)('reading over released input, over the corpus', () => {
  const files = listCorpusFiles();
  it(`every corpus file (${files.length}) gives the same RESP, JSON and RDB output`, async () => {
    let i = 0;
    for (const f of files) {
      // One chunk size per file and writer, from a fixed sequence: all sizes get used across the corpus.
      for (const kind of ['resp', 'json', 'rdb'] as const) {
        const size = [37, 256, 1500][i++ % 3]!;
        const plain = await convert(f.path, kind, size, false);
        const reused = await convert(f.path, kind, size, true);
        expect(reused.error, `${f.rel} ${kind} at ${size}`).toBe(plain.error);
        expect(reused.out.equals(plain.out), `${f.rel} ${kind} at ${size}`).toBe(true);
      }
    }
  }, 300_000);
});
