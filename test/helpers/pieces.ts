/** Ways to cut an input into the pieces a decoder is pushed: whole, byte by byte, at seeded random edges; and a run of a writer over them. */
import { RdbDecoder, type RdbDecoderOptions } from '../../src/rdb/decoder.js';
import type { RdbEvent } from '../../src/events.js';
import type { ValueSink } from '../../src/rdb/sink.js';
import { RdbkitError } from '../../src/errors.js';
import { expect } from 'vitest';
import { readFileSync } from 'node:fs';

/** What the writers share: events in, chunks out. */
export interface EventWriter {
  write(ev: RdbEvent): void;
  take(): Uint8Array[];
  end(): void;
}

export function* whole(b: Uint8Array): Generator<Uint8Array> {
  yield b;
}

export function* bytewise(b: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < b.length; i++) yield b.slice(i, i + 1);
}

/** Pieces of 1–700 bytes, from an xorshift generator seeded with `seed`. */
export function* random(b: Uint8Array, seed: number): Generator<Uint8Array> {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < b.length; ) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const n = 1 + ((s >>> 0) % 700);
    yield b.slice(i, i + n);
    i += n;
  }
}

/**
 * Runs a decoder over `pieces` the way parseRdbBatches does with a sink (each
 * event written before the decoder reads on) into `w`; its whole output.
 */
export function writeThrough(pieces: Iterable<Uint8Array>, w: EventWriter, options: RdbDecoderOptions): Buffer {
  const dec = new RdbDecoder(options);
  const out: Uint8Array[] = [];
  const drain = (): void => {
    let ev;
    while ((ev = dec.read()) !== undefined) {
      w.write(ev);
      out.push(...w.take());
    }
  };
  for (const p of pieces) {
    dec.push(p);
    drain();
  }
  dec.end();
  drain();
  if (!dec.done) throw new Error('the decoder did not finish');
  w.end();
  out.push(...w.take());
  return Buffer.concat(out);
}

/** A writer that can be the decoder's sink and counts the keys it took that way. */
export interface SinkWriter extends EventWriter, ValueSink {
  sinkKeys: number;
}

/** What a run of a writer gives: its output and the keys its sink took, or the code of the RdbkitError it ended with. */
export type SinkRun = { out: Buffer; sinkKeys: number } | string;

/** `writeThrough` with a fresh writer from `make`, as the decoder's sink or not. */
export function runSinkWriter(make: () => SinkWriter, pieces: Iterable<Uint8Array>, sink: boolean, options: RdbDecoderOptions = {}): SinkRun {
  const w = make();
  try {
    return { out: writeThrough(pieces, w, { ...options, sink: sink ? w : null }), sinkKeys: w.sinkKeys };
  } catch (e) {
    if (e instanceof RdbkitError) return e.code;
    throw e;
  }
}

/**
 * The sink path must write the event path's bytes (or end with its error) for
 * every way of cutting `bytes`; the number of keys the sink took.
 */
export function expectSinkSame(run: (pieces: Iterable<Uint8Array>, sink: boolean) => SinkRun, bytes: Uint8Array, splits: Array<() => Iterable<Uint8Array>>): number {
  const want = run(whole(bytes), false);
  let taken = 0;
  for (const split of splits) {
    const got = run(split(), true);
    if (typeof want === 'string' || typeof got === 'string') {
      expect(got).toEqual(want);
      continue;
    }
    expect(want.sinkKeys).toBe(0);
    expect(got.out.length).toBe(want.out.length);
    expect(got.out.equals(want.out)).toBe(true);
    taken = got.sinkKeys;
  }
  return taken;
}

/**
 * `check(bytes, option, splits)` for every corpus RDB under every option, whole
 * and at a random split, naming the file and option of a failure; the sum of
 * what `check` returns (keys the sink took).
 */
export function overCorpus<O>(files: Array<{ rel: string; path: string }>, options: Array<[string, O]>, check: (bytes: Uint8Array, o: O, splits: Array<() => Iterable<Uint8Array>>) => number): number {
  let taken = 0;
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(f.path));
    for (const [what, o] of options) {
      try {
        taken += check(bytes, o, [() => whole(bytes), () => random(bytes, bytes.length)]);
      } catch (e) {
        throw new Error(`${f.rel}, ${what}: ${(e as Error).message}`);
      }
    }
  }
  return taken;
}
