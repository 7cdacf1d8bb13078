/**
 * Node adapters: open a path (or `-` for stdin) as a chunk source, and write
 * output chunks to a file or stdout with backpressure.
 */
import { basename, dirname, join } from 'node:path';
import { close, closeSync, fstatSync, open, openSync, read, readdir, readdirSync, readFile, realpathSync, renameSync, stat, statSync, unlinkSync, writev, writeSync, writevSync, type Stats } from 'node:fs';
import type { Writable } from 'node:stream';
import { RdbkitError } from '../errors.js';
import { parseRdb, parseRdbBatches, type ParseRdbOptions } from '../rdb/parse.js';
import type { AofEvent, RdbEvent } from '../events.js';
import { parseAof, parseAofBatches, type AofPartInput, type ParseAofOptions } from '../aof/parse.js';
import { parseManifest, type ManifestEntry } from '../aof/manifest.js';

/**
 * A callback of node:fs as a promise. (Not node:fs/promises: loading that
 * module costs ~2 ms of every start, and its FileHandle reads are no faster.)
 */
function fsCall<T>(f: (done: (e: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))));
}

/** An opened input: its chunks, its size when known, and a name for messages. */
export interface InputSource {
  name: string;
  /** Total size in bytes, when known (regular files). */
  size: number | null;
  chunks: AsyncIterable<Uint8Array>;
  /** Bytes handed out so far (for progress reports). */
  readonly position: number;
  /**
   * Says that no view of the chunks wholly before `offset` is in use any
   * more: their memory may take later reads (see `AofPartInput.release`).
   * Calling it at all is optional; for stdin it does nothing.
   */
  release(offset: number): void;
}

const READ_SIZE = 1 << 20;
/** Released chunks kept for reuse: the reads ahead and the decoder's current chunk need no more. */
const POOL_FREE = 4;
/**
 * Chunks handed out that are tracked for release. While one record holds
 * more (a value larger than this), the oldest are forgotten and left to the
 * garbage collector as before, so the pool keeps at most this many alive.
 */
const POOL_HANDED = 8;

/** Options of `openInput`. */
export interface OpenInputOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
}

/**
 * Opens a file path, or `-` for standard input, as a chunk source.
 *
 * Each chunk of a file is read into memory of its own, which stays valid
 * for as long as the caller keeps it, unless the caller calls `release`:
 * from then on the chunks wholly before the offset it gave are read over.
 * (Fresh memory costs a page fault per 4 KiB on first touch: on the bench
 * machine, reusing it made `rdbkit resp` of a 142 MB dump 0.73 -> 0.54 s.)
 */
export async function openInput(path: string, options: OpenInputOptions = {}): Promise<InputSource> {
  const readSize = Math.max(1, options.chunkSize ?? READ_SIZE);
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
    return { name: 'stdin', size: null, chunks: chunks(), get position() { return position; }, release() {} };
  }
  const st = await statPath(path);
  if (st.isDirectory()) throw new RdbkitError('USAGE', `${path} is a directory: open AOF directories with openAof`);
  const fd = await openFile(path);
  let position = 0;
  let readAt = 0;
  /** Chunks handed out, oldest first, with the offset of their end; and released ones to read into. */
  const handed: Array<{ buf: Uint8Array; end: number }> = [];
  const free: Uint8Array[] = [];
  const readChunk = async (): Promise<Uint8Array | null> => {
    // Memory of its own per read, unless released: the decoder keeps views
    // into earlier chunks. Not zero-filled: only the bytes read are handed out.
    let buf = free.pop();
    if (buf === undefined) {
      const raw = Buffer.allocUnsafeSlow(readSize);
      buf = new Uint8Array(raw.buffer, raw.byteOffset, readSize);
    }
    const at = readAt;
    readAt += readSize;
    // Tracked in the order of the reads (which may finish in either order).
    if (handed.length === POOL_HANDED) handed.shift();
    handed.push({ buf, end: at + readSize });
    const bytesRead = await fsCall<number>((done) => read(fd, buf, 0, readSize, at, done));
    if (bytesRead === 0) return null;
    return bytesRead === readSize ? buf : buf.subarray(0, bytesRead);
  };
  const release = (offset: number): void => {
    while (handed.length > 0 && handed[0]!.end <= offset) {
      const { buf } = handed.shift()!;
      if (free.length < POOL_FREE) free.push(buf);
    }
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    // Read two chunks ahead, so the disk works while the decoder does (with
    // one, the decoder still waited for reads about 4% of the time).
    const ahead = [readChunk(), readChunk()];
    try {
      for (;;) {
        const chunk = await ahead.shift()!;
        if (chunk === null) return;
        ahead.push(readChunk());
        position += chunk.length;
        yield chunk;
      }
    } finally {
      for (const p of ahead) await p.catch(() => null); // let reads in flight finish before closing
      await fsCall<void>((done) => close(fd, done));
    }
  }
  return { name: path, size: st.isFile() ? st.size : null, chunks: chunks(), get position() { return position; }, release };
}

