/**
 * The streaming RDB decoder: bytes in, events out (format.md sections 1–11).
 *
 * `RdbDecoder` is push-style: the owner `push()`es chunks, calls `end()` when
 * the input is complete, and pulls events with `read()`. Internally it parses
 * one *unit* at a time (an opcode record, a key header, one collection
 * element, one blob, one piece of a large string); a unit cut by a chunk edge
 * is retried once enough bytes are buffered (see ByteReader).
 *
 * Every unit reads first and changes state last, so a retried unit never
 * emits an event twice.
 */
import { ByteReader, NEED_MORE } from '../io/byte-reader.js';
import { RdbkitError, corrupt } from '../errors.js';
import type {
  HashEntry,
  KeyEvent,
  KeyInfo,
  RdbEvent,
  StreamConsumer,
  StreamEntry,
  StreamGroup,
  StreamId,
  StreamMeta,
  StreamPendingEntry,
  ZsetEntry,
  Int64,
} from '../events.js';
import {
  QUICKLIST_NODE_CONTAINER,
  RDB_ENC,
  RDB_ENTERPRISE_OPCODE,
  RDB_MODULE_OPCODE,
  RDB_OPCODE,
  RDB_TYPE,
  RDB_VERSION_MAX_REDIS,
  RDB_VERSION_MAX_VALKEY,
  VALKEY_RDB_TYPE_HASH_2,
  describeType,
} from './constants.js';
import { Crc64 } from './crc64.js';
import { LzfStreamDecoder, lzfDecompress, lzfDecompressInto, lzfDecompressView } from './lzf.js';
import { decodeZiplist, walkZiplist } from './encodings/ziplist.js';
import { decodeListpack, walkListpack } from './encodings/listpack.js';
import { decodeIntset, walkIntset } from './encodings/intset.js';
import type { ElementReceiver, ValueSink } from './sink.js';
import { decodeZipmap } from './encodings/zipmap.js';
import { checkStreamNodeKey, decodeStreamNode, parseStreamInt, walkStreamNode, type StreamEntryReceiver } from './encodings/stream.js';
import { decodeModuleId } from './encodings/module.js';
import { intToAscii } from './encodings/int-text.js';
import { parseScore, parseScoreAt } from './double.js';

/** A parser for pre-GA module values (type 6), keyed by module name. */
export interface ModuleValueReader {
  /** Reads an unsigned integer (an RDB LEN). */
  readUnsigned(): Int64;
  /** Reads a signed integer stored as a LEN bit pattern. */
  readSigned(): Int64;
  /** Reads a string. */
  readString(): Uint8Array;
  /** Reads a little-endian binary64. */
  readDouble(): number;
  /** Reads a little-endian binary32. */
  readFloat(): number;
}

/** Decoder options. */
export interface RdbDecoderOptions {
  /** Verify the CRC-64 trailer (default true). A stored 0 means "disabled" and is never verified. */
  verifyChecksum?: boolean;
  /**
   * Compute the CRC-64 (the `eof` event's `computedChecksum`) even when it is
   * not verified, as `rdbkit info` does to report it. Default: `verifyChecksum`
   * (with the check off, the bytes are not checksummed: on the bench's mixed
   * dump that was a third of decoding).
   */
  computeChecksum?: boolean;
  /**
   * Read versions newer than this library knows (REDIS ≥ 13, VALKEY ≥ 81)
   * with the newest known rules, stopping with an error at the first unknown
   * type or opcode. Default false: such files are refused.
   */
  allowFutureVersions?: boolean;
  /**
   * Values whose decoded size passes this many bytes arrive as `keyStart`,
   * `keyChunk`… and `keyEnd` instead of one `key` event; it is also the size
   * of each chunk (for a collection's later chunks, counting the heap its
   * element objects take: about 96 bytes each). Default 1 MiB.
   */
  chunkBytes?: number;
  /** Report stream tombstones (deleted entries) too. Default false. */
  tombstones?: boolean;
  /**
   * Largest single element (key, member, field, blob) held in memory whole, in
   * bytes. String values are not limited: whole up to the chunk size, they
   * stream above it. Default 1 GiB.
   */
  maxElementBytes?: number;
  /**
   * Parsers for pre-GA module values (type 6), by module name. When a value
   * is cut by a chunk edge of the input, its parser is started again once
   * more bytes are there: an abandoned run ends with a read throwing an
   * internal signal, which the parser must let through (no catch-all around
   * reads). Only the run that returns counts, so publish results after the
   * last read.
   */
  moduleParsers?: Record<string, (reader: ModuleValueReader) => void>;
  /**
   * Keys for which this returns false are not collected: their structure is
   * still read and checked, and a `keySkipped` event replaces their key events.
   */
  keyFilter?: ((info: KeyInfo) => boolean) | null;
  /**
   * What to do after the checksum: 'count' (default) consumes the rest and
   * reports it in a `trailing` event; 'stop' leaves it unread (see `remainder()`).
   */
  afterEnd?: 'count' | 'stop';
  /**
   * Put the value's bytes as stored in the file on whole `key` events
   * (`raw`: everything after the key name, the type byte being `rdbType`), so
   * that a writer can copy a value it need not convert. A view into the input
   * when the value sits in one input chunk, else one copy. Streamed values
   * (`keyStart`…) never carry it. Default false, and then it costs nothing.
   */
  rawValues?: boolean;
  /**
   * Hands the values of plain types — strings up to `chunkBytes`, lists,
   * sets, sorted sets, and hashes without field expiries — to this sink
   * element by element (`begin`, elements, `done`), with no object per element
   * and no key event; other keys (streams, modules, hashes with field
   * expiries, larger strings, keys the filter skips) still come as events.
   * The consumer must handle each event before the decoder reads on, so that
   * sink calls and events stay in file order: `parseRdbBatches` and
   * `parseAofBatches` then yield one event per batch, and a batch (maybe
   * empty) after each input chunk, so that the consumer can take the output
   * the sink made meanwhile. The fast path of `rdbkit resp`. Default null.
   */
  sink?: ValueSink | null;
  /**
   * The CRC-64 of the input's first `end` bytes, computed elsewhere (the CLI
   * reads the file on a worker thread while the decoder works): called once,
   * at the EOF opcode of an RDB with a checksum, and the decoder then does
   * not checksum the bytes itself. Default null.
   */
  checksumOf?: ((end: number) => bigint) | null;
}

const S_HEADER = 0;
const S_RECORD = 1;
const S_VALUE = 2;
const S_CHECKSUM = 3;
const S_TRAILING = 4;
const S_DONE = 5;

// Value reading modes (what each step of S_VALUE does).
const V_STRING_RAW = 1; // stream a raw string in pieces
const V_STRING_LZF = 2; // stream an LZF string through the streaming decompressor
const V_LIST = 3; // one STR element per unit (list, set)
const V_ZSET = 4; // STR member + text score
const V_ZSET2 = 5; // STR member + binary score
const V_HASH = 6; // STR field + STR value
const V_QUICKLIST = 7; // one ziplist node per unit
const V_QUICKLIST2 = 8; // container + node per unit
const V_STREAM_NODES = 9; // one (node key, listpack) per unit
const V_STREAM_META = 10; // everything after the nodes, as one unit
const V_HASH_META = 11; // Redis types 24 and 22: LEN ttl, STR field, STR value
const V_HASH_2 = 13; // Valkey type 22: STR field, STR value, i64 expire

const U64_MAX = 0xffffffffffffffffn;

/**
 * The value mode of the types stored as a count and then one unit per element
 * (or per quicklist node), by RDB type byte; 0 for the rest.
 */
const COLLECTION_MODE = new Uint8Array(256);
COLLECTION_MODE[RDB_TYPE.LIST] = V_LIST;
COLLECTION_MODE[RDB_TYPE.SET] = V_LIST;
COLLECTION_MODE[RDB_TYPE.ZSET] = V_ZSET;
COLLECTION_MODE[RDB_TYPE.ZSET_2] = V_ZSET2;
COLLECTION_MODE[RDB_TYPE.HASH] = V_HASH;
COLLECTION_MODE[RDB_TYPE.LIST_QUICKLIST] = V_QUICKLIST;
COLLECTION_MODE[RDB_TYPE.LIST_QUICKLIST_2] = V_QUICKLIST2;

const EMPTY_BYTES = new Uint8Array(0);

/** Value types a `sink` takes, by RDB type byte. */
const SINK_TYPES = new Uint8Array(256);
for (const t of [
  RDB_TYPE.STRING, RDB_TYPE.LIST, RDB_TYPE.SET, RDB_TYPE.ZSET, RDB_TYPE.ZSET_2, RDB_TYPE.HASH,
  RDB_TYPE.LIST_QUICKLIST, RDB_TYPE.LIST_QUICKLIST_2, RDB_TYPE.LIST_ZIPLIST, RDB_TYPE.SET_INTSET,
  RDB_TYPE.SET_LISTPACK, RDB_TYPE.ZSET_ZIPLIST, RDB_TYPE.ZSET_LISTPACK, RDB_TYPE.HASH_ZIPLIST, RDB_TYPE.HASH_LISTPACK,
]) SINK_TYPES[t] = 1;

