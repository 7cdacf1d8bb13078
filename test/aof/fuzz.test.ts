/**
 * Hostile AOF input: random bytes, and real AOFs with bytes inserted,
 * deleted and overwritten, let nothing but RdbkitError escape parseAof (in
 * both modes), never hang, read the same whole and in random pieces, and
 * never allocate for a length the input does not back.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseAof, RdbkitError, type ParseAofOptions } from '../../src/index.js';
import { repoRoot } from '../helpers/corpus.js';

/**
 * A printable outcome: every event's type, offset and command bytes, then the
 * error code and offset. The pieces of a streamed value follow the input's
 * chunks (they are "about chunkBytes"): consecutive keyChunk events count as
 * one, by their first offset and the length and a hash of their content.
 */
async function outcome(chunks: Uint8Array[], options: ParseAofOptions): Promise<string> {
  const out: string[] = [];
  let run: { at: number; len: number; hash: number } | null = null;
  const endRun = (): void => {
    if (run !== null) out.push(`keyChunk${run.at}:${run.len}:${run.hash}`);
    run = null;
  };
  try {
    for await (const ev of parseAof(chunks, options)) {
      if (ev.type === 'keyChunk') {
        run ??= { at: ev.offset, len: 0, hash: 0x811c9dc5 };
        const bytes = ev.dataType === 'string' ? [ev.value] : [];
        for (const b of bytes) for (let i = 0; i < b.length; i++) run.hash = Math.imul(run.hash ^ b[i]!, 0x01000193) >>> 0;
        run.len += ev.value.length;
        continue;
      }
      endRun();
      if (ev.type === 'command') out.push(`c${ev.offset}:${ev.end}:${ev.db}:${ev.args.map((a) => Buffer.from(a).toString('hex')).join(',')}`);
      else if (ev.type === 'annotation') out.push(`a${ev.offset}:${Buffer.from(ev.text).toString('hex')}`);
      else out.push(`${ev.type}${'offset' in ev ? ev.offset : ''}`);
    }
    endRun();
    return out.join(' ');
  } catch (e) {
    if (!(e instanceof RdbkitError)) throw e;
    endRun();
    return `${out.join(' ')} ! ${e.code}@${e.offset}`;
  }
}

function pieces(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

const legacy = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', 'aof', 'legacy-preamble.aof')));
const incr = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', 'aof', 'multipart-rdb-ts', 'appendonly.aof.3.incr.aof')));

const mutated = (base: Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc
    .array(
      fc.record({ at: fc.nat(), op: fc.constantFrom('insert', 'delete', 'set'), byte: fc.constantFrom(0x2a, 0x24, 0x23, 0x0d, 0x0a, 0x30, 0x39, 0x2d, 0x00, 0xff) }),
      { minLength: 1, maxLength: 6 },
    )
    .map((edits) => {
      const b = [...base];
      for (const e of edits) {
        const i = e.at % (b.length + 1);
        if (e.op === 'insert') b.splice(i, 0, e.byte);
        else if (e.op === 'delete') b.splice(i, 1);
        else if (i < b.length) b[i] = e.byte;
      }
      return Uint8Array.from(b);
    });

describe('parseAof on hostile input', () => {
  for (const [name, input] of [
    ['random bytes after "*"', fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.from([0x2a, ...b]))],
    ['mutated INCR part', mutated(incr)],
    ['mutated RDB-preamble AOF', mutated(legacy)],
  ] as const) {
    it(`${name}: only RdbkitError, same result in pieces, in both modes`, async () => {
      await fc.assert(
        fc.asyncProperty(input as fc.Arbitrary<Uint8Array>, fc.array(fc.nat(), { maxLength: 8 }), async (bytes, cuts) => {
          for (const truncated of ['load', 'strict'] as const) {
            const whole = await outcome([bytes], { truncated });
            expect(await outcome(pieces(bytes, cuts), { truncated })).toBe(whole);
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it('a huge stated length waits for bytes that never come: a clean cut, fast, no allocation', async () => {
    const enc = new TextEncoder();
    const start = Date.now();
    const before = process.memoryUsage().arrayBuffers;
    const got = await outcome([enc.encode('*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$4294967295\r\nabc')], { truncated: 'load' });
    expect(got).toMatch(/^aofPart0 c0:14:0:50494e47 aofTruncated14 aofPartEnd14$/);
    await expect(outcome([enc.encode('*1\r\n$99999999999999\r\n')], {})).resolves.toMatch(/! AOF_FORMAT@4$/);
    await expect(outcome([enc.encode('*99999999999\r\n$1\r\nx\r\n')], { truncated: 'strict' })).resolves.toMatch(/! TRUNCATED@0$/);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });
});
