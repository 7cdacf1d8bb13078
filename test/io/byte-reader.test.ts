/**
 * Input given as Node Buffers (what fs and net hand out): the decoder works
 * on plain Uint8Array views of them, so every byte array it gives out is a
 * plain Uint8Array, as the event model documents, and the output is the
 * same as for Uint8Array input, whole and at random chunk splits.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AofReader } from '../../src/aof/reader.js';
import { parseRdbSync } from '../../src/rdb/parse.js';
import { RespWriter } from '../../src/writers/resp.js';
import { repoRoot } from '../helpers/corpus.js';
import { random, writeThrough } from '../helpers/pieces.js';

describe('Buffer input', () => {
  const file = path.join(repoRoot, 'fixtures', 'encodings-7.0.rdb');
  const buf = readFileSync(file);
  const plain = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));

  it('gives plain Uint8Arrays for keys and values', () => {
    let arrays = 0;
    const visit = (v: unknown): void => {
      if (v instanceof Uint8Array) {
        expect(v.constructor).toBe(Uint8Array);
        arrays++;
      } else if (Array.isArray(v)) v.forEach(visit);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit);
    };
    for (const ev of parseRdbSync(buf)) visit(ev);
    expect(arrays).toBeGreaterThan(100);
  });

  it('writes the same RESP as Uint8Array input, through the sink, at random splits', () => {
    const toBuffers = function* (pieces: Iterable<Uint8Array>): Generator<Uint8Array> {
      for (const p of pieces) yield Buffer.from(p);
    };
    const w0 = new RespWriter();
    const want = writeThrough(random(plain, 1), w0, { sink: w0 });
    for (let seed = 2; seed < 6; seed++) {
      const w = new RespWriter();
      expect(writeThrough(toBuffers(random(plain, seed)), w, { sink: w }).equals(want)).toBe(true);
    }
  });
});

describe('Buffer input to the AOF reader', () => {
  it('gives plain Uint8Arrays for arguments', () => {
    const aof = readFileSync(path.join(repoRoot, 'fixtures', 'aof', 'multipart-resp-ts', 'appendonly.aof.2.incr.aof'));
    const r = new AofReader(null);
    r.push(aof);
    r.end();
    let commands = 0;
    for (let ev = r.read(); ev !== undefined; ev = r.read()) {
      if (ev.type !== 'command') continue;
      commands++;
      for (const a of ev.args) expect(a.constructor).toBe(Uint8Array);
    }
    expect(commands).toBeGreaterThan(3);
  });
});