/** Stream types: a `sink` with `streamEntry` and `streamEnd` takes them. */
const SINK_STREAM = new Uint8Array(256);
for (const t of [RDB_TYPE.STREAM_LISTPACKS, RDB_TYPE.STREAM_LISTPACKS_2, RDB_TYPE.STREAM_LISTPACKS_3]) SINK_STREAM[t] = 1;

/** True for a sink that takes streams (both of its stream methods). */
function takesStreams(sink: ValueSink | null): boolean {
  return sink !== null && sink.streamEntry !== undefined && sink.streamEnd !== undefined;
}

/**
 * Heap bytes an element of a streamed value's chunk takes beyond its own
 * bytes: the Uint8Array view object and its array slot (about 106 bytes
 * measured on Node 20; a sorted-set or hash pair's array, about 80 more).
 * Counting them cuts chunks of small elements near `chunkBytes` of memory;
 * counting 8 made a chunk of 10-byte elements take about 6 MiB of heap, and
 * the garbage collector took about 40% of `rdbkit json` on huge.rdb.
 */
const ITEM_HEAP = 96;

/** True for the value types every `sink` takes (by RDB type byte); strings only up to `chunkBytes`. Streams go to a sink with `streamEntry`. */
export function sinkTakes(rdbType: number): boolean {
  return SINK_TYPES[rdbType] === 1;
}

/** True for the sink's value types of one unit (a string, a compact blob): with `rawValues`, their `done` has the raw bytes. */
export function sinkGivesRaw(rdbType: number): boolean {
  return SINK_TYPES[rdbType] === 1 && COLLECTION_MODE[rdbType] === 0;
}

/**
 * Where the elements of a value the key filter skips go: nowhere. Skipped
 * values of the sink's types are read the sink's way (element ranges, no
 * objects) and still checked; through events they made every element a view
 * only to drop it, and filtering every key out of the bench's mixed dump took
 * longer than converting all of it.
 */
class SkipSink implements ValueSink {
  begin(): void {}
  str(): void {}
  int(): void {}
  score(): void {}
  streamEntry(): void {}
  streamEnd(): void {}
  done(): void {}
}
const SKIP_SINK = new SkipSink();

/** Passes a ziplist/listpack sorted set's member/score pairs to a sink, parsing each score. */
class ZsetPairs implements ElementReceiver {
  sink: ValueSink | null = null;
  at = 0;
  /** The next element is a score (elements alternate member, score). */
  private scoreNext = false;
  reset(sink: ValueSink, at: number): void {
    this.sink = sink;
    this.at = at;
    this.scoreNext = false;
  }
  str(buf: Uint8Array, start: number, end: number): void {
    if (this.scoreNext) this.sink!.score(parseScoreAt(buf, start, end, this.at));
    else this.sink!.str(buf, start, end);
    this.scoreNext = !this.scoreNext;
  }
  int(v: number): void {
    if (this.scoreNext) this.sink!.score(v);
    else this.sink!.int(v);
    this.scoreNext = !this.scoreNext;
  }
}

interface ValueState {
  info: KeyInfo;
  offset: number;
  mode: number;
  remaining: number;
  started: boolean;
  items: unknown[];
  itemBytes: number;
  /** Hash field expiries parallel to `items`, for hash types with field TTLs. */
  ttls: Array<number | null> | null;
  hasTtl: boolean;
  /** Total element count when known up front (for keyStart.length). */
  length: number | null;
  /** Bytes of a streamed string still to come (raw: value bytes; lzf: compressed bytes). */
  left: number;
  lzf: LzfStreamDecoder | null;
  /** Hash type 24 min-expire base. */
  minExpire: number;
  /** Stream: entries decoded so far are in items; node count. Quicklist: the node count the file states. */
  nodes: number;
  /** Quicklist on the event path: element counts of the nodes whose elements are in `items` (chunks end at node ends). */
  nodeSizes: number[] | null;
  skip: boolean;
  /** The value goes to the decoder's sink. */
  sink: boolean;
}

function assertSafeLength(n: number | bigint, offset: number): number {
  if (typeof n === 'bigint') throw corrupt(`length ${n} is too large`, offset);
  return n;
}

/** A compact printable rendering of a few bytes for messages. */
function hexByte(b: number): string {
  return '0x' + b.toString(16).padStart(2, '0');
}

/** Streaming RDB decoder (push chunks, pull events). */
export class RdbDecoder extends ByteReader {
  private state = S_HEADER;
  private readonly q: RdbEvent[] = [];
  private qi = 0;
  private readonly verifyChecksum: boolean;
  private readonly allowFuture: boolean;
  private readonly chunkBytes: number;
  private readonly tombstones: boolean;
  private readonly maxElement: number;
  private readonly moduleParsers: Record<string, (reader: ModuleValueReader) => void>;
  private readonly keyFilter: ((info: KeyInfo) => boolean) | null;
  private readonly afterEnd: 'count' | 'stop';
  private readonly rawValues: boolean;
  /** With rawValues: where the current value's bytes start in `buf` (-1: not tracking). */
  private rawStart = -1;
  /** With rawValues: the value's bytes in buffers the reader has let go of. */
  private rawParts: Uint8Array[] | null = null;
  private readonly sink: ValueSink | null;
  /** Whether string records go to the sink's `strings` (it has one; no keyFilter, no rawValues), and their longest key or value. */
  private readonly stringRecords: boolean;
  private readonly stringMax: number;
  private readonly zsetPairs = new ZsetPairs();
  /** Adds elements to the current value (the event path's receiver for walked blobs). */
  private readonly adder: ElementReceiver = {
    str: (buf: Uint8Array, start: number, end: number): void => this.add(this.v!, buf.subarray(start, end), end - start + 8),
    int: (n: number): void => {
      const t = intToAscii(n);
      this.add(this.v!, t, t.length + 8);
    },
  };
  /** Sink mode: the two string elements of a unit (`strRef`), and reused buffers for compressed ones. */
  private refBuf0: Uint8Array = new Uint8Array(0);
  private refStart0 = 0;
  private refEnd0 = 0;
  private refBuf1: Uint8Array = new Uint8Array(0);
  private refStart1 = 0;
  private refEnd1 = 0;
  private scratch0 = new Uint8Array(0);
  private scratch1 = new Uint8Array(0);

  private readonly crc = new Crc64();
  private readonly checksumOf: ((end: number) => bigint) | null;
  private readonly computeChecksum: boolean;
  private crcAt = 0;
  private crcOn = false;

  /** `REDIS` or `VALKEY`, once the header is read. */
  magic: 'REDIS' | 'VALKEY' | null = null;
  /** RDB version, once the header is read. */
  version = 0;
  private valkey = false;
  private db = 0;
  private expireAt: number | null = null;
  private lruIdle: number | null = null;
  private lfuFreq: number | null = null;
  private recordStart = 0;
  private v: ValueState | null = null;
  private trailing = 0;
  private trailingAt = 0;
  private failed: RdbkitError | null = null;

  constructor(options: RdbDecoderOptions = {}) {
    super();
    this.verifyChecksum = options.verifyChecksum ?? true;
    this.allowFuture = options.allowFutureVersions ?? false;
    this.chunkBytes = Math.max(1, options.chunkBytes ?? 1 << 20);
    this.tombstones = options.tombstones ?? false;
    this.maxElement = options.maxElementBytes ?? 1 << 30;
    this.moduleParsers = options.moduleParsers ?? {};
    this.keyFilter = options.keyFilter ?? null;
    this.afterEnd = options.afterEnd ?? 'count';
    this.rawValues = options.rawValues === true;
    this.sink = options.sink ?? null;
    this.stringRecords = this.sink !== null && this.sink.strings !== undefined && this.keyFilter === null && !this.rawValues;
    this.stringMax = Math.min(this.chunkBytes, this.maxElement);
    this.checksumOf = options.checksumOf ?? null;
    this.computeChecksum = this.verifyChecksum || options.computeChecksum === true;
  }

  /** True when values go to a sink: the consumer must take events one at a time (see `sink`). */
  get sinking(): boolean {
    return this.sink !== null;
  }

