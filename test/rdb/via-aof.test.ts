/**
 * The CLI reads every input through `parseAof`, which hands RDB files (and
 * RDB preambles) to the RDB decoder and stops it at the checksum. This checks
 * that the hand-over changes nothing: for every fixture and corpus RDB,
 * `parseAof` yields exactly the events `parseRdb` yields — whole, and at
 * random chunk splits (including 1 MiB-scale ones, as files are read) — or
 * the same error. Bytes after the RDB that are not commands stay a
 * `trailing` event.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { parseAof, parseRdb, RdbkitError, type RdbDecoderOptions } from '../../src/index.js';
import type { AofEvent } from '../../src/events.js';
import { listCorpusFiles, repoRoot } from '../helpers/corpus.js';
import { prng } from '../../scripts/shared.mjs';

interface Outcome {
  events: AofEvent[];
  error: string | null;
}

/** Collects events; parseAof's `aofPart` / `aofPartEnd` around a lone RDB are checked and left out. */
async function collect(it: AsyncIterable<AofEvent>): Promise<Outcome> {
  const events: AofEvent[] = [];
  let first = true;
  try {
    for await (const ev of it) {
      if (first && ev.type === 'aofPart') expect(ev).toEqual({ type: 'aofPart', file: null, role: 'single', format: 'rdb', offset: 0 });
      else if (ev.type === 'aofPartEnd') expect(ev.commands).toBe(events.filter((e) => e.type === 'command').length);
      else events.push(ev);
      first = false;
    }
    return { events, error: null };
  } catch (e) {
    if (!(e instanceof RdbkitError)) throw e;
    return { events, error: `${e.code}@${e.offset}` };
  }
}

function splits(bytes: Uint8Array, seed: number, max: number): Uint8Array[] {
  const rnd = prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(rnd() * max);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('hex') : typeof x === 'bigint' ? `${x}n` : x)).slice(0, 400);

/**
 * `got` must equal `want`; when `want` stopped with an error, `got` stops with
 * the same one and may have delivered more of the events read before it
 * (parseAof yields everything before a fault; parseRdb drops its last batch).
 */
function expectSame(got: Outcome, want: Outcome, what: string): void {
  expect(got.error, `${what}: error`).toBe(want.error);
  if (want.error === null) expect(got.events.length, `${what}: event count`).toBe(want.events.length);
  for (let i = 0; i < want.events.length; i++) {
    const a = show(got.events[i]);
    const b = show(want.events[i]);
    if (a !== b) expect(a, `${what}: event ${i}`).toBe(b);
  }
}

const files: Array<{ name: string; bytes: Uint8Array }> = [];
for (const f of readdirSync(path.join(repoRoot, 'fixtures')).filter((n) => n.endsWith('.rdb'))) {
  files.push({ name: `fixtures/${f}`, bytes: new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', f))) });
}
for (const c of listCorpusFiles()) {
  if (!c.rel.endsWith('.rdb')) continue;
  files.push({ name: c.rel, bytes: new Uint8Array(readFileSync(c.path)) });
}

describe('parseAof reads RDB files exactly as parseRdb does', () => {
  const options: RdbDecoderOptions = { chunkBytes: 4096 };
  for (const f of files) {
    it(f.name, async () => {
      // Large values stream in chunks whose edges follow the input's: compare like with like.
      const cases: Array<[string, Uint8Array[]]> = [
        ['whole', [f.bytes]],
        ['small splits', splits(f.bytes, f.bytes.length, 97)],
        ['large splits', splits(f.bytes, 7, Math.max(2, f.bytes.length >> 2))],
      ];
      for (const [what, chunks] of cases) expectSame(await collect(parseAof(chunks, options)), await collect(parseRdb(chunks, options)), what);
    });
  }

  it('bytes after the checksum that are not commands stay a trailing event; commands after it are read', async () => {
    const fixture = new Uint8Array(readFileSync(path.join(repoRoot, 'fixtures', 'sample.rdb')));
    const junk = new Uint8Array([...fixture, 0x00, 0x01, 0x02]);
    const got = await collect(parseAof(splits(junk, 3, 5)));
    expect(got.error).toBeNull();
    expect(got.events.at(-1)).toEqual({ type: 'trailing', offset: fixture.length, length: 3 });

    const cmd = Buffer.from('*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n');
    const aof = new Uint8Array([...fixture, ...cmd]);
    for (const chunks of [[aof], splits(aof, 11, 3), splits(aof, 12, 64)]) {
      const { events, error } = await collect(parseAof(chunks));
      expect(error).toBeNull();
      const cmds = events.filter((e) => e.type === 'command');
      expect(cmds.map((c) => [c.db, c.args.map((a) => Buffer.from(a).toString()), c.offset, c.end])).toEqual([
        [3, ['SELECT', '3'], fixture.length, fixture.length + 23],
        [3, ['DEL', 'k'], fixture.length + 23, aof.length],
      ]);
      expect(events.some((e) => e.type === 'trailing')).toBe(false);
    }
  });
});