/** An opened input of any kind (see `openAof`): its parts in load order, and totals for progress reports. */
export interface OpenedAof {
  name: string;
  /** `single` for a lone file or stdin (RDB, plain AOF or RDB-preamble AOF), `manifest` for a multi-part AOF. */
  kind: 'single' | 'manifest';
  /** The manifest file, for `manifest` inputs. */
  manifest: string | null;
  parts: AofPartInput[];
  /** Total bytes of all parts, when known. */
  size: number | null;
  /** Bytes read so far over all parts. */
  readonly position: number;
}

/** Bytes at the start of a file used to tell a manifest from an AOF or RDB. */
const SNIFF = 4096;

/** True when `head` reads as a manifest: its first line that is not a `#` comment starts with `file`. */
function looksLikeManifest(head: Uint8Array): boolean {
  let p = 0;
  while (p < head.length && head[p] === 0x23) {
    const nl = head.indexOf(0x0a, p);
    if (nl < 0) return false;
    p = nl + 1;
  }
  return p + 4 <= head.length && head[p] === 0x66 && head[p + 1] === 0x69 && head[p + 2] === 0x6c && head[p + 3] === 0x65;
}

/** `stat` of an input path; IO errors name it. */
function statPath(path: string): Promise<Stats> {
  return fsCall<Stats>((done) => stat(path, done)).catch((e: NodeJS.ErrnoException) => {
    throw new RdbkitError('IO', `cannot open ${path}: ${e.code ?? e.message}`, { cause: e });
  });
}

/** Opens `path` for reading; IO errors name it. */
function openFile(path: string): Promise<number> {
  return fsCall<number>((done) => open(path, 'r', done)).catch((e: NodeJS.ErrnoException) => {
    throw new RdbkitError('IO', `cannot open ${path}: ${e.code ?? e.message}`, { cause: e });
  });
}

async function readHead(path: string): Promise<Uint8Array> {
  const fd = await openFile(path);
  try {
    const buf = new Uint8Array(SNIFF);
    const bytesRead = await fsCall<number>((done) => read(fd, buf, 0, SNIFF, 0, done));
    return buf.subarray(0, bytesRead);
  } finally {
    await fsCall<void>((done) => close(fd, done));
  }
}

/**
 * Opens any input rdbkit reads: an RDB file, a plain or RDB-preamble AOF
 * file, `-` for stdin, a multi-part AOF directory (Redis 7+ `appendonlydir`,
 * with one `*.manifest` inside) or its manifest. The format is decided from
 * the bytes, never from the name. Every part a manifest lists as base or
 * incremental must exist (history parts are ignored), as redis-server
 * requires at start-up.
 */