  /** Feeds the next chunk of input. The decoder keeps views into it: do not modify it afterwards. */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new RdbkitError('USAGE', 'push() after end()');
    this.append(chunk);
  }

  /**
   * The input offset before which the decoder holds no view of the input:
   * neither its read buffers nor the value it is in the middle of (whose key
   * and elements it may still hand out) reach back before it. Bytes given out
   * for earlier records are the consumer's to copy or drop.
   */
  get retainedFrom(): number {
    const v = this.v;
    const held = this.heldFrom;
    return v !== null && v.offset < held ? v.offset : held;
  }

  /** Declares the input complete. */
  end(): void {
    this.ended = true;
  }

  /** True once the decoder has nothing more to yield. */
  get done(): boolean {
    return this.state === S_DONE && this.qi >= this.q.length;
  }

  /** True when `read()` returned undefined because more input is needed. */
  get needsInput(): boolean {
    return this.state !== S_DONE && this.qi >= this.q.length && !this.ended && this.missing() > 0;
  }

  /**
   * The next event, or undefined when more input is needed (`needsInput`) or
   * the decoder is done. Throws RdbkitError on bad input.
   */
  read(): RdbEvent | undefined {
    if (this.qi < this.q.length) return this.q[this.qi++];
    if (this.failed) throw this.failed;
    this.q.length = 0;
    this.qi = 0;
    if (this.state === S_DONE) return undefined;
    try {
      this.run();
    } catch (e) {
      this.failed = this.wrapError(e);
      this.state = S_DONE;
      // Events completed before the fault are delivered first, however the input was split.
      if (this.qi < this.q.length) return this.q[this.qi++];
      throw this.failed;
    }
    return this.qi < this.q.length ? this.q[this.qi++] : undefined;
  }

  /** After a 'stop' end: the bytes buffered past the RDB, and their absolute offset. */
  remainder(): { offset: number; chunks: Uint8Array[] } {
    const rest: Uint8Array[] = [];
    const tail = this.buf.subarray(this.pos);
    if (tail.length > 0) rest.push(tail);
    const offset = this.offset;
    this.takePending(rest);
    return { offset, chunks: rest };
  }

  private takePending(into: Uint8Array[]): void {
    for (const c of this.pending) into.push(c);
    this.pending = [];
    this.pendingBytes = 0;
  }

  private wrapError(e: unknown): RdbkitError {
    let err: RdbkitError;
    if (e instanceof RdbkitError) err = e;
    else if (e instanceof RangeError || e instanceof TypeError) {
      err = new RdbkitError('CORRUPT', `malformed data (${e.message})`, { offset: this.offset, cause: e });
    } else throw e;
    const v = this.v;
    return err.withContext(this.state === S_VALUE || v ? this.db : undefined, v ? v.info.key : undefined);
  }

  private run(): void {
    for (;;) {
      if (this.state === S_DONE) return;
      if (this.missing() > 0 && !this.ended) return;
      this.gather();
      this.mark = this.pos;
      try {
        this.step();
        this.wanted = 0;
      } catch (e) {
        if (e !== NEED_MORE) throw e;
        this.pos = this.mark;
        if (this.ended && this.missing() > 0) this.truncated();
        if (this.ended) continue; // retry with everything there is
        if (this.missing() > 0) return;
        continue;
      }
      if (this.q.length > 0) return;
    }
  }

  private truncated(): never {
    const endAt = this.offset + this.available;
    const what =
      this.state === S_HEADER ? 'header'
      : this.state === S_CHECKSUM ? 'checksum'
      : this.v ? `value of the record starting at offset ${this.v.offset}`
      : `record starting at offset ${this.base + this.mark}`;
    throw new RdbkitError('TRUNCATED', `unexpected end of input in ${what} (needed ${this.missing()} more bytes)`, {
      offset: endAt,
    });
  }

  protected override onDiscard(buf: Uint8Array, upTo: number, nextAt = 0): void {
    if (this.crcOn && upTo > this.crcAt) this.crc.update(buf, this.crcAt, upTo);
    this.crcAt = nextAt;
    if (this.rawStart >= 0) {
      // The next buffer goes on at `nextAt` from `upTo` of this one (see ByteReader.gather and append).
      if (upTo > this.rawStart) (this.rawParts ??= []).push(buf.subarray(this.rawStart, upTo));
      this.rawStart = nextAt;
    }
  }

  private emit(e: RdbEvent): void {
    this.q.push(e);
  }

  // ---------------------------------------------------------------- units

  private step(): void {
    switch (this.state) {
      case S_HEADER:
        return this.readHeader();
      case S_RECORD:
        return this.readRecord();
      case S_VALUE:
        return this.readValueStep();
      case S_CHECKSUM:
        return this.readChecksum();
      case S_TRAILING:
        return this.readTrailing();
    }
  }

  private readHeader(): void {
    this.need(1);
    const first = this.buf[this.pos]!;
    if (first === 0x2a || first === 0x23) {
      throw new RdbkitError('BAD_MAGIC', 'not an RDB file: this looks like an AOF file (RESP commands), read it with parseAof', { offset: 0 });
    }
    if (first !== 0x52 && first !== 0x56) {
      throw new RdbkitError('BAD_MAGIC', `not an RDB file: expected "REDIS" or "VALKEY", found byte ${hexByte(first)}`, { offset: 0 });
    }
    // "REDIS" + 4 digits and "VALKEY" + 3 digits are both 9 bytes.
    const n = 9;
    this.need(n);
    const h = this.buf.subarray(this.pos, this.pos + n);
    const text = String.fromCharCode(...h);
    let magic: 'REDIS' | 'VALKEY';
    let digits: string;
    if (text.startsWith('REDIS')) {
      magic = 'REDIS';
      digits = text.slice(5);
    } else if (text.startsWith('VALKEY')) {
      magic = 'VALKEY';
      digits = text.slice(6);
    } else {
      throw new RdbkitError('BAD_MAGIC', `not an RDB file: expected "REDIS" or "VALKEY", found ${JSON.stringify(text.replace(/[^\x20-\x7e]/g, '?'))}`, { offset: 0 });
    }
    if (!/^[0-9]+$/.test(digits)) {
      throw new RdbkitError('BAD_MAGIC', `invalid RDB version digits ${JSON.stringify(digits.replace(/[^\x20-\x7e]/g, '?'))}`, { offset: magic.length });
    }
    const version = Number(digits);
    let future = false;
    if (magic === 'REDIS') {
      if (version < 1 || version >= 80) throw new RdbkitError('UNSUPPORTED_VERSION', `invalid RDB version ${version} for magic REDIS`, { offset: 5 });
      if (version > RDB_VERSION_MAX_REDIS) future = true;
    } else {
      if (version < 80) throw new RdbkitError('UNSUPPORTED_VERSION', `invalid RDB version ${version} for magic VALKEY (Valkey versions start at 80)`, { offset: 6 });
      if (version > RDB_VERSION_MAX_VALKEY) future = true;
    }
    if (future && !this.allowFuture) {
      const max = magic === 'REDIS' ? RDB_VERSION_MAX_REDIS : RDB_VERSION_MAX_VALKEY;
      throw new RdbkitError(
        'UNSUPPORTED_VERSION',
        `RDB version ${version} (${magic}) is newer than this library reads (up to ${max}); best-effort reading is available as an opt-in`,
        { offset: magic.length },
      );
    }
    this.pos += n;
    this.magic = magic;
    this.version = version;
    this.valkey = magic === 'VALKEY';
    this.crcOn = version >= 5 && this.checksumOf === null && this.computeChecksum;
    this.crcAt = this.mark;
    this.state = S_RECORD;
    this.emit({ type: 'header', offset: 0, magic, version, future });
  }

  /** One opcode record, or a key header (type byte + key) that moves to S_VALUE. */
  private readRecord(): void {
    // Runs of string records (with their expiries) to the sink's `strings`, when it has one.
    if (this.stringRecords && this.expireAt === null && this.lruIdle === null && this.lfuFreq === null) {
      const b = this.buf;
      const p = this.pos;
      const op = b[p];
      if (op === RDB_TYPE.STRING || (op === RDB_OPCODE.EXPIRETIME_MS && b[p + 9] === RDB_TYPE.STRING)) {
        const q = this.sink!.strings!(b, p, b.length, this.base + p, this.db, this.stringMax);
        if (q > p) {
          this.pos = q;
          return;
        }
      }
    }
    const start = this.offset;
    const op = this.u8();
    if (op >= 242) {
      switch (op) {
        case RDB_OPCODE.EOF: {
          // Checksum the bytes up to and including the EOF byte.
          if (this.crcOn) {
            this.crc.update(this.buf, this.crcAt, this.pos);
            this.crcAt = this.pos;
          }
          this.recordStart = start;
          if (this.version >= 5) {
            this.state = S_CHECKSUM;
          } else {
            this.finishEof(start, null);
          }
          return;
        }
        case RDB_OPCODE.SELECTDB: {
          const db = assertSafeLength(this.len(), start + 1);
          this.db = db;
          this.emit({ type: 'selectDb', offset: start, db });
          return;
        }
        case RDB_OPCODE.EXPIRETIME: {
          const s = this.i32le();
          this.expireAt = s * 1000;
          return;
        }
        case RDB_OPCODE.EXPIRETIME_MS: {
          const ms = this.i64le();
          this.expireAt = typeof ms === 'bigint' ? Number(ms) : ms;
          return;
        }
        case RDB_OPCODE.RESIZEDB: {
          const keys = this.lenNumber();
          const expires = this.lenNumber();
          this.emit({ type: 'resizeDb', offset: start, db: this.db, keys, expires });
          return;
        }
        case RDB_OPCODE.AUX: {
          const name = this.str();
          const value = this.str();
          this.emit({ type: 'aux', offset: start, name, value });
          return;
        }
        case RDB_OPCODE.FREQ: {
          this.lfuFreq = this.u8();
          return;
        }
        case RDB_OPCODE.IDLE: {
          this.lruIdle = this.lenNumber();
          return;
        }
        case RDB_OPCODE.MODULE_AUX: {
          const p0 = this.pos;
          const id = this.len();
          const whenOp = this.lenNumber();
          if (whenOp !== RDB_MODULE_OPCODE.UINT) throw corrupt(`module aux "when" opcode is ${whenOp}, expected 2`, start);
          const when = this.lenNumber();
          this.skipModuleOpcodes();
          const payload = this.buf.subarray(p0, this.pos);
          const { name, encver } = decodeModuleId(BigInt(id));
          this.emit({ type: 'moduleAux', offset: start, module: name, encver, moduleId: BigInt(id), when, payload });
          return;
        }
        case RDB_OPCODE.FUNCTION_PRE_GA: {
          const name = this.str();
          const engine = this.str();
          const hasDesc = this.lenNumber();
          const description = hasDesc ? this.str() : null;
          const code = this.str();
          this.emit({ type: 'function', offset: start, opcode: 246, code, name, engine, description });
          return;
        }
        case RDB_OPCODE.FUNCTION2: {
          const code = this.str();
          this.emit({ type: 'function', offset: start, opcode: 245, code, name: null, engine: null, description: null });
          return;
        }
        case RDB_OPCODE.SLOT_INFO: {
          const slot = this.lenNumber();
          const keys = this.lenNumber();
          const expires = this.lenNumber();
          this.emit({ type: 'slotInfo', offset: start, db: this.db, slot, keys, expires });
          return;
        }
        case RDB_OPCODE.SLOT_IMPORT: {
          if (!this.valkey) break;
          const job = this.str();
          const n = this.lenNumber();
          // Each range is two LENs, at least 2 bytes: wait for them like any
          // other unit. (Comparing the count with the bytes buffered so far
          // made the outcome depend on where the input was cut: a valid file
          // split right after the count was refused as corrupt.)
          this.need(2 * n);
          const ranges: Array<[number, number]> = [];
          for (let i = 0; i < n; i++) ranges.push([this.lenNumber(), this.lenNumber()]);
          this.emit({ type: 'slotImport', offset: start, job, ranges });
          return;
        }
      }
      throw new RdbkitError('UNKNOWN_OPCODE', `unknown opcode ${op} (${hexByte(op)}) for ${this.magic} version ${this.version}`, { offset: start, db: this.db });
    }
    if (!this.valkey && (op === RDB_ENTERPRISE_OPCODE.RAM_LRU || op === RDB_ENTERPRISE_OPCODE.SLOT_NUMBER)) {
      this.len();
      return;
    }
    const desc = describeType(op, this.valkey);
    if (desc === undefined) {
      throw new RdbkitError('UNKNOWN_TYPE', `unknown value type ${op} (${hexByte(op)}) for ${this.magic} version ${this.version}`, { offset: start, db: this.db });
    }
    const key = this.str();
    const info: KeyInfo = {
      db: this.db,
      key,
      expireAt: this.expireAt,
      lruIdle: this.lruIdle,
      lfuFreq: this.lfuFreq,
      rdbType: op,
      encoding: desc.encoding,
      dataType: desc.dataType,
    };
    this.expireAt = null;
    this.lruIdle = null;
    this.lfuFreq = null;
    const skip = this.keyFilter !== null && !this.keyFilter(info);
    this.v = {
      info,
      offset: start,
      mode: 0,
      remaining: 0,
      started: false,
      items: [],
      itemBytes: 0,
      ttls: null,
      hasTtl: false,
      length: null,
      left: 0,
      lzf: null,
      minExpire: 0,
      nodes: 0,
      nodeSizes: null,
      skip,
      sink: (SINK_TYPES[op] === 1 || (SINK_STREAM[op] === 1 && (skip || takesStreams(this.sink)))) && (skip || (this.sink !== null && (this.sink.takes === undefined || this.sink.takes(info)))),
    };
    // Raw bytes for events, and for sink values of one unit (a string, a compact blob): their size is that unit's.
    if (this.rawValues && !skip && (!this.v.sink || sinkGivesRaw(op))) {
      this.rawStart = this.pos;
      this.rawParts = null;
    }
    this.state = S_VALUE;
  }

  private finishEof(offset: number, stored: Uint8Array | null): void {
    let storedBig: bigint | null = null;
    let computed: bigint | null = null;
    let verified = false;
    if (stored) {
      const dv = new DataView(stored.buffer, stored.byteOffset, 8);
      storedBig = dv.getBigUint64(0, true);
      computed = this.checksumOf !== null ? this.checksumOf(offset + 1) : this.computeChecksum ? this.crc.value : null;
      if (storedBig !== 0n && this.verifyChecksum) {
        if (computed !== storedBig) {
          throw new RdbkitError(
            'CHECKSUM_MISMATCH',
            `checksum mismatch: stored ${storedBig.toString(16).padStart(16, '0')}, computed ${(computed ?? 0n).toString(16).padStart(16, '0')}`,
            { offset: offset + 1 },
          );
        }
        verified = true;
      }
    }
    this.emit({ type: 'eof', offset, storedChecksum: storedBig, computedChecksum: computed, verified, end: this.offset });
    this.crcOn = false;
    if (this.afterEnd === 'stop') {
      this.state = S_DONE;
    } else {
      this.state = S_TRAILING;
      this.trailingAt = this.offset;
    }
  }

  private readChecksum(): void {
    const stored = this.bytes(8);
    this.finishEof(this.recordStart, stored);
  }

  private readTrailing(): void {
    const n = this.buf.length - this.pos;
    if (n > 0) {
      this.trailing += n;
      this.pos += n;
      return;
    }
    if (!this.ended || this.available > 0) {
      this.need(1);
      return;
    }
    if (this.trailing > 0) this.emit({ type: 'trailing', offset: this.trailingAt, length: this.trailing });
    this.state = S_DONE;
  }

  // ------------------------------------------------------- length, string

  /** An RDB LEN as a number (numbers ≥ 2^53 come back as bigint). */
  private len(): number | bigint {
    this.need(1);
    const b = this.buf[this.pos]!;
    const t = b >> 6;
    if (t === 0) {
      this.pos++;
      return b & 0x3f;
    }
    if (t === 1) {
      this.need(2);
      const v = ((b & 0x3f) << 8) | this.buf[this.pos + 1]!;
      this.pos += 2;
      return v;
    }
    if (b === 0x80) {
      this.pos++;
      return this.u32be();
    }
    if (b === 0x81) {
      this.pos++;
      return this.u64be();
    }
    throw corrupt(`invalid length byte ${hexByte(b)}`, this.offset);
  }

  /** A LEN that must be a safe integer count. */
  private lenNumber(): number {
    const at = this.offset;
    return assertSafeLength(this.len(), at);
  }


  /**
   * What `strHeader()` read: the raw length (kind 0, `strLen`), the decoded
   * integer text (kind 1, `strInt`), or LZF lengths (kind 2, `strLen` and
   * `strULen`).
   */
  private strHeaderKind = 0;
  private strLen = 0;
  private strULen = 0;
  private strInt: Uint8Array | null = null;

  private strHeader(): void {
    this.need(1);
    const b = this.buf[this.pos]!;
    if (b >> 6 !== 3) {
      const at = this.offset;
      this.strHeaderKind = 0;
      this.strLen = assertSafeLength(this.len(), at);
      return;
    }
    const enc = b & 0x3f;
    const at = this.offset;
    this.pos++;
    switch (enc) {
      case RDB_ENC.INT8: {
        this.need(1);
        const v = (this.buf[this.pos++]! << 24) >> 24;
        this.strHeaderKind = 1;
        this.strInt = intToAscii(v);
        return;
      }
      case RDB_ENC.INT16:
        this.strHeaderKind = 1;
        this.strInt = intToAscii(this.i16le());
        return;
      case RDB_ENC.INT32:
        this.strHeaderKind = 1;
        this.strInt = intToAscii(this.i32le());
        return;
      case RDB_ENC.LZF: {
        const clen = this.lenNumber();
        const ulen = this.lenNumber();
        // An LZF chunk of 3 bytes produces at most 264 bytes.
        if (ulen > clen * 88 + 8) throw corrupt(`LZF lengths are inconsistent (compressed ${clen}, uncompressed ${ulen})`, at);
        if (clen === 0 && ulen !== 0) throw corrupt('empty LZF data', at);
        this.strHeaderKind = 2;
        this.strLen = clen;
        this.strULen = ulen;
        return;
      }
      default:
        throw corrupt(`invalid string encoding ${enc}`, at);
    }
  }

  /** A string element held whole must fit `maxElementBytes`. */
  private checkElement(n: number, at: number): void {
    if (n > this.maxElement) throw new RdbkitError('LIMIT_EXCEEDED', `string of ${n} bytes exceeds maxElementBytes (${this.maxElement})`, { offset: at });
  }

  /** A whole RDB string. */
  private str(): Uint8Array {
    const at = this.offset;
    this.strHeader();
    switch (this.strHeaderKind) {
      case 0:
        this.checkElement(this.strLen, at);
        return this.bytes(this.strLen);
      case 1:
        return this.strInt!;
      default: {
        const ulen = this.strULen;
        this.checkElement(ulen, at);
        const data = this.bytes(this.strLen);
        return lzfDecompress(data, ulen, this.offset - this.strLen);
      }
    }
  }

  // ---------------------------------------------------------------- values

  private readValueStep(): void {
    const v = this.v!;
    if (v.sink) return this.sinkStep(v);
    if (v.mode === 0) return this.readValueStart(v);
    switch (v.mode) {
      case V_STRING_RAW: {
        if (v.left === 0) return this.finishValue(v);
        const piece = this.takeUpTo(Math.min(v.left, this.chunkBytes));
        if (piece.length === 0) {
          this.need(1);
          return;
        }
        v.left -= piece.length;
        if (!v.skip) this.emit({ type: 'keyChunk', offset: this.offset - piece.length, db: v.info.db, key: v.info.key, dataType: 'string', value: piece });
        return;
      }
      case V_STRING_LZF: {
        if (v.left === 0) {
          v.lzf!.finish();
          return this.finishValue(v);
        }
        const at = this.offset;
        const piece = this.takeUpTo(Math.min(v.left, this.chunkBytes));
        if (piece.length === 0) {
          this.need(1);
          return;
        }
        const out = v.lzf!.push(piece);
        v.left -= piece.length;
        if (!v.skip) {
          for (const o of out) this.emit({ type: 'keyChunk', offset: at, db: v.info.db, key: v.info.key, dataType: 'string', value: o });
        }
        return;
      }
      case V_LIST: {
        const el = this.str();
        this.add(v, el, el.length + 8);
        return this.countDown(v);
      }
      case V_ZSET: {
        const m = this.str();
        const score = this.textScore();
        this.add(v, [m, score] satisfies ZsetEntry, m.length + 16);
        return this.countDown(v);
      }
      case V_ZSET2: {
        const m = this.str();
        const score = this.f64le();
        this.add(v, [m, score] satisfies ZsetEntry, m.length + 16);
        return this.countDown(v);
      }
      case V_HASH: {
        const f = this.str();
        const val = this.str();
        this.add(v, [f, val] satisfies HashEntry, f.length + val.length + 16);
        return this.countDown(v);
      }
      case V_HASH_META: {
        // TTL before the field; 0 = none. Type 24 stores it relative to
        // min-expire (absolute = ttl + min-expire - 1); type 22 absolute
        // (minExpire is 1 there, so the same sum holds).
        const at = this.offset;
        const ttl = this.len();
        const f = this.str();
        const val = this.str();
        let exp: number | null = null;
        if (ttl !== 0) {
          exp = Number(ttl) + v.minExpire - 1;
          if (typeof ttl === 'bigint' || !Number.isSafeInteger(exp)) throw corrupt('field expiry out of range', at);
        }
        this.addField(v, f, val, exp);
        return this.countDown(v);
      }
      case V_HASH_2: {
        const f = this.str();
        const val = this.str();
        const at = this.offset;
        const e = this.i64le();
        if (typeof e === 'bigint' || e < -1) throw corrupt(`invalid field expiry ${e}`, at);
        this.addField(v, f, val, e === -1 ? null : e);
        return this.countDown(v);
      }
      case V_QUICKLIST:
      case V_QUICKLIST2: {
        // Chunks end at node ends (add() does not cut inside a quicklist),
        // and say how many elements each node had: the RDB writer streams
        // a large list as the same nodes.
        const before = v.items.length;
        this.quicklistNode(v, this.adder, false);
        if (!v.skip) {
          v.nodeSizes!.push(v.items.length - before);
          if (v.itemBytes >= this.chunkBytes) this.flushChunk(v);
        }
        return this.countDown(v);
      }
      case V_STREAM_NODES: {
        const keyAt = this.offset;
        const nodeKey = this.str();
        const lpAt = this.offset;
        const lp = this.str();
        checkStreamNodeKey(nodeKey, keyAt);
        const entries = decodeStreamNode(nodeKey, lp, lpAt, this.tombstones);
        v.nodes++;
        for (const e of entries) this.add(v, e, 32 + e.fields.reduce((n, f) => n + f.length + 8, 0));
        v.remaining--;
        if (v.remaining === 0) v.mode = V_STREAM_META;
        return;
      }
      case V_STREAM_META: {
        const meta = this.streamMeta(v);
        return this.finishValue(v, meta);
      }
    }
  }

  // ------------------------------------------------------------ sink mode

  /**
   * Reads an RDB string for the sink without making an object: it lands in
   * ref slot 0 or 1 (a range of the input, of a small integer's cached text,
   * or of a reused buffer for LZF data), valid until the next unit. With
   * `view`, LZF data may instead stay in the LZF kernel's memory (one copy
   * less), valid only until the next decompression: for a caller that hands
   * it over before it reads another string.
   */
  private strRef(slot: 0 | 1, view = false): void {
    const at = this.offset;
    this.strHeader();
    this.strBody(slot, at, false, view);
  }

  /** strRef after its header (read at `at`). */
  private strBody(slot: 0 | 1, at: number, checkOnly = false, view = false): void {
    let b: Uint8Array;
    let s = 0;
    let e: number;
    if (this.strHeaderKind === 0) {
      const n = this.strLen;
      this.checkElement(n, at);
      this.need(n);
      b = this.buf;
      s = this.pos;
      e = s + n;
      this.pos = e;
    } else if (this.strHeaderKind === 1) {
      b = this.strInt!;
      e = b.length;
    } else {
      const ulen = this.strULen;
      this.checkElement(ulen, at);
      const clen = this.strLen;
      this.need(clen);
      const p = this.pos;
      this.pos += clen;
      const m = view && !checkOnly ? lzfDecompressView(this.buf, p, p + clen, ulen, this.base + p) : null;
      if (m !== null) {
        b = m;
        e = ulen;
      } else if (checkOnly) {
        // The sink copies the compressed bytes: check them, give an empty range.
        lzfDecompressInto(this.buf, p, p + clen, null, ulen, this.base + p);
        b = EMPTY_BYTES;
        e = 0;
      } else {
        b = this.scratchFor(slot, ulen);
        lzfDecompressInto(this.buf, p, p + clen, b, ulen, this.base + p);
        e = ulen;
      }
    }
    if (slot === 0) {
      this.refBuf0 = b;
      this.refStart0 = s;
      this.refEnd0 = e;
    } else {
      this.refBuf1 = b;
      this.refStart1 = s;
      this.refEnd1 = e;
    }
  }

  /** A reused buffer of at least `n` bytes for slot `slot` (values above 4 MiB get one of their own, not kept). */
  private scratchFor(slot: 0 | 1, n: number): Uint8Array {
    const have = slot === 0 ? this.scratch0 : this.scratch1;
    if (have.length >= n) return have;
    if (n > 1 << 22) return new Uint8Array(n);
    let cap = Math.max(256, have.length);
    while (cap < n) cap *= 2;
    const b = new Uint8Array(cap);
    if (slot === 0) this.scratch0 = b;
    else this.scratch1 = b;
    return b;
  }

  /** A blob (listpack, ziplist, intset, quicklist node) for the sink: a view of the input or of decompressed data (strRef with `view`). */
  private blobRef(): Uint8Array {
    this.strRef(0, true);
    return this.refBuf0.subarray(this.refStart0, this.refEnd0);
  }

  /** One unit of a value that goes to the sink: every read first, sink calls last. */
  private sinkStep(v: ValueState): void {
    const sink: ValueSink = v.skip ? SKIP_SINK : this.sink!;
    switch (v.mode) {
      case 0:
        return this.sinkStart(v, sink);
      case V_LIST:
        this.sinkRun(v, sink, 1, 0);
        this.strRef(0, true);
        sink.str(this.refBuf0, this.refStart0, this.refEnd0);
        return this.countDown(v);
      case V_ZSET2:
        this.sinkRun(v, sink, 1, 8);
        return this.sinkMember(v, sink);
      case V_ZSET:
        return this.sinkMember(v, sink);

      case V_HASH:
        this.sinkRun(v, sink, 2, 0);
        // The field into its own buffer, the value may stay where it was decompressed.
        this.strRef(0);
        this.strRef(1, true);
        sink.str(this.refBuf0, this.refStart0, this.refEnd0);
        sink.str(this.refBuf1, this.refStart1, this.refEnd1);
        return this.countDown(v);
      case V_QUICKLIST:
      case V_QUICKLIST2:
        this.quicklistNode(v, sink, true);
        return this.countDown(v);
      case V_STREAM_NODES: {
        const keyAt = this.offset;
        this.strRef(1);
        const lpAt = this.offset;
        const lp = this.blobRef();
        const nodeKey = this.refBuf1.subarray(this.refStart1, this.refEnd1);
        checkStreamNodeKey(nodeKey, keyAt);
        // (skipped: SKIP_SINK has no streamNode, and the walk checks the node)
        if (sink.streamNode === undefined || sink.streamNode(nodeKey, lp) < 0) walkStreamNode(nodeKey, lp, lpAt, false, sink as StreamEntryReceiver);
        v.nodes++;
        if (--v.remaining === 0) v.mode = V_STREAM_META;
        return;
      }
      case V_STREAM_META:
        sink.streamEnd!(this.streamMeta(v));
        return this.finishValue(v);
    }
    throw new RdbkitError('CORRUPT', `internal: value mode ${v.mode} has no sink path`, { offset: this.offset });
  }

  /**
   * One quicklist node to `r`: a ziplist (type 14), or a container and a
   * listpack or plain node (type 18; a plain node is one element). The blob
   * is decompressed into a reused buffer when `scratch` (sink mode).
   */
  private quicklistNode(v: ValueState, r: ElementReceiver, scratch: boolean): void {
    const at = this.offset;
    const container = v.mode === V_QUICKLIST2 ? this.lenNumber() : QUICKLIST_NODE_CONTAINER.PACKED;
    const blobAt = this.offset;
    const blob = scratch ? this.blobRef() : this.str();
    if (v.mode === V_QUICKLIST) walkZiplist(blob, blobAt, r);
    else if (container === QUICKLIST_NODE_CONTAINER.PLAIN) r.str(blob, 0, blob.length);
    else if (container === QUICKLIST_NODE_CONTAINER.PACKED) {
      if (blob.length === 0) throw corrupt('empty quicklist node', blobAt);
      if (!scratch || this.sinkListpack(v, blob, false) < 0) walkListpack(blob, blobAt, r);
    } else throw corrupt(`invalid quicklist node container ${container}`, at);
  }

  /** A listpack's elements through the sink's own `listpack`, when it has one and the value is not skipped; else -1. */
  private sinkListpack(v: ValueState, blob: Uint8Array, pairs: boolean): number {
    const sink = this.sink;
    return v.skip || sink === null || sink.listpack === undefined ? -1 : sink.listpack(blob, pairs);
  }

  /** One sorted-set member and its score (text in type 3, binary in type 5). */
  private sinkMember(v: ValueState, sink: ValueSink): void {
    this.strRef(0, true);
    const score = v.mode === V_ZSET ? this.textScore() : this.f64le();
    sink.str(this.refBuf0, this.refStart0, this.refEnd0);
    sink.score(score);
    return this.countDown(v);
  }

  /**
   * The common case in a tight loop: elements of `strings` short strings
   * (6-bit length) each, then `tail` bytes (8: a binary score), that lie
   * whole in the buffer — all but the value's last element, which the caller
   * reads the general way. Each element is committed (`mark`) once the sink
   * has it, so a later unit cut by the buffer's end resumes after it.
   */
  private sinkRun(v: ValueState, sink: ValueSink, strings: 1 | 2, tail: 0 | 8): void {
    const buf = this.buf;
    const lim = buf.length;
    let p = this.pos;
    let left = v.remaining;
    if (sink.run !== undefined && left > 1) {
      p = sink.run(buf, p, lim, this.base + p, left - 1, strings === 2 ? 2 : tail === 8 ? 3 : 1);
      left -= sink.runTaken!;
    }
    while (left > 1 && p < lim) {
      const a = buf[p]!;
      if (a >= 0x40) break;
      const a0 = p + 1;
      const a1 = a0 + a;
      let end = a1;
      if (strings === 2) {
        if (a1 >= lim) break;
        const b = buf[a1]!;
        if (b >= 0x40) break;
        end = a1 + 1 + b;
      }
      if (end + tail > lim) break;
      sink.str(buf, a0, a1);
      if (strings === 2) sink.str(buf, a1 + 1, end);
      if (tail === 8) sink.score(this.view.getFloat64(end, true));
      p = end + tail;
      left--;
    }
    this.pos = p;
    this.mark = p;
    v.remaining = left;
  }

  private sinkStart(v: ValueState, sink: ValueSink): void {
    const t = v.info.rdbType;
    if (t === RDB_TYPE.STRING) {
      const at = this.offset;
      this.strHeader();
      const big = this.strHeaderKind === 0 ? this.strLen : this.strHeaderKind === 2 ? this.strULen : 0;
      if (big > this.stringMax) {
        // As events, the way the event path reads it: in pieces above
        // chunkBytes, and whole up to it, without maxElementBytes (a limit
        // on elements, which strBody applies).
        v.sink = false;
        this.pos = this.mark;
        return this.readValueStart(v);
      }
      // Compressed bytes only checked: by a sink that copies them (rawOnly), and for a skipped value.
      this.strBody(0, at, v.skip || (sink.rawOnly === true && this.rawStart >= 0), true);
      sink.begin(v.info);
      sink.str(this.refBuf0, this.refStart0, this.refEnd0);
      return this.finishValue(v);
    }
    if (COLLECTION_MODE[t] !== 0) return this.startCollection(v, COLLECTION_MODE[t]!, sink);
    if (SINK_STREAM[t] === 1) {
      this.streamStart(v);
      return sink.begin(v.info);
    }
    // One blob: read it whole, then hand its elements over.
    const at = this.offset;
    const blob = this.blobRef();
    sink.begin(v.info);
    let n: number;
    switch (t) {
      case RDB_TYPE.LIST_ZIPLIST:
        walkZiplist(blob, at, sink);
        break;
      case RDB_TYPE.SET_INTSET:
        if (sink.intset === undefined || sink.intset(blob) < 0) walkIntset(blob, at, sink);
        break;
      case RDB_TYPE.SET_LISTPACK:
        if (this.sinkListpack(v, blob, false) < 0) walkListpack(blob, at, sink);
        break;
      case RDB_TYPE.ZSET_ZIPLIST:
      case RDB_TYPE.ZSET_LISTPACK:
        n = t === RDB_TYPE.ZSET_LISTPACK && sink.zsetListpack !== undefined ? sink.zsetListpack(blob) : -1;
        if (n < 0) {
          this.zsetPairs.reset(sink, at);
          n = t === RDB_TYPE.ZSET_ZIPLIST ? walkZiplist(blob, at, this.zsetPairs) : walkListpack(blob, at, this.zsetPairs);
        }
        if (n % 2 !== 0) throw corrupt(`sorted set blob has an odd number of elements (${n})`, at);
        break;
      case RDB_TYPE.HASH_ZIPLIST:
      case RDB_TYPE.HASH_LISTPACK:
        n = t === RDB_TYPE.HASH_ZIPLIST ? walkZiplist(blob, at, sink) : this.sinkListpack(v, blob, true);
        if (n < 0) n = walkListpack(blob, at, sink);
        if (n % 2 !== 0) throw corrupt(`hash blob has an odd number of elements (${n})`, v.offset);
        break;
      default:
        throw new RdbkitError('CORRUPT', `internal: value type ${t} has no sink path`, { offset: v.offset });
    }
    return this.finishValue(v);
  }

  /** Reads what follows the key and sets the value mode; small values finish right here. */
  private readValueStart(v: ValueState): void {
    const t = v.info.rdbType;
    switch (t) {
      case RDB_TYPE.STRING: {
        this.strHeader();
        if (this.strHeaderKind === 1) {
          this.addWhole(v, this.strInt!);
          return this.finishValue(v);
        }
        if (this.strHeaderKind === 0) {
          const n = this.strLen;
          if (n <= this.chunkBytes) {
            const s = this.bytes(n);
            this.addWhole(v, s);
            return this.finishValue(v);
          }
          v.mode = V_STRING_RAW;
          v.left = n;
          v.length = n;
          this.startValue(v);
          return;
        }
        const clen = this.strLen;
        const ulen = this.strULen;
        if (ulen <= this.chunkBytes) {
          const data = this.bytes(clen);
          this.addWhole(v, lzfDecompress(data, ulen, this.offset - clen));
          return this.finishValue(v);
        }
        v.mode = V_STRING_LZF;
        v.left = clen;
        v.length = ulen;
        v.lzf = new LzfStreamDecoder(ulen, this.offset);
        this.startValue(v);
        return;
      }
      case RDB_TYPE.LIST:
      case RDB_TYPE.SET:
      case RDB_TYPE.ZSET:
      case RDB_TYPE.ZSET_2:
      case RDB_TYPE.HASH:
      case RDB_TYPE.LIST_QUICKLIST:
      case RDB_TYPE.LIST_QUICKLIST_2:
        return this.startCollection(v, COLLECTION_MODE[t]!);
      case RDB_TYPE.HASH_ZIPMAP: {
        const at = this.offset;
        const pairs = decodeZipmap(this.str(), at);
        return this.finishPairs(v, pairs);
      }
      case RDB_TYPE.LIST_ZIPLIST: {
        const at = this.offset;
        this.addMany(v, decodeZiplist(this.str(), at));
        return this.finishValue(v);
      }
      case RDB_TYPE.SET_INTSET: {
        const at = this.offset;
        this.addMany(v, decodeIntset(this.str(), at));
        return this.finishValue(v);
      }
      case RDB_TYPE.SET_LISTPACK: {
        const at = this.offset;
        this.addMany(v, decodeListpack(this.str(), at));
        return this.finishValue(v);
      }
      case RDB_TYPE.ZSET_ZIPLIST:
      case RDB_TYPE.ZSET_LISTPACK: {
        const at = this.offset;
        const blob = this.str();
        const els = t === RDB_TYPE.ZSET_ZIPLIST ? decodeZiplist(blob, at) : decodeListpack(blob, at);
        if (els.length % 2 !== 0) throw corrupt(`sorted set blob has an odd number of elements (${els.length})`, at);
        for (let i = 0; i < els.length; i += 2) {
          const m = els[i]!;
          this.add(v, [m, parseScore(els[i + 1]!, at)] satisfies ZsetEntry, m.length + 16);
        }
        return this.finishValue(v);
      }
      case RDB_TYPE.HASH_ZIPLIST:
      case RDB_TYPE.HASH_LISTPACK: {
        const at = this.offset;
        const blob = this.str();
        const els = t === RDB_TYPE.HASH_ZIPLIST ? decodeZiplist(blob, at) : decodeListpack(blob, at);
        return this.finishPairs(v, els);
      }
      case RDB_TYPE.HASH_LISTPACK_EX:
      case RDB_TYPE.HASH_LISTPACK_EX_PRE_GA: {
        if (t === RDB_TYPE.HASH_LISTPACK_EX) this.i64le(); // min-expire, informational
        const at = this.offset;
        const els = decodeListpack(this.str(), at);
        if (els.length % 3 !== 0) throw corrupt(`hash listpack with TTLs has ${els.length} elements, not a multiple of 3`, at);
        for (let i = 0; i < els.length; i += 3) {
          const ttl = parseStreamInt(els[i + 2]!, at);
          if (typeof ttl === 'bigint' || ttl < 0) throw corrupt(`invalid field expiry ${ttl}`, at);
          this.addField(v, els[i]!, els[i + 1]!, ttl === 0 ? null : ttl);
        }
        return this.finishValue(v);
      }
      case RDB_TYPE.HASH_METADATA: {
        if (this.valkey) break;
        const min = this.i64le();
        v.minExpire = Number(min);
        return this.startCollection(v, V_HASH_META);
      }
      case VALKEY_RDB_TYPE_HASH_2: {
        // Same byte: Valkey HASH_2 in VALKEY files, Redis HASH_METADATA_PRE_GA otherwise.
        v.minExpire = 1;
        return this.startCollection(v, this.valkey ? V_HASH_2 : V_HASH_META);
      }
      case RDB_TYPE.STREAM_LISTPACKS:
      case RDB_TYPE.STREAM_LISTPACKS_2:
      case RDB_TYPE.STREAM_LISTPACKS_3:
        return this.streamStart(v);
      case RDB_TYPE.MODULE_2: {
        const p0 = this.pos;
        const id = BigInt(this.len());
        this.skipModuleOpcodes();
        const payload = this.buf.subarray(p0, this.pos);
        const { name, encver } = decodeModuleId(id);
        this.addWhole(v, { module: name, encver, moduleId: id, payload });
        return this.finishValue(v);
      }
      case RDB_TYPE.MODULE_PRE_GA: {
        const at = this.offset;
        const p0 = this.pos;
        const id = BigInt(this.len());
        const { name, encver } = decodeModuleId(id);
        const parser = this.moduleParsers[name];
        if (!parser) {
          throw new RdbkitError('MODULE_NEEDS_PARSER', `pre-GA module value (type 6) of module "${name}" cannot be read without a parser for that module (moduleParsers option)`, { offset: at });
        }
        parser(this.moduleReader());
        const payload = this.buf.subarray(p0, this.pos);
        this.addWhole(v, { module: name, encver, moduleId: id, payload });
        return this.finishValue(v);
      }
    }
    throw new RdbkitError('UNKNOWN_TYPE', `unknown value type ${t}`, { offset: v.offset });
  }

  private moduleReader(): ModuleValueReader {
    return {
      readUnsigned: () => this.len(),
      readSigned: () => {
        const u = this.len();
        return typeof u === 'number' ? u : BigInt.asIntN(64, u);
      },
      readString: () => this.str(),
      readDouble: () => this.f64le(),
      readFloat: () => this.f32le(),
    };
  }

  /** Walks a module opcode stream up to its EOF marker (format.md 9.2). */
  private skipModuleOpcodes(): void {
    for (;;) {
      const at = this.offset;
      const op = this.len();
      switch (op) {
        case RDB_MODULE_OPCODE.EOF:
          return;
        case RDB_MODULE_OPCODE.SINT:
        case RDB_MODULE_OPCODE.UINT:
          this.len();
          break;
        case RDB_MODULE_OPCODE.FLOAT:
          this.need(4);
          this.pos += 4;
          break;
        case RDB_MODULE_OPCODE.DOUBLE:
          this.need(8);
          this.pos += 8;
          break;
        case RDB_MODULE_OPCODE.STRING: {
          this.strHeader();
          if (this.strHeaderKind !== 1) {
            this.need(this.strLen);
            this.pos += this.strLen;
          }
          break;
        }
        default:
          throw corrupt(`invalid module opcode ${op}`, at);
      }
    }
  }

  private textScore(): number {
    const at = this.offset;
    const n = this.u8();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    return parseScore(this.bytes(n), at);
  }

  /**
   * Reads the element count and sets the value mode (with a sink, the value
   * then begins there). A quicklist's count is of nodes: its element count is
   * not known up front.
   */
  private startCollection(v: ValueState, mode: number, sink: ValueSink | null = null): void {
    const n = this.lenNumber();
    // Every element takes at least one byte: a count larger than the bytes
    // that can exist is caught as truncation, never allocated.
    v.mode = mode;
    v.remaining = n;
    const quicklist = mode === V_QUICKLIST || mode === V_QUICKLIST2;
    v.length = quicklist ? null : n;
    if (quicklist) {
      v.nodes = n;
      if (sink === null) v.nodeSizes = [];
    }
    sink?.begin(v.info);
    if (n === 0) this.finishValue(v);
  }

  /** A stream's node count; its nodes (or, with none, its metadata) come next. */
  private streamStart(v: ValueState): void {
    const n = this.lenNumber();
    v.mode = n === 0 ? V_STREAM_META : V_STREAM_NODES;
    v.remaining = n;
  }

  private countDown(v: ValueState): void {
    if (--v.remaining === 0) this.finishValue(v);
  }

  private startValue(v: ValueState): void {
    if (v.started) return;
    v.started = true;
    this.rawStart = -1;
    this.rawParts = null;
    if (v.skip) return;
    const i = v.info;
    this.emit({
      type: 'keyStart',
      offset: v.offset,
      db: i.db,
      key: i.key,
      expireAt: i.expireAt,
      lruIdle: i.lruIdle,
      lfuFreq: i.lfuFreq,
      rdbType: i.rdbType,
      encoding: i.encoding,
      dataType: i.dataType,
      length: v.length,
      ...(v.nodeSizes !== null ? { nodes: v.nodes } : {}),
    });
  }

  private addWhole(v: ValueState, value: unknown): void {
    v.items.push(value);
  }

  private add(v: ValueState, item: unknown, size: number): void {
    if (v.skip) return;
    v.items.push(item);
    // Whether a value streams is decided by its size in bytes; once it does,
    // its chunks are cut by the memory they take as objects too (each element
    // costs about ITEM_HEAP bytes of heap beyond its own), so that a chunk
    // dies young in the garbage collector.
    v.itemBytes += v.started ? size + ITEM_HEAP : size;
    if (v.itemBytes >= this.chunkBytes && v.nodeSizes === null) this.flushChunk(v);
  }

  private addMany(v: ValueState, items: Uint8Array[]): void {
    for (const it of items) this.add(v, it, it.length + 8);
  }

  private addField(v: ValueState, f: Uint8Array, val: Uint8Array, ttl: number | null): void {
    if (v.skip) return;
    if (v.ttls === null) v.ttls = [];
    v.ttls.push(ttl);
    if (ttl !== null) v.hasTtl = true;
    this.add(v, [f, val] satisfies HashEntry, f.length + val.length + 24);
  }

  private finishPairs(v: ValueState, els: Uint8Array[]): void {
    if (els.length % 2 !== 0) throw corrupt(`hash blob has an odd number of elements (${els.length})`, v.offset);
    for (let i = 0; i < els.length; i += 2) {
      const f = els[i]!;
      const val = els[i + 1]!;
      this.add(v, [f, val] satisfies HashEntry, f.length + val.length + 16);
    }
    this.finishValue(v);
  }

  private flushChunk(v: ValueState): void {
    this.startValue(v);
    const items = v.items;
    const i = v.info;
    const base = { type: 'keyChunk' as const, offset: this.offset, db: i.db, key: i.key };
    switch (i.dataType) {
      case 'list':
        if (v.nodeSizes !== null) {
          this.emit({ ...base, dataType: 'list', value: items as Uint8Array[], nodes: v.nodeSizes });
          v.nodeSizes = [];
        } else {
          this.emit({ ...base, dataType: 'list', value: items as Uint8Array[] });
        }
        break;
      case 'set':
        this.emit({ ...base, dataType: 'set', value: items as Uint8Array[] });
        break;
      case 'zset':
        this.emit({ ...base, dataType: 'zset', value: items as ZsetEntry[] });
        break;
      case 'hash':
        this.emit({ ...base, dataType: 'hash', value: items as HashEntry[], fieldExpireAt: v.ttls });
        break;
      case 'stream':
        this.emit({ ...base, dataType: 'stream', value: items as StreamEntry[] });
        break;
      default:
        throw new RdbkitError('CORRUPT', `cannot chunk a ${i.dataType} value`, { offset: this.offset });
    }
    v.items = [];
    v.ttls = v.ttls === null ? null : [];
    v.itemBytes = 0;
  }

  private finishValue(v: ValueState, meta?: StreamMeta): void {
    this.v = null;
    this.state = S_RECORD;
    if (v.sink && !v.skip) {
      this.sink!.done(v.info, v.offset, this.offset, this.rawStart >= 0 ? this.takeRaw() : null);
      return;
    }
    const end = this.offset;
    const i = v.info;
    const raw = this.rawStart >= 0 ? this.takeRaw() : null;
    if (v.skip) {
      this.emit({
        db: i.db,
        key: i.key,
        expireAt: i.expireAt,
        lruIdle: i.lruIdle,
        lfuFreq: i.lfuFreq,
        rdbType: i.rdbType,
        encoding: i.encoding,
        dataType: i.dataType,
        type: 'keySkipped',
        offset: v.offset,
        end,
      });
      return;
    }
    if (!v.started) {
      // One object literal per event, no `{ ...base, … }` spread: V8 builds
      // spread copies of a dozen properties through a slow path, and this runs
      // once per key (it took half of the decoding time on small-key dumps).
      let value: unknown;
      switch (i.dataType) {
        case 'string':
        case 'module':
          value = v.items[0];
          break;
        case 'stream':
          value = { ...meta!, entries: v.items as StreamEntry[] };
          break;
        default:
          value = v.items;
      }
      const e = {
        type: 'key',
        offset: v.offset,
        end,
        db: i.db,
        key: i.key,
        expireAt: i.expireAt,
        lruIdle: i.lruIdle,
        lfuFreq: i.lfuFreq,
        rdbType: i.rdbType,
        encoding: i.encoding,
        dataType: i.dataType,
        value,
      } as KeyEvent;
      if (e.dataType === 'hash') e.fieldExpireAt = v.hasTtl ? v.ttls : null;
      if (raw !== null) e.raw = raw;
      this.emit(e);
      return;
    }
    if (v.items.length > 0 || (v.nodeSizes !== null && v.nodeSizes.length > 0)) this.flushChunk(v);
    this.emit({ type: 'keyEnd', offset: v.offset, end, db: i.db, key: i.key, dataType: i.dataType, stream: meta ?? null });
  }

  /** The current value's bytes (rawValues): a view when they sit in one buffer, else a copy. */
  private takeRaw(): Uint8Array {
    const tail = this.buf.subarray(this.rawStart, this.pos);
    const parts = this.rawParts;
    this.rawStart = -1;
    this.rawParts = null;
    if (parts === null) return tail;
    let n = tail.length;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    out.set(tail, at);
    return out;
  }

  // ---------------------------------------------------------------- streams

  private streamId(): StreamId {
    const ms = this.len();
    const seq = this.len();
    return { ms, seq };
  }

  private rawId(): StreamId {
    const ms = this.u64be();
    const seq = this.u64be();
    return { ms, seq };
  }

  private streamMeta(v: ValueState): StreamMeta {
    const t = v.info.rdbType;
    const length = this.len();
    const lastId = this.streamId();
    let firstId: StreamId | null = null;
    let maxDeletedId: StreamId | null = null;
    let entriesAdded: Int64 | null = null;
    if (t >= RDB_TYPE.STREAM_LISTPACKS_2) {
      firstId = this.streamId();
      maxDeletedId = this.streamId();
      entriesAdded = this.len();
    }
    const groupCount = this.lenNumber();
    const groups: StreamGroup[] = [];
    for (let g = 0; g < groupCount; g++) {
      const name = this.str();
      const gLast = this.streamId();
      let entriesRead: Int64 | null = null;
      if (t >= RDB_TYPE.STREAM_LISTPACKS_2) {
        const er = this.len();
        entriesRead = typeof er === 'bigint' ? (er === U64_MAX ? -1 : er) : er;
      }
      const pelCount = this.lenNumber();
      const pending: StreamPendingEntry[] = [];
      for (let p = 0; p < pelCount; p++) {
        const id = this.rawId();
        const deliveryTime = this.i64le();
        const deliveryCount = this.len();
        pending.push({ id, consumer: null, deliveryTime, deliveryCount });
      }
      const find = new PendingFinder(pending);
      const consumerCount = this.lenNumber();
      const consumers: StreamConsumer[] = [];
      for (let c = 0; c < consumerCount; c++) {
        const cname = this.str();
        const seenTime = this.i64le();
        const activeTime = t >= RDB_TYPE.STREAM_LISTPACKS_3 ? this.i64le() : null;
        const n = this.lenNumber();
        const ids: StreamId[] = [];
        find.restart();
        for (let k = 0; k < n; k++) {
          const at = this.offset;
          const id = this.rawId();
          const pe = find.of(id);
          if (!pe) throw corrupt(`consumer pending entry ${id.ms}-${id.seq} is not in the group's pending list`, at);
          pe.consumer = cname;
          ids.push(id);
        }
        consumers.push({ name: cname, seenTime, activeTime, pending: ids });
      }
      groups.push({ name, lastId: gLast, entriesRead, pending, consumers });
    }
    return { length, lastId, firstId, maxDeletedId, entriesAdded, groups, nodes: v.nodes };
  }
}

