/**
 * Node adapters: open a path (or `-` for stdin) as a chunk source, and write
 * output chunks to a file or stdout with backpressure.
 */
import { open, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { RdbkitError } from '../errors.js';
import { parseRdb, parseRdbBatches, type ParseRdbOptions } from '../rdb/parse.js';
import type { RdbEvent } from '../events.js';

/** An opened input: its chunks, its size when known, and a name for messages. */
export interface InputSource {
  name: string;
  /** Total size in bytes, when known (regular files). */
  size: number | null;
  chunks: AsyncIterable<Uint8Array>;
  /** Bytes handed out so far (for progress reports). */
  readonly position: number;
}

const READ_SIZE = 1 << 20;

/** Opens a file path, or `-` for standard input, as a chunk source. */
export async function openInput(path: string): Promise<InputSource> {
  if (path === '-') {
    let position = 0;
    const stdin = process.stdin;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for await (const c of stdin) {
        const b = c as Buffer;
        position += b.length;
        yield new Uint8Array(b.buffer, b.byteOffset, b.length);
      }
    }
    return { name: 'stdin', size: null, chunks: chunks(), get position() { return position; } };
  }
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new RdbkitError('IO', `cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  if (st.isDirectory()) throw new RdbkitError('USAGE', `${path} is a directory (AOF directories are not supported yet)`);
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new RdbkitError('IO', `cannot open ${path}: ${e.code ?? e.message}`, { cause: e });
  });
  let position = 0;
  let readAt = 0;
  const readChunk = async (): Promise<Uint8Array | null> => {
    // A fresh buffer per read: the decoder keeps views into earlier chunks.
    const buf = new Uint8Array(READ_SIZE);
    const at = readAt;
    readAt += READ_SIZE;
    const { bytesRead } = await fh.read(buf, 0, READ_SIZE, at);
    if (bytesRead === 0) return null;
    return bytesRead === READ_SIZE ? buf : buf.subarray(0, bytesRead);
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    // Read one chunk ahead, so the disk works while the decoder does.
    let next = readChunk();
    try {
      for (;;) {
        const chunk = await next;
        if (chunk === null) return;
        next = readChunk();
        position += chunk.length;
        yield chunk;
      }
    } finally {
      await next.catch(() => null); // let a read in flight finish before closing
      await fh.close();
    }
  }
  return { name: path, size: st.isFile() ? st.size : null, chunks: chunks(), get position() { return position; } };
}

/** Decodes an RDB file (or `-` for stdin). */
export async function* parseRdbFile(path: string, options: ParseRdbOptions = {}): AsyncGenerator<RdbEvent> {
  const input = await openInput(path);
  yield* parseRdb(input.chunks, options);
}

/** Like parseRdbFile, in batches of events. */
export async function* parseRdbFileBatches(path: string, options: ParseRdbOptions = {}): AsyncGenerator<RdbEvent[]> {
  const input = await openInput(path);
  yield* parseRdbBatches(input.chunks, options);
}

/** A sink for output chunks: a file or stdout, with backpressure. */
export class OutputSink {
  private readonly stream: Writable;
  private readonly isStdout: boolean;
  private broken: Error | null = null;
  /** True when the reader went away (EPIPE on stdout): stop producing. */
  closed = false;

  private constructor(stream: Writable, isStdout: boolean) {
    this.stream = stream;
    this.isStdout = isStdout;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else this.broken = e;
    });
  }

  /** Opens `path` for writing, or stdout when path is null or `-`. */
  static async open(path: string | null): Promise<OutputSink> {
    if (path === null || path === '-') return new OutputSink(process.stdout, true);
    const ws = createWriteStream(path);
    await once(ws, 'open').catch((e: NodeJS.ErrnoException) => {
      throw new RdbkitError('IO', `cannot write ${path}: ${e.code ?? e.message}`, { cause: e });
    });
    return new OutputSink(ws, false);
  }

  /** Writes a chunk, waiting when the stream asks for it. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.broken) throw new RdbkitError('IO', `write failed: ${this.broken.message}`, { cause: this.broken });
    if (this.closed || chunk.length === 0) return;
    if (!this.stream.write(chunk)) {
      const s = this.stream;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          s.off('drain', done);
          s.off('close', done);
          s.off('error', done);
          resolve();
        };
        s.on('drain', done);
        s.on('close', done);
        s.on('error', done);
      });
    }
  }

  /** Flushes and closes (stdout is flushed, not closed). */
  async close(): Promise<void> {
    if (this.broken) throw new RdbkitError('IO', `write failed: ${this.broken.message}`, { cause: this.broken });
    if (this.isStdout) {
      if (this.closed) return;
      await new Promise<void>((resolve) => this.stream.write(new Uint8Array(0), () => resolve()));
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
}
