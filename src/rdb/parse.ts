/**
 * The pull-based entry points over RdbDecoder: async iteration over any
 * source, and synchronous iteration over bytes already in memory.
 */
import { RdbDecoder, type RdbDecoderOptions } from './decoder.js';
import { RdbkitError } from '../errors.js';
import type { RdbEvent } from '../events.js';
import { toChunks, type ByteSource } from '../io/source.js';

/** Options of `parseRdb` and friends. */
export type ParseRdbOptions = RdbDecoderOptions;

/**
 * Moves up to `max` events into `out`, stopping after a chunk of a large
 * value: compressed input can expand many times over, so a batch holds at
 * most one chunk's worth of decoded elements.
 */
function drain(dec: RdbDecoder, out: RdbEvent[], max: number): void {
  let ev: RdbEvent | undefined;
  // With a sink, each event is handled before the decoder reads on (see RdbDecoderOptions.sink).
  if (dec.sinking) max = 1;
  while (out.length < max && (ev = dec.read()) !== undefined) {
    out.push(ev);
    if (ev.type === 'keyChunk') return;
  }
}

/**
 * Decodes an RDB and yields its events in batches (arrays), one batch per
 * refill of the input: the cheapest way to consume millions of small keys.
 */
export async function* parseRdbBatches(source: ByteSource, options: ParseRdbOptions = {}): AsyncGenerator<RdbEvent[]> {
  const dec = new RdbDecoder(options);
  const chunks = toChunks(source);
  const it: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
    Symbol.asyncIterator in chunks
      ? (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
  let finished = false;
  try {
    for (;;) {
      for (;;) {
        const batch: RdbEvent[] = [];
        drain(dec, batch, 4096);
        if (batch.length === 0) break;
        yield batch;
      }
      // With a sink, output was written during this chunk without events: let the consumer take it.
      if (dec.sinking) yield [];
      if (dec.done) return;
      if (finished) throw new RdbkitError('TRUNCATED', 'unexpected end of input', { offset: dec.offset });
      const r = await it.next();
      if (r.done) {
        finished = true;
        dec.end();
      } else {
        dec.push(r.value);
      }
    }
  } finally {
    if (!finished && typeof it.return === 'function') await it.return();
  }
}

/**
 * Decodes an RDB from a `Uint8Array`, an (async) iterable of chunks or a web
 * `ReadableStream`, yielding one event at a time.
 *
 * ```ts
 * for await (const ev of parseRdb(bytes)) if (ev.type === 'key') console.log(ev.key);
 * ```
 */
export async function* parseRdb(source: ByteSource, options: ParseRdbOptions = {}): AsyncGenerator<RdbEvent> {
  for await (const batch of parseRdbBatches(source, options)) yield* batch;
}

/** Decodes an RDB held in memory, synchronously. */
export function* parseRdbSync(bytes: Uint8Array, options: ParseRdbOptions = {}): Generator<RdbEvent> {
  const dec = new RdbDecoder(options);
  dec.push(bytes);
  dec.end();
  let ev: RdbEvent | undefined;
  while ((ev = dec.read()) !== undefined) yield ev;
  if (!dec.done) throw new RdbkitError('TRUNCATED', 'unexpected end of input', { offset: dec.offset });
}