/**
 * A group's pending entry by ID, for its consumers' lists. Servers write
 * both lists in ID order (from radix trees), so a consumer's next entry is
 * mostly a few places on from its last one: looked for there first; any
 * other (a damaged or hand-made file, the first of a consumer whose entries
 * start further on) through a map of every ID, made once; the scan goes on
 * from there. Each lookup costs at most SCAN steps plus a map get.
 */
class PendingFinder {
  private static readonly SCAN = 16;
  private at = 0;
  /** Index in the list of each ID. */
  private byId: Map<string, number> | null = null;

  constructor(private readonly pending: StreamPendingEntry[]) {}

  /** The next consumer's list: its entries start anywhere. */
  restart(): void {
    this.at = 0;
  }

  of(id: StreamId): StreamPendingEntry | undefined {
    const list = this.pending;
    const end = Math.min(list.length, this.at + PendingFinder.SCAN);
    for (let i = this.at; i < end; i++) {
      const e = list[i]!.id;
      if (e.ms === id.ms && e.seq === id.seq) {
        this.at = i + 1;
        return list[i];
      }
    }
    if (this.byId === null) {
      this.byId = new Map();
      for (let i = 0; i < list.length; i++) this.byId.set(`${list[i]!.id.ms}-${list[i]!.id.seq}`, i);
    }
    const i = this.byId.get(`${id.ms}-${id.seq}`);
    if (i === undefined) return undefined;
    this.at = i + 1;
    return list[i];
  }
}
