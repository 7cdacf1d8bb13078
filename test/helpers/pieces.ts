/** Ways to cut an input into the pieces a decoder is pushed: whole, byte by byte, at seeded random edges; and a run of a writer over them. */
import { RdbDecoder, type RdbDecoderOptions } from '../../src/rdb/decoder.js';
import type { RdbEvent } from '../../src/events.js';

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
