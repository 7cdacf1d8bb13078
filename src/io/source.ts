/**
 * Source normalisation: every input shape the public API accepts becomes an
 * `AsyncIterable<Uint8Array>` (or, for in-memory input, a single chunk).
 */
import { RdbkitError } from '../errors.js';
import { plainView } from './byte-reader.js';

/** What `parseRdb` and friends accept as input. */
export type ByteSource =
  | Uint8Array
  | ArrayBuffer
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>;

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return typeof x === 'object' && x !== null && Symbol.iterator in x;
}

function isReadableStream(x: unknown): x is ReadableStream<Uint8Array> {
  return typeof x === 'object' && x !== null && typeof (x as { getReader?: unknown }).getReader === 'function';
}

function asBytes(chunk: unknown): Uint8Array {
  // Plain Uint8Array views even for subclasses (Node's Buffer): every byte
  // string rdbkit hands out then has one shape, and no Buffer-only methods.
  if (chunk instanceof Uint8Array) return plainView(chunk);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new RdbkitError('USAGE', `input chunks must be Uint8Array, got ${typeof chunk}`);
}

async function* fromReadableStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield asBytes(value);
    }
  } finally {
    reader.releaseLock();
  }
}

async function* fromAsyncIterable(it: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const chunk of it) yield asBytes(chunk);
}

function* fromIterable(it: Iterable<unknown>): Generator<Uint8Array> {
  for (const chunk of it) yield asBytes(chunk);
}

/** Turns any accepted source into an iterable of byte chunks. */
export function toChunks(source: ByteSource): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  if (source instanceof Uint8Array) return [asBytes(source)];
  if (source instanceof ArrayBuffer) return [new Uint8Array(source)];
  // Node Readable streams are async iterables; check that before the web stream shape.
  if (isAsyncIterable(source)) return fromAsyncIterable(source);
  if (isReadableStream(source)) return fromReadableStream(source);
  if (isIterable(source)) return fromIterable(source);
  throw new RdbkitError('USAGE', 'unsupported input: expected Uint8Array, ArrayBuffer, (async) iterable of Uint8Array or ReadableStream');
}