export async function openAof(path: string, options: OpenInputOptions = {}): Promise<OpenedAof> {
  let manifestPath: string | null = null;
  if (path !== '-') {
    const st = await statPath(path);
    if (st.isDirectory()) {
      const names = (await fsCall<string[]>((done) => readdir(path, done))).filter((n) => n.endsWith('.manifest') && !n.startsWith('temp-'));
      if (names.length === 0) throw new RdbkitError('USAGE', `${path} is a directory without an AOF manifest (*.manifest)`);
      if (names.length > 1) throw new RdbkitError('USAGE', `${path} holds several manifests (${names.join(', ')}): name the one to read`);
      manifestPath = join(path, names[0]!);
    } else if (st.isFile() && st.size > 0 && looksLikeManifest(await readHead(path))) {
      manifestPath = path;
    }
  }
  if (manifestPath === null) {
    const input = await openInput(path, options);
    return {
      name: input.name,
      kind: 'single',
      manifest: null,
      parts: [{ name: null, role: 'single', source: input.chunks, release: input.release }],
      size: input.size,
      get position() {
        return input.position;
      },
    };
  }
  const mp = manifestPath;
  let listed: ManifestEntry[];
  try {
    const b = await fsCall<Buffer>((done) => readFile(mp, done));
    listed = parseManifest(new Uint8Array(b.buffer, b.byteOffset, b.length));
  } catch (e) {
    if (e instanceof RdbkitError) throw e.inFile(basename(mp));
    throw new RdbkitError('IO', `cannot read ${mp}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const dir = dirname(mp);
  const wanted = [...listed.filter((e) => e.type === 'b'), ...listed.filter((e) => e.type === 'i')];
  if (wanted.length === 0) throw new RdbkitError('AOF_FORMAT', 'the manifest lists no base or incremental file', { file: basename(mp) });
  let size = 0;
  for (const e of wanted) {
    const st = await fsCall<Stats>((done) => stat(join(dir, e.file), done)).catch((err: NodeJS.ErrnoException) => {
      throw new RdbkitError('IO', `${e.file}, listed in ${basename(mp)} line ${e.line}, cannot be opened: ${err.code ?? err.message}`, { cause: err });
    });
    size += st.size;
  }
  let done = 0;
  let current: InputSource | null = null;
  const parts: AofPartInput[] = wanted.map((e) => {
    const full = join(dir, e.file);
    let input: InputSource | null = null;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      input = await openInput(full, options);
      current = input;
      try {
        yield* input.chunks;
      } finally {
        done += input.position;
        current = null;
      }
    }
    return { name: e.file, role: e.type === 'b' ? 'base' : 'incr', source: chunks(), release: (offset: number) => (input as InputSource | null)?.release(offset) };
  });
  return {
    name: path,
    kind: 'manifest',
    manifest: mp,
    parts,
    size,
    get position() {
      return done + ((current as InputSource | null)?.position ?? 0);
    },
  };
}

/** Reads an AOF file, directory or manifest (or an RDB, or `-` for stdin): see `parseAof`. */
export async function* parseAofPath(path: string, options: ParseAofOptions = {}): AsyncGenerator<AofEvent> {
  const input = await openAof(path);
  yield* parseAof(input.parts, options);
}

/** Like parseAofPath, in batches of events. */
export async function* parseAofPathBatches(path: string, options: ParseAofOptions = {}): AsyncGenerator<AofEvent[]> {
  const input = await openAof(path);
  yield* parseAofBatches(input.parts, options);
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

/** Bytes a pipe or socket sink holds, written or waiting, before `writeAll` and `write` wait for its reader. */
const OVERLAP_BYTES = 2 << 20;

/**
 * A sink for output chunks: stdout (a stream, with backpressure), or a file
 * path written with blocking writes on this thread — no round trip through
 * the thread pool per chunk, which left the decoder idle. A pipe or socket
 * is written on the thread pool instead, one writev at a time, while this
 * thread goes on (see `writeNow`).
 */
export class OutputSink {
  private stream: Writable | null;
  private fd: number;
  /** False for standard output, which is written but never closed here. */
  private readonly ownsFd: boolean;
  private readonly path: string;
  private broken: Error | null = null;
  /** True when the reader went away (EPIPE): stop producing. */
  closed = false;

  /**
   * A pipe or socket: its writes wait for the reader, so they are made on the
   * thread pool while this thread decodes (`rdbkit resp dump.rdb | redis-cli
   * --pipe` of the bench dump into a local server, medians of 7 rounds: 2.50 s
   * with blocking writes on this thread, 2.32 s so, 2.17 s for its output
   * replayed from a file; `| cat`: 0.75 s, 0.62 s).
   */
  private readonly overlap: boolean;
  /** Overlapped writes: chunks not yet handed to the writev in flight, and the bytes not yet written (in flight included). */
  private ahead: Uint8Array[] = [];
  private aheadBytes = 0;
  private inFlight = false;
  /** `abort()` during a write in flight: the descriptor is closed once it ends. */
  private closeAfter = false;
  private waiters: Array<() => void> = [];
  /** Where overlapped writes give their chunks back once written (see `giveBackTo`). */
  private giveBack: ((chunks: Uint8Array[]) => void) | null = null;

  private constructor(stream: Writable | null, fd: number, path: string, ownsFd = true, overlap = false) {
    this.stream = null;
    this.fd = fd;
    this.ownsFd = ownsFd;
    this.path = path;
    this.overlap = overlap && stream === null;
    if (stream !== null) this.useStream(stream);
  }

  private useStream(stream: Writable): void {
    this.stream = stream;
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else this.broken = e;
    });
  }

  /**
   * Standard output: written like a file (writev, one system call per batch,
   * done once it returns) when it is a file, a pipe, a socket or a device
   * other than a terminal; else, and from the first write that would block
   * (a non-blocking descriptor), through process.stdout. (`rdbkit resp
   * dump.rdb > out` of the bench dump: 0.56 -> 0.48 s, as with -o.)
   */
  private static stdout(): OutputSink {
    try {
      const st = fstatSync(1);
      // (A terminal is a character device too; process.stdout says which, without loading node:tty for the rest.)
      if (st.isFile() || st.isFIFO() || st.isSocket() || (st.isCharacterDevice() && process.stdout.isTTY !== true)) return new OutputSink(null, 1, 'stdout', false, st.isFIFO() || st.isSocket());
    } catch {
      // not a descriptor we can look at: the stream
    }
    return new OutputSink(process.stdout, -1, 'stdout');
  }

  /**
   * Opens `path` for writing (created or truncated), or stdout when path is
   * null or `-`. With `atomic`, a regular file (or a new one) is written as a
   * temporary file beside it, which `close()` renames over `path` and
   * `abort()` removes: a failed run leaves `path` as it was. Devices and
   * FIFOs are written directly either way.
   */
  static async open(path: string | null, atomic = false): Promise<OutputSink> {
    if (path === null || path === '-') return OutputSink.stdout();
    let target = path;
    let temp: string | null = null;
    let fd: number;
    let st: Stats | null = null;
    try {
      try {
        st = statSync(path);
      } catch {
        /* a new file */
      }
      if (atomic && (st === null || st.isFile())) {
        target = st === null ? path : realpathSync(path);
        temp = join(dirname(target), `.${basename(target)}.rdbkit-${process.pid}-${Math.random().toString(36).slice(2, 8)}.tmp`);
        try {
          fd = openSync(temp, 'wx', st === null ? 0o666 : st.mode & 0o777);
        } catch (e) {
          // A directory we may not create files in, holding a file we may write:
          // written in place (a failed run leaves it partly written; it cannot be removed either).
          const code = (e as NodeJS.ErrnoException).code;
          if (st === null || (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS')) throw e;
          temp = null;
          fd = openSync(path, 'w');
        }
      } else {
        fd = openSync(path, 'w');
      }
    } catch (e) {
      throw new RdbkitError('IO', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
    const sink = new OutputSink(null, fd, path, true, st !== null && st.isFIFO());
    sink.temp = temp;
    sink.target = target;
    if (temp !== null) holdTemp(temp);
    return sink;
  }

  /** With `atomic`: the temporary file, renamed over `target` by `close()`. */
  private temp: string | null = null;
  private target = '';

  /**
   * True when chunks can go to `writeNow` in the middle of a batch: a
   * descriptor, not a stream. (A pipe or socket keeps them until written and
   * gives them back through `giveBackTo`.)
   */
  get synchronous(): boolean {
    return this.stream === null;
  }

  /** The error of a write that failed, as every later call reports it. */
  private failure(e: Error): RdbkitError {
    return new RdbkitError('IO', `write failed: ${e.message}`, { cause: e });
  }

  /** Where a pipe or socket sink gives the chunks of `writeNow` and `writeAll` back once they are written (a writer's `recycle`). */
  giveBackTo(f: ((chunks: Uint8Array[]) => void) | null): void {
    this.giveBack = f;
  }

  /** Chunks `writeNow` took once the sink had become a stream: written ahead of the next write. */
  private queued: Uint8Array[] = [];

  /**
   * Writes chunks before it returns (a writer's `drainTo`, in the middle of
   * a batch): true when done with them. False once the sink has become a
   * stream (standard output that would block): it then keeps them, and
   * writes them ahead of the next `write`.
   */
  writeNow(chunks: Uint8Array[]): boolean {
    if (this.broken) throw this.failure(this.broken);
    if (this.closed) return true;
    if (this.overlap && this.stream === null) {
      this.enqueue(chunks);
      return false;
    }
    const rest = this.stream === null ? this.writeFdAll(chunks.filter((c) => c.length > 0)) : chunks;
    if (rest === null) return true;
    for (const c of rest) this.queued.push(c);
    return false;
  }

  /** Writes a chunk, waiting when the stream asks for it. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.broken) throw this.failure(this.broken);
    if (this.queued.length > 0) {
      const q = this.queued;
      this.queued = [];
      for (const c of q) await this.write(c);
    }
    if (this.closed || chunk.length === 0) return;
    if (this.stream === null && this.overlap) {
      this.enqueue([chunk]);
      return this.room(OVERLAP_BYTES);
    }
    if (this.stream === null) {
      const rest = this.writeFdAll([chunk]);
      if (rest !== null) for (const c of rest) await this.write(c);
      return;
    }
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

  /**
   * Writes chunks in order: to a file or device in one writev call (as
   * many as it takes), to a stream one by one. (`rdbkit resp` takes ~20
   * chunks of 64 KiB per MiB of input: one system call instead of twenty.)
   * To a pipe or socket they are queued for the thread pool, waiting only
   * while more than OVERLAP_BYTES are. True when the sink is done with the
   * chunks once this returns (the caller may write into them again); a
   * stream keeps them, and a pipe or socket gives them back (`giveBackTo`).
   */
  async writeAll(chunks: Uint8Array[]): Promise<boolean> {
    if (this.stream === null && this.overlap && !this.closed && !this.broken && this.queued.length === 0) {
      this.enqueue(chunks);
      await this.room(OVERLAP_BYTES);
      // Turned into a stream (a non-blocking stdout): what it did not take goes out now.
      if (this.queued.length > 0) await this.write(new Uint8Array(0));
      return false;
    }
    if (this.stream !== null || chunks.length === 1 || this.closed || this.broken) {
      for (const c of chunks) await this.write(c);
      return this.stream === null;
    }
    // What the descriptor did not take (it turned into a stream) is queued, and goes out with the next write.
    if (this.writeNow(chunks)) return true;
    await this.write(new Uint8Array(0));
    return false;
  }

  /** Queues chunks for the pipe or socket, and starts a writev unless one is in flight. */
  private enqueue(chunks: Uint8Array[]): void {
    for (const c of chunks) {
      if (c.length === 0) continue;
      this.ahead.push(c);
      this.aheadBytes += c.length;
    }
    this.kick();
  }

  private kick(): void {
    if (this.inFlight || this.ahead.length === 0 || this.fd < 0) return;
    const batch = this.ahead;
    this.ahead = [];
    this.inFlight = true;
    this.writeOut(batch, batch);
  }

  /** One writev on the thread pool of `rest`, what is left of `batch`. */
  private writeOut(batch: Uint8Array[], rest: Uint8Array[]): void {
    writev(this.fd, rest, (e, n) => this.wrote(batch, rest, e, n));
  }

  private wrote(batch: Uint8Array[], rest: Uint8Array[], e: NodeJS.ErrnoException | null, n: number): void {
    if (e === null) {
      let i = 0;
      while (i < rest.length && n >= rest[i]!.length) n -= rest[i++]!.length;
      if (i < rest.length) {
        // A short write: on from the first byte not written.
        const more = rest.slice(i);
        if (n > 0) more[0] = more[0]!.subarray(n);
        return this.writeOut(batch, more);
      }
      for (const c of batch) this.aheadBytes -= c.length;
      this.inFlight = false;
      if (!this.closeAfter) this.giveBack?.(batch);
    } else {
      this.inFlight = false;
      if (e.code === 'EAGAIN' && !this.ownsFd && !this.closeAfter) {
        // Standard output left non-blocking by whoever started us: the rest goes through process.stdout (as in writeFdAll).
        for (const c of rest) this.queued.push(c);
        for (const c of this.ahead) this.queued.push(c);
        this.fd = -1;
        this.useStream(process.stdout);
      } else if (e.code === 'EPIPE') {
        this.closed = true;
      } else {
        this.broken = e;
      }
      this.ahead = [];
      this.aheadBytes = 0;
    }
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
    this.kick();
    if (this.closeAfter && !this.inFlight) {
      this.closeAfter = false;
      const fd = this.fd;
      this.fd = -1;
      try {
        if (fd >= 0 && this.ownsFd) closeSync(fd);
      } catch {
        /* closing after a failure */
      }
    }
  }

  /** Waits until at most `limit` bytes are queued or in flight for the pipe or socket; throws once a write failed. */
  private async room(limit: number): Promise<void> {
    while (this.inFlight && this.aheadBytes > limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.broken) throw this.failure(this.broken);
  }

  /**
   * Writes `chunks` to the descriptor. When it would block (standard output
   * left non-blocking by whoever started us), the sink turns into a stream on
   * process.stdout and the chunks not written yet are returned, to go there.
   */
  private writeFdAll(chunks: Uint8Array[]): Uint8Array[] | null {
    let i = 0;
    try {
      while (i < chunks.length) {
        let n = i + 1 === chunks.length ? writeSync(this.fd, chunks[i]!) : writevSync(this.fd, i === 0 ? chunks : chunks.slice(i));
        // A short write: on from the first byte not written.
        while (i < chunks.length && n >= chunks[i]!.length) n -= chunks[i++]!.length;
        if (n > 0) chunks[i] = chunks[i]!.subarray(n);
      }
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') {
        this.closed = true;
        return null;
      }
      if (code === 'EAGAIN' && !this.ownsFd) {
        this.fd = -1;
        this.useStream(process.stdout);
        return chunks.slice(i);
      }
      this.broken = e as Error;
      throw new RdbkitError('IO', `cannot write ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
    }
  }

  /** Flushes and closes (stdout is flushed, not closed); an atomic file then takes its place. */
  async close(): Promise<void> {
    if (this.overlap) {
      try {
        await this.room(0);
      } catch (e) {
        this.abort();
        throw e;
      }
    }
    if (this.stream === null) {
      if (this.fd >= 0) {
        const fd = this.fd;
        this.fd = -1;
        if (this.ownsFd) closeSync(fd);
      }
      if (this.broken) {
        this.abort();
        throw this.failure(this.broken);
      }
      if (this.temp !== null) {
        try {
          renameSync(this.temp, this.target);
        } catch (e) {
          this.abort();
          throw new RdbkitError('IO', `cannot write ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
        }
        dropTemp(this.temp);
        this.temp = null;
      }
      return;
    }
    if (this.queued.length > 0) await this.write(new Uint8Array(0));
    if (this.broken) throw this.failure(this.broken);
    if (this.closed) return;
    await new Promise<void>((resolve) => this.stream!.write(new Uint8Array(0), () => resolve()));
  }

  /** After a failure: closes a file; an atomic one is removed, leaving `path` as it was. What went to stdout or a plain file stays, and what was queued for a pipe or socket is still written. */
  abort(): void {
    if (this.inFlight) {
      // A pipe or socket: what was made before the failure still goes to the
      // reader, as it would have with blocking writes; the descriptor (in use
      // on the thread pool) is closed once that is written.
      this.closeAfter = true;
    } else if (this.fd >= 0) {
      const fd = this.fd;
      this.fd = -1;
      try {
        if (this.ownsFd) closeSync(fd);
      } catch {
        /* closing after a failure */
      }
    }
    if (this.temp !== null) {
      removeTemp(this.temp);
      this.temp = null;
    }
  }
}

// Temporary files of atomic outputs still open: removed if a signal ends the
// process (Ctrl-C), which would otherwise leave them behind, hidden.
const openTemps = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeTemp(temp: string): void {
  dropTemp(temp);
  try {
    unlinkSync(temp);
  } catch {
    /* already gone */
  }
}

function onSignal(sig: NodeJS.Signals): void {
  for (const t of [...openTemps]) removeTemp(t);
  process.kill(process.pid, sig); // the handlers are gone: the default action ends the process
}

function holdTemp(temp: string): void {
  if (openTemps.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  openTemps.add(temp);
}

function dropTemp(temp: string): void {
  if (!openTemps.delete(temp) || openTemps.size > 0) return;
  for (const s of SIGNALS) process.off(s, onSignal);
}

/**
 * Throws when `output` is a file the input `input` reads (the file itself, or
 * any file in the directory of an AOF manifest): writing it would destroy the
 * input before it is read.
 */
export function assertNotInput(input: string, manifest: string | null, output: string | null): void {
  if (output === null || output === '-' || input === '-') return;
  let out: Stats;
  try {
    out = statSync(output);
  } catch {
    return; // a new file
  }
  const same = (p: string): boolean => {
    try {
      const st = statSync(p);
      return st.dev === out.dev && st.ino === out.ino;
    } catch {
      return false;
    }
  };
  const inputs = manifest === null ? [input] : [manifest, ...readdirSync(dirname(manifest)).map((n) => join(dirname(manifest), n))];
  if (inputs.some(same)) throw new RdbkitError('USAGE', `the output ${output} is ${manifest === null ? 'the input' : 'a file of the input AOF'}: write to another file`);
}
