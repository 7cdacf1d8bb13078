/**
 * RESP writer, plain-command mode (design.md section 6): the commands that
 * rebuild every key in a server — `SELECT`, `SET`, `RPUSH`, `SADD`, `ZADD`,
 * `HSET` in bounded batches, `PEXPIREAT`, `HPEXPIREAT … FIELDS`, streams the
 * way Redis's AOF rewrite rebuilds them, `FUNCTION LOAD REPLACE`, and module
 * values as `RESTORE` with a DUMP payload.
 *
 * Large strings stream: the bulk length is known from `keyStart`, so `SET`
 * is written while the value arrives.
 */
import { RdbkitError } from '../errors.js';
import type { HashEntry, Int64, KeyChunkEvent, KeyEndEvent, KeyEvent, KeyInfo, KeyStartEvent, AofEvent, StreamEntry, StreamId, StreamMeta, ZsetEntry } from '../events.js';
import type { ValueSink } from '../rdb/sink.js';
import { dumpPayload, keepsEncoding, valueBytes } from '../rdb/encoder.js';
import { sinkGivesRaw } from '../rdb/decoder.js';
import { respKernel, RUN_IN, RUN_IN_BYTES, RUN_OUT, RUN_OUT_BYTES, STREAM_ID, type RespKernel } from '../rdb/kernels.js';
import { ByteWriter, ChunkedOutput, digitCount, putDigits } from '../io/byte-writer.js';
import { AofCommand } from '../aof/reader.js';
import { lzfDecompressView } from '../rdb/lzf.js';

/** Writer options. */
export interface RespOptions {
  /** Delete each key before writing it, so existing keys are overwritten. Default false. */
  replace?: boolean;
  /** Leave out function libraries. Default false. */
  functions?: boolean;
  /** Most elements per `RPUSH`/`SADD`/`ZADD`/`HSET`/`HPEXPIREAT` command. Default 512. */
  batchElements?: number;
  /** Most bytes of arguments per batched command (a command holds at least one element). Default 1 MiB. */
  batchBytes?: number;
  /**
   * Write `RESTORE key ttl payload ABSTTL` with DUMP payloads instead of
   * plain commands. Streams, hashes with field expiries and values streamed
   * in chunks are still rebuilt with commands.
   */
  restore?: boolean;
  /**
   * RDB version of the target server (6–12): RESTORE payloads are encoded for
   * it, and data it cannot hold (field expiries below 12, functions and
   * stream metadata below 10) is an error — or, with `lossy`, dropped and
   * reported. Default: the input's version.
   */
  targetVersion?: number;
  /** Drop what the target cannot hold instead of failing; each drop goes to `onDrop`. */
  lossy?: boolean;
  /** Called for every drop in lossy mode. */
  onDrop?: (what: string, db: number | null, key: Uint8Array | null) => void;
  /**
   * The target has the modules of the module values (default true). False:
   * module values are data the target cannot hold — an error naming the key,
   * or with `lossy` a reported drop.
   */
  modules?: boolean;
}

const enc = new TextEncoder();
const A = (s: string): Uint8Array => enc.encode(s);
const CRLF = A('\r\n');

/** A non-negative safe integer's digits and CRLF at `p` (room checked by the caller); returns the position after. */
function putDecimalLine(buf: Uint8Array, p: number, n: number): number {
  p = putDigits(buf, p, n);
  buf[p++] = 0x0d;
  buf[p++] = 0x0a;
  return p;
}

/** The length of a safe integer's decimal text. */
function intTextLength(v: number): number {
  return v < 0 ? digitCount(-v) + 1 : digitCount(v);
}

/**
 * The safe integer `v` as a bulk string (`$len`, its decimal text of `len`
 * bytes, line ends) at `p`, room checked by the caller; the position after.
 */
function putIntBulk(buf: Uint8Array, p: number, v: number, len = intTextLength(v)): number {
  buf[p++] = 0x24;
  p = putDecimalLine(buf, p, len);
  if (v < 0) buf[p++] = 0x2d;
  return putDecimalLine(buf, p, v < 0 ? -v : v);
}

/**
 * An RDB length of the 6- or 14-bit form at `buf[q]`, whole before `lim`:
 * `(length << 2) | its size in bytes` (1 or 2), or -1 (another form, or cut).
 */
function shortLen(buf: Uint8Array, q: number, lim: number): number {
  if (q >= lim) return -1;
  const b = buf[q]!;
  if (b < 0x40) return (b << 2) | 1;
  if (b < 0x80 && q + 1 < lim) return ((((b & 0x3f) << 8) | buf[q + 1]!) << 2) | 2;
  return -1;
}

/** `*3 $3 SET` and `*3 $9 PEXPIREAT`: the heads of a string record's commands (RespWriter.strings). */
const SET_HEAD = A('*3\r\n$3\r\nSET\r\n');
const PEXPIREAT_HEAD = A('*3\r\n$9\r\nPEXPIREAT\r\n');

/** Room kept in front of a batch written through the sink for its `*N\r\n` line, whose N is known only at its end. */
const BATCH_ROOM = 20;
const K_STRING = 1;
const K_LIST = 2;
const K_HASH = 3;
const K_ZSET = 4;
const K_RESTORE = 5; // --restore: elements ignored, RESTORE from the raw bytes at done()
const K_STREAM = 6; // XADD per entry (streamEntry), then the metadata's commands (streamEnd)

/**
 * Synchronous RESP writer: `write()` events, `take()` output chunks. It is
 * also a `ValueSink`: given as the decoder's `sink`, plain values are
 * written element by element straight from the input bytes (the fast path
 * of `rdbkit resp`), with output identical to the event path.
 */
export class RespWriter extends ChunkedOutput implements ValueSink {
  private readonly replace: boolean;
  private readonly functions: boolean;
  private readonly batchElements: number;
  private readonly batchBytes: number;
  private readonly restore: boolean;
  private readonly targetVersion: number | null;
  private readonly lossy: boolean;
  private readonly onDrop: (what: string, db: number | null, key: Uint8Array | null) => void;
  /** Number of drops in lossy mode. */
  dropped = 0;
  private db = -1;
  private version = 0;
  private open: KeyStartEvent | null = null;
  /** Pending batch of arguments after the command name and key. */
  /** Arguments of the batch being gathered (score strings are ASCII). */
  private readonly batch: Array<Uint8Array | string | number> = [];
  private readonly modules: boolean;
  /** The input is a VALKEY file (type 22 means HASH_2). */
  private valkey = false;
  private batchSize = 0;
  private batchCount = 0;
  private fieldTtls: Array<[Uint8Array, number]> = [];
  private streamEntries = 0;
  /** `$4 XADD $n key` of the stream last written (its key: xaddKey). */
  private xaddKey: Uint8Array | null = null;
  private xaddPrefix: Uint8Array = CRLF;
  /** Keys written through the sink. */
  sinkKeys = 0;
  private sinkKind = 0;
  private sinkCmd = '';
  private sinkKey: Uint8Array = CRLF;
  /** Where the open sink batch (its reserved header room) starts; -1 when none is open. */
  private batchAt = -1;
  private batchArgs = 0;
  /** Hash: a field is written and its value comes next. */
  private half = false;
  /** Sorted set: the member waiting for its score (a range, or an integer when memberBuf is null). */
  private memberBuf: Uint8Array | null = null;
  private memberStart = 0;
  private memberEnd = 0;
  private memberInt = 0;
  /** Units taken by the last `run`. */
  runTaken = 0;
  /** The input offsets [mirrorLo, mirrorHi) of the value being written are copied to the kernel's memory at RUN_IN. */
  private mirrorLo = 0;
  private mirrorHi = 0;

  constructor(options: RespOptions = {}) {
    super();
    this.replace = options.replace === true;
    this.functions = options.functions !== false;
    this.batchElements = Math.max(1, options.batchElements ?? 512);
    this.batchBytes = Math.max(1, options.batchBytes ?? 1 << 20);
    this.restore = options.restore === true;
    this.targetVersion = options.targetVersion ?? null;
    this.lossy = options.lossy === true;
    this.modules = options.modules !== false;
    this.onDrop = options.onDrop ?? ((): void => undefined);
    if (this.targetVersion !== null && (this.targetVersion < 6 || this.targetVersion > 12)) {
      throw new RdbkitError('USAGE', `target version ${this.targetVersion} is not supported (6–12)`);
    }
  }

  /** `*n` / `$n` and its line end, in one reserved run of the buffer (it runs once per argument). */
  private header(prefix: number, n: number): void {
    this.ensure(24);
    const buf = this.buf;
    buf[this.pos] = prefix;
    this.pos = putDecimalLine(buf, this.pos + 1, n);
  }

  /**
   * A score as a bulk string: the shortest decimal that reads back as the
   * same double, formatted in place a little ahead, then moved up behind its
   * header.
   */
  private bulkScore(v: number): void {
    if (!Number.isFinite(v) || (v === 0 && 1 / v < 0)) {
      this.bulk(RespWriter.score(v));
      return;
    }
    const a = v < 0 ? -v : v;
    const k = Math.round(a * 1000);
    if (a < 1e12 && k / 1000 === a) {
      // ByteWriter.double's fast path (exactly k/1000), its length known first:
      // the `$len` line, then the text, with nothing to move.
      const whole = Math.floor(k / 1000);
      const frac = k - whole * 1000;
      const wd = digitCount(whole);
      const fd = frac === 0 ? 0 : frac % 100 === 0 ? 1 : frac % 10 === 0 ? 2 : 3;
      const len = (v < 0 ? 1 : 0) + wd + (fd > 0 ? fd + 1 : 0);
      this.header(0x24, len);
      this.ensure(len + 2);
      const buf = this.buf;
      let p = this.pos;
      if (v < 0) buf[p++] = 0x2d;
      p = putDigits(buf, p, whole, wd);
      if (fd > 0) {
        buf[p++] = 0x2e;
        buf[p++] = 0x30 + Math.floor(frac / 100);
        if (fd > 1) buf[p++] = 0x30 + (Math.floor(frac / 10) % 10);
        if (fd > 2) buf[p++] = 0x30 + (frac % 10);
      }
      buf[p++] = 0x0d;
      buf[p++] = 0x0a;
      this.pos = p;
      return;
    }
    const start = this.pos;
    const at = start + 8; // room for "$NN\r\n"
    this.ensure(48);
    this.pos = at;
    this.double(v);
    this.moveUnderHeader(start, at);
  }

  /**
   * Text formatted in place at `at` (up to `pos`), a little ahead of `start`:
   * becomes a bulk string at `start`, its `$len` line first.
   */
  private moveUnderHeader(start: number, at: number): void {
    const len = this.pos - at;
    this.pos = start;
    this.header(0x24, len);
    const buf = this.buf;
    let p = this.pos;
    buf.copyWithin(p, at, at + len);
    p += len;
    buf[p++] = 0x0d;
    buf[p++] = 0x0a;
    this.pos = p;
  }

  /** One bulk string argument (a number: a score). */
  private bulk(a: Uint8Array | string | number): void {
    if (typeof a === 'number') {
      this.bulkScore(a);
      return;
    }
    if (typeof a === 'string') {
      let ascii = true;
      for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) > 0x7f) ascii = false;
      if (!ascii) {
        this.bulk(A(a));
        return;
      }
      this.header(0x24, a.length);
      this.ensure(a.length + 2);
      this.ascii(a);
      this.buf[this.pos++] = 0x0d;
      this.buf[this.pos++] = 0x0a;
    } else this.bulkRange(a, 0, a.length);
  }

  /** One command: `*n` then each argument as a bulk string. */
  private command(args: Array<Uint8Array | string>): void {
    this.header(0x2a, args.length);
    for (const a of args) this.bulk(a);
    this.maybeFlush();
  }

  /** Ends the output (checks no streamed value is left open). */
  end(): void {
    if (this.open) throw new RdbkitError('OUTPUT', 'events ended inside a streamed value', { db: this.open.db, key: this.open.key });
    if (this.sinkKind !== 0) throw new RdbkitError('OUTPUT', 'events ended inside a value given to the sink', { key: this.sinkKey });
    this.flushBuffer();
  }

  // ------------------------------------------------ ValueSink (fast path)

  /**
   * ValueSink: which keys come element by element. Plain commands: all the
   * sink's types. RESTORE: values of one unit the target holds as they are
   * (their payload is the raw bytes the decoder gives at done); the rest
   * come as events.
   */
  takes(info: KeyInfo): boolean {
    return !this.restore || (sinkGivesRaw(info.rdbType) && keepsEncoding(info.rdbType, this.valkey, this.target));
  }

  /** ValueSink: with RESTORE, only the raw bytes of the values taken are used. */
  get rawOnly(): boolean {
    return this.restore;
  }

  /** ValueSink: a value starts; its elements follow. */
  begin(info: KeyInfo): void {
    if (this.restore) {
      this.sinkKind = K_RESTORE;
      return;
    }
    this.startKey(info.db, info.key);
    this.sinkKey = info.key;
    this.half = false;
    this.mirrorLo = this.mirrorHi = 0;
    const t = info.dataType;
    if (t === 'string') {
      this.sinkKind = K_STRING;
      return;
    }
    if (t === 'stream') {
      this.sinkKind = K_STREAM;
      this.streamEntries = 0;
      return;
    }
    if (t !== 'list' && t !== 'set' && t !== 'hash' && t !== 'zset') {
      throw new RdbkitError('OUTPUT', `a ${t} value cannot be written through the sink`, { db: info.db, key: info.key });
    }
    this.sinkKind = t === 'hash' ? K_HASH : t === 'zset' ? K_ZSET : K_LIST;
    this.sinkCmd = RespWriter.batchCommand(t);
  }

  /** `*3 SET key`, the value's argument to follow. */
  private setPrefix(): void {
    this.header(0x2a, 3);
    this.bulk('SET');
    this.bulk(this.sinkKey);
  }

  /** ValueSink: a string element. */
  str(buf: Uint8Array, start: number, end: number): void {
    switch (this.sinkKind) {
      case K_RESTORE:
        return;
      case K_STRING:
        this.setPrefix();
        this.bulkRange(buf, start, end);
        return;
      case K_ZSET:
        this.memberBuf = buf;
        this.memberStart = start;
        this.memberEnd = end;
        return;
      case K_STREAM:
        this.bulkRange(buf, start, end);
        return;
      default:
        this.openBatch();
        this.bulkRange(buf, start, end);
        this.batchSize += end - start;
        this.elementDone();
    }
  }

  /** ValueSink: an integer element. */
  int(v: number): void {
    if (this.sinkKind === K_RESTORE) return;
    if (this.sinkKind === K_ZSET) {
      this.memberBuf = null;
      this.memberInt = v;
      return;
    }
    if (this.sinkKind === K_STREAM) {
      this.intArg(v);
      return;
    }
    if (this.sinkKind === K_STRING) {
      this.setPrefix();
      this.intArg(v);
      return;
    }
    this.openBatch();
    this.batchSize += this.intArg(v);
    this.elementDone();
  }

  /**
   * ValueSink: up to `max` units of a list, set, hash or sorted set (shape 1:
   * a member, 2: a field and its value, 3: a member and a binary score) as
   * stored in `buf[p, lim)`, the RDB strings at input offset `at` — written
   * by the WebAssembly kernel, with the same bytes and batches as through
   * `str` and `score`. Takes whole units while they are of the kinds it
   * knows; returns the position after them, their number in `runTaken`.
   */
  run(buf: Uint8Array, p: number, lim: number, at: number, max: number, shape: 1 | 2 | 3): number {
    this.runTaken = 0;
    const k = this.kernelFor(shape === 3 ? K_ZSET : shape === 2 ? K_HASH : K_LIST);
    if (k === null) return p;
    let taken = 0;
    let want = 4096 + max * 48;
    const limAt = at + lim - p;
    while (taken < max) {
      // The kernel reads a copy of the input in its memory, made per value ahead of what it needs.
      if (at < this.mirrorLo || at >= this.mirrorHi) this.mirror(k, buf, p, lim, at, want);
      const base = RUN_IN - this.mirrorLo;
      const end = this.mirrorHi;
      const reason = this.kernelStep(k, base + at, base + end, max - taken, shape);
      const t = k.results[2]!;
      const q = k.results[0]! - base;
      taken += t;
      p += q - at;
      at = q;
      if (reason === 2 || (reason === 3 && t > 0)) continue;
      if (reason === 1 && end < limAt && (this.mirrorLo !== at || end - at < Math.min(RUN_IN_BYTES, limAt - at))) {
        // The unit may run past the copy: copy again from it, more this time.
        want *= 4;
        this.mirrorHi = 0;
        continue;
      }
      break; // all taken, or a unit the kernel leaves to the decoder
    }
    this.runTaken = taken;
    return p;
  }

  /**
   * ValueSink: whole string records straight from the input (ValueSink.strings):
   * `SET key value` and `PEXPIREAT key ms`, the bytes begin/str/done write.
   * Takes keys and values stored plain (values also as integers or LZF),
   * expiries from 0 to 2^53 - 1, in the database last selected, without
   * --replace or RESTORE; stops before anything else, and before a record
   * whose LZF data is damaged (the decoder then reads it and reports it).
   */
  strings(buf: Uint8Array, p: number, lim: number, _at: number, db: number, maxLen: number): number {
    let taken = 0;
    if (!this.restore && !this.replace && db === this.db && this.sinkKind === 0 && this.open === null) {
      for (;;) {
        let q = p;
        let exp = -1;
        if (buf[q] === 0xfc) {
          if (q + 10 > lim) break;
          const hi = buf[q + 5]! | (buf[q + 6]! << 8) | (buf[q + 7]! << 16) | (buf[q + 8]! << 24);
          if (hi < 0 || hi >= 0x200000) break;
          exp = hi * 4294967296 + ((buf[q + 1]! | (buf[q + 2]! << 8) | (buf[q + 3]! << 16) | (buf[q + 4]! << 24)) >>> 0);
          q += 9;
        }
        if (q + 2 > lim || buf[q] !== 0) break;
        // The key: a plain string.
        let l = shortLen(buf, ++q, lim);
        if (l < 0) break;
        const klen = l >>> 2;
        q += l & 3;
        const k0 = q;
        q += klen;
        if (q >= lim || klen > maxLen) break;
        // The value: plain, an integer, or LZF.
        const b = buf[q]!;
        let vlen = -1;
        let ulen = -1;
        let int = 0;
        l = shortLen(buf, q, lim);
        if (l >= 0) {
          vlen = l >>> 2;
          q += l & 3;
        } else if (b === 0x80) {
          if (q + 5 > lim) break;
          vlen = ((buf[q + 1]! << 24) | (buf[q + 2]! << 16) | (buf[q + 3]! << 8) | buf[q + 4]!) >>> 0;
          q += 5;
        } else if (b === 0xc0) {
          if (q + 2 > lim) break;
          int = (buf[q + 1]! << 24) >> 24;
          q += 2;
        } else if (b === 0xc1) {
          if (q + 3 > lim) break;
          int = ((buf[q + 1]! | (buf[q + 2]! << 8)) << 16) >> 16;
          q += 3;
        } else if (b === 0xc2) {
          if (q + 5 > lim) break;
          int = buf[q + 1]! | (buf[q + 2]! << 8) | (buf[q + 3]! << 16) | (buf[q + 4]! << 24);
          q += 5;
        } else if (b === 0xc3) {
          // compressed and uncompressed lengths, 6- or 14-bit each
          l = shortLen(buf, ++q, lim);
          if (l < 0) break;
          vlen = l >>> 2;
          q += l & 3;
          l = shortLen(buf, q, lim);
          if (l < 0) break;
          ulen = l >>> 2;
          q += l & 3;
          if (vlen === 0 || ulen > maxLen || ulen > vlen * 88 + 8) break;
        } else break;
        const v0 = q;
        if (vlen >= 0) {
          q += vlen;
          if (q > lim || (ulen < 0 && vlen > maxLen)) break;
        }
        let z: Uint8Array | null = null;
        if (ulen >= 0) {
          try {
            z = lzfDecompressView(buf, v0, q, ulen, 0);
          } catch {
            break; // damaged: the decoder reports it
          }
          if (z === null) break;
        }
        // SET key value, then PEXPIREAT key ms.
        const n = ulen >= 0 ? ulen : vlen >= 0 ? vlen : 11;
        this.ensure(2 * klen + n + 120);
        const out = this.buf;
        let o = this.pos;
        o = this.headAndKey(SET_HEAD, buf, k0, klen, o);
        if (z !== null) o = this.putRange(z, 0, ulen, o);
        else if (vlen >= 0) o = this.putRange(buf, v0, q, o);
        else o = putIntBulk(out, o, int);
        if (exp >= 0) o = putIntBulk(out, this.headAndKey(PEXPIREAT_HEAD, buf, k0, klen, o), exp);
        this.pos = o;
        this.sinkKeys++;
        taken++;
        p = q;
        this.maybeFlush();
      }
    }
    this.runTaken = taken;
    return p;
  }

  /** `head` (`*3`, the command's name) and the key `buf[k0, k0 + klen)` as a bulk string, at `o` (room checked by the caller); the position after. */
  private headAndKey(head: Uint8Array, buf: Uint8Array, k0: number, klen: number, o: number): number {
    const out = this.buf;
    for (let i = 0; i < head.length; i++) out[o++] = head[i]!;
    return this.putRange(buf, k0, k0 + klen, o);
  }

  /**
   * ValueSink: the elements of a listpack (members, or with `pairs` hash
   * fields and values) written by the kernel once it has checked the whole
   * listpack as walkListpack would. Returns their number, or -1 to have the
   * decoder walk it (a damaged listpack, one too large, an odd hash).
   */
  listpack(blob: Uint8Array, pairs: boolean): number {
    return pairs ? this.listpackKernel(blob, K_HASH, 5) : this.listpackKernel(blob, K_LIST, 4);
  }

  /**
   * ValueSink: a listpack sorted set's members and scores, written by the
   * kernel once it has checked the listpack and read every score (integers,
   * and the decimal text of double.ts's fast paths whose double it writes
   * as `score` would). Returns the number of elements, or -1 to have the
   * decoder walk it (then each score comes through `score`).
   */
  zsetListpack(blob: Uint8Array): number {
    return this.listpackKernel(blob, K_ZSET, 6);
  }

  /**
   * ValueSink: an intset's members, written by the kernel once it has
   * checked the blob as walkIntset would; their number, or -1 to have the
   * decoder walk it.
   */
  intset(blob: Uint8Array): number {
    const k = this.kernelWith(K_LIST, blob, 0);
    if (k === null) return -1;
    const count = k.intcheck(RUN_IN, blob.length);
    // shapes 7, 8, 9: members of 2, 4, 8 bytes
    return count <= 0 ? count : this.kernelUnits(k, RUN_IN + 8, RUN_IN + blob.length, count, blob[0] === 2 ? 7 : blob[0] === 4 ? 8 : 9);
  }

  /** The kernel's `run` over a whole listpack of units of `shape` (4 members, 5 pairs, 6 member and score), once `lpcheck` accepts it. */
  private listpackKernel(blob: Uint8Array, kind: number, shape: 4 | 5 | 6): number {
    const k = this.kernelWith(kind, blob, 0);
    if (k === null) return -1;
    const count = k.lpcheck(RUN_IN, blob.length, RUN_OUT_BYTES - 64, shape === 6 ? 1 : 0);
    if (count <= 0 || (shape !== 4 && count % 2 !== 0)) return count === 0 ? 0 : -1;
    this.kernelUnits(k, RUN_IN + 6, RUN_IN + blob.length - 1, shape === 4 ? count : count / 2, shape);
    return count;
  }

  /**
   * The RESP kernel (as kernelFor) with `blob` copied to RUN_IN, when it
   * fits with `room` more bytes after it; else null. The input mirror of
   * `run` is then stale.
   */
  private kernelWith(kind: number, blob: Uint8Array, room: number): RespKernel | null {
    const k = this.kernelFor(kind);
    if (k === null || blob.length + room > RUN_IN_BYTES) return null;
    k.mem.set(blob, RUN_IN);
    this.mirrorLo = this.mirrorHi = 0;
    return k;
  }

  /** All `units` of a blob the kernel checked, in its memory [p, lim), through `run`; returns `units`. */
  private kernelUnits(k: RespKernel, p: number, lim: number, units: number, shape: number): number {
    for (let taken = 0; taken < units; ) {
      const reason = this.kernelStep(k, p, lim, units - taken, shape);
      taken += k.results[2]!;
      p = k.results[0]!;
      if (reason !== 2 && reason !== 3 && taken < units) {
        throw new RdbkitError('OUTPUT', `internal: the RESP kernel stopped (${reason}) in a value it checked`, { key: this.sinkKey });
      }
    }
    return units;
  }

  /** The RESP kernel when the value being written is of `kind` and at a unit's start; else null. */
  private kernelFor(kind: number): RespKernel | null {
    if (this.sinkKind !== kind || this.memberBuf !== null || this.half) return null;
    return respKernel();
  }

  /**
   * One call of the kernel's `run` on its memory [p, lim), the batch opened
   * first and closed when the kernel fills it; its output is appended.
   * Returns the kernel's reason for stopping (what it took: `k.results`).
   */
  private kernelStep(k: RespKernel, p: number, lim: number, max: number, shape: number): number {
    const wasOpen = this.batchAt >= 0;
    this.openBatch();
    const reason = k.run(p, lim, max, shape, RUN_OUT, RUN_OUT + RUN_OUT_BYTES - 16,
      this.batchElements - this.batchCount, Math.min(0x7fffffff, this.batchBytes - this.batchSize));
    const r = k.results;
    const t = r[2]!;
    const n = r[1]! - RUN_OUT;
    if (t === 0 && !wasOpen) {
      // Nothing taken: no batch either (the decoder's next element opens it).
      this.pos = this.batchAt;
      this.batchAt = -1;
    }
    if (n > 0) {
      this.ensure(n);
      this.buf.set(k.mem.subarray(RUN_OUT, RUN_OUT + n), this.pos);
      this.pos += n;
    }
    this.batchCount += t;
    this.batchSize += r[3]!;
    this.batchArgs += shape === 1 || shape === 4 || shape >= 7 ? t : 2 * t;
    if (reason === 2) this.closeBatch();
    return reason;
  }

  /** Copies input from offset `at` (`buf[p]`) for the kernel: up to `want` bytes, as many as `buf` has. */
  private mirror(k: RespKernel, buf: Uint8Array, p: number, lim: number, at: number, want: number): void {
    const n = Math.min(lim - p, want, RUN_IN_BYTES);
    k.mem.set(buf.subarray(p, p + n), RUN_IN);
    this.mirrorLo = at;
    this.mirrorHi = at + n;
  }

  /** ValueSink: the score of the member just given. */
  score(v: number): void {
    if (this.sinkKind === K_RESTORE) return;
    this.openBatch();
    this.bulkScore(v);
    const m = this.memberBuf;
    if (m === null) {
      this.batchSize += 24 + this.intArg(this.memberInt);
    } else {
      this.bulkRange(m, this.memberStart, this.memberEnd);
      this.batchSize += 24 + this.memberEnd - this.memberStart;
      this.memberBuf = null;
    }
    this.batchArgs += 2;
    if (this.batchFull()) this.closeBatch();
  }

  /** ValueSink: a stream entry, its `pairs` fields and values to follow (`XADD key id field value …`). */
  streamEntry(ms: Int64, seq: Int64, _deleted: boolean, pairs: number): void {
    this.maybeFlush();
    this.xaddHead(this.sinkKey, ms, seq, pairs);
  }

  /**
   * ValueSink: a whole stream node written by the kernel (`xadd`), which
   * checks it as the decoder does; -1 (nothing written) leaves it to the
   * decoder: a damaged node, one of unusual layout, or output too large.
   */
  streamNode(nodeKey: Uint8Array, lp: Uint8Array): number {
    if (nodeKey.length !== 16) return -1;
    // The XADD/key prefix goes after the listpack, 8-aligned.
    const pre = this.xaddPrefixFor(this.sinkKey);
    const preAt = RUN_IN + ((lp.length + 7) & ~7);
    const k = this.kernelWith(K_STREAM, lp, preAt - RUN_IN - lp.length + pre.length + 8);
    if (k === null) return -1;
    const mem = k.mem;
    mem.set(pre, preAt);
    mem.set(nodeKey, STREAM_ID);
    if (k.lpcheck(RUN_IN, lp.length, RUN_OUT_BYTES - 64, 0) <= 0) return -1;
    const n = k.xadd(RUN_IN, lp.length, preAt, pre.length, RUN_OUT, RUN_OUT + RUN_OUT_BYTES - 16);
    if (n < 0) return -1;
    const len = k.results[1]! - RUN_OUT;
    this.maybeFlush();
    this.ensure(len);
    this.buf.set(mem.subarray(RUN_OUT, RUN_OUT + len), this.pos);
    this.pos += len;
    this.streamEntries += n;
    return n;
  }

  /** ValueSink: the stream's entries are written; its metadata follows. */
  streamEnd(meta: StreamMeta): void {
    this.streamMeta(this.sinkKey, meta);
  }

  /** ValueSink: the value is complete. */
  done(info: KeyInfo, _offset?: number, _end?: number, raw?: Uint8Array | null): void {
    if (this.sinkKind === K_RESTORE) {
      if (!raw) throw new RdbkitError('USAGE', 'RespWriter with restore as a sink needs the decoder option rawValues', { db: info.db, key: info.key });
      this.sinkKind = 0;
      this.sinkKeys++;
      this.restoreCommand(info, info.rdbType, raw);
      this.maybeFlush();
      return;
    }
    this.closeBatch();
    this.sinkKind = 0;
    this.sinkKeys++;
    this.finishKey(info.key, info.expireAt);
    this.maybeFlush();
  }

  /** `$n`, the bytes of `src[start, end)` and the line ends, with one room check (the per-element write of the sink path). */
  private bulkRange(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start + 26);
    this.pos = this.putRange(src, start, end, this.pos);
  }

  /** `src[start, end)` as a bulk string at `p` (room checked by the caller); the position after. */
  private putRange(src: Uint8Array, start: number, end: number, p: number): number {
    const n = end - start;
    const buf = this.buf;
    buf[p++] = 0x24;
    if (n < 10) {
      buf[p++] = 0x30 + n;
      buf[p++] = 0x0d;
      buf[p++] = 0x0a;
    } else if (n < 100) {
      const t = (n / 10) | 0;
      buf[p++] = 0x30 + t;
      buf[p++] = 0x30 + n - t * 10;
      buf[p++] = 0x0d;
      buf[p++] = 0x0a;
    } else p = putDecimalLine(buf, p, n);
    p = this.copyBytes(src, start, end, p);
    buf[p++] = 0x0d;
    buf[p++] = 0x0a;
    return p;
  }

  /** An integer as a bulk string; returns the length of its text. */
  private intArg(v: number): number {
    const len = intTextLength(v);
    this.ensure(len + 26);
    this.pos = putIntBulk(this.buf, this.pos, v, len);
    return len;
  }

  /** One element (list/set member; hash field or value) is written: counts it, and ends a full batch. */
  private elementDone(): void {
    this.batchArgs++;
    if (this.sinkKind === K_HASH && (this.half = !this.half)) return;
    if (this.batchFull()) this.closeBatch();
  }

  /** Starts a batch command (`RPUSH key …`) unless one is open, leaving room for its `*N` line. */
  private openBatch(): void {
    if (this.batchAt >= 0) return;
    this.ensure(BATCH_ROOM);
    this.batchAt = this.pos;
    this.pos += BATCH_ROOM;
    this.bulk(this.sinkCmd);
    this.bulk(this.sinkKey);
  }

  /** Ends the open batch: its `*N` line goes at the end of the room, and the command moves down over the rest. */
  private closeBatch(): void {
    const at = this.batchAt;
    if (at < 0) return;
    const end = this.pos;
    this.pos = at;
    this.header(0x2a, 2 + this.batchArgs);
    const gap = at + BATCH_ROOM - this.pos;
    if (gap > 0) this.buf.copyWithin(this.pos, at + BATCH_ROOM, end);
    this.pos = end - gap;
    this.batchAt = -1;
    this.batchArgs = 0;
    this.batchSize = 0;
    this.batchCount = 0;
    this.maybeFlush();
  }

  // ----------------------------------------------------------- helpers

  /** The target's RDB version: as given, else the input's (12 when no header was seen). */
  private get target(): number {
    return this.targetVersion ?? (this.version || 12);
  }

  /** Data the target cannot hold: an error, or in lossy mode a reported drop. Returns true to drop. */
  private cannotHold(what: string, db: number | null, key: Uint8Array | null, why = `RDB version ${this.target} cannot hold it`): true {
    if (!this.lossy) {
      throw new RdbkitError('OUTPUT', `${what}: ${why} (pass --lossy to drop it)`, { db: db ?? undefined, key: key ?? undefined });
    }
    this.dropped++;
    this.onDrop(what, db, key);
    return true;
  }

  private selectDb(db: number): void {
    if (db !== this.db) {
      this.command(['SELECT', String(db)]);
      this.db = db;
    }
  }

  private static score(v: number): string {
    if (v === Infinity) return 'inf';
    if (v === -Infinity) return '-inf';
    if (v === 0 && 1 / v < 0) return '-0';
    return String(v);
  }

  private static id(id: StreamId): string {
    return `${id.ms}-${id.seq}`;
  }

  private static int(v: Int64): string {
    return String(v);
  }

  /** Adds a one-argument element to the batch for `cmd key`, sending full batches. */
  private add1(cmd: string, key: Uint8Array, a: Uint8Array): void {
    this.batch.push(a);
    this.batchSize += a.length;
    if (this.batchFull()) this.sendBatch(cmd, key);
  }

  /** Counts one more element (a pair counts once) in the batch; true when the batch is full. */
  private batchFull(): boolean {
    return ++this.batchCount >= this.batchElements || this.batchSize >= this.batchBytes;
  }

  /** Adds a two-argument element (member and score, field and value). */
  private add2(cmd: string, key: Uint8Array, a: Uint8Array | number, b: Uint8Array): void {
    this.batch.push(a, b);
    this.batchSize += (typeof a === 'number' ? 24 : a.length) + b.length;
    if (this.batchFull()) this.sendBatch(cmd, key);
  }

  private sendBatch(cmd: string, key: Uint8Array): void {
    if (this.batchCount === 0) return;
    const batch = this.batch;
    this.header(0x2a, 2 + batch.length);
    this.bulk(cmd);
    this.bulk(key);
    for (let i = 0; i < batch.length; i++) this.bulk(batch[i]!);
    batch.length = 0;
    this.batchSize = 0;
    this.batchCount = 0;
    this.maybeFlush();
  }

  private startKey(db: number, key: Uint8Array): void {
    this.selectDb(db);
    if (this.replace) this.command(['DEL', key]);
  }

  private finishKey(key: Uint8Array, expireAt: number | null): void {
    if (this.fieldTtls.length > 0 && this.target < 12) {
      this.cannotHold(`${this.fieldTtls.length} hash field expiries`, this.db, key);
      this.fieldTtls = [];
    }
    if (this.fieldTtls.length > 0) {
      // Group fields by expiry time: one HPEXPIREAT per distinct time and batch.
      const byTime = new Map<number, Uint8Array[]>();
      for (const [f, t] of this.fieldTtls) {
        let l = byTime.get(t);
        if (!l) byTime.set(t, (l = []));
        l.push(f);
      }
      for (const [t, fields] of byTime) {
        for (let i = 0; i < fields.length; i += this.batchElements) {
          const part = fields.slice(i, i + this.batchElements);
          this.command(['HPEXPIREAT', key, String(t), 'FIELDS', String(part.length), ...part]);
        }
      }
      this.fieldTtls = [];
    }
    if (expireAt !== null) this.command(['PEXPIREAT', key, String(expireAt)]);
  }

  private listItems(cmd: string, key: Uint8Array, items: Uint8Array[]): void {
    for (let i = 0; i < items.length; i++) this.add1(cmd, key, items[i]!);
  }

  private zsetItems(key: Uint8Array, items: ZsetEntry[]): void {
    for (let i = 0; i < items.length; i++) {
      const e = items[i]!;
      this.add2('ZADD', key, e[1], e[0]);
    }
  }

  private hashItems(key: Uint8Array, items: HashEntry[], ttls: Array<number | null> | null): void {
    for (let i = 0; i < items.length; i++) {
      const [f, v] = items[i]!;
      this.add2('HSET', key, f, v);
      const t = ttls?.[i];
      if (t !== null && t !== undefined) this.fieldTtls.push([f, t]);
    }
  }

  private streamItems(key: Uint8Array, entries: StreamEntry[]): void {
    for (const e of entries) {
      if (e.deleted) continue;
      const f = e.fields;
      this.xaddHead(key, e.id.ms, e.id.seq, f.length / 2);
      for (let i = 0; i < f.length; i++) this.bulkRange(f[i]!, 0, f[i]!.length);
      this.maybeFlush();
    }
  }

  /** "$4 XADD $n key", made once per stream. */
  private xaddPrefixFor(key: Uint8Array): Uint8Array {
    if (key !== this.xaddKey) {
      const w = new ByteWriter(key.length + 32);
      w.ascii('$4\r\nXADD\r\n$' + key.length + '\r\n');
      w.bytes(key);
      w.ascii('\r\n');
      this.xaddPrefix = w.result();
      this.xaddKey = key;
    }
    return this.xaddPrefix;
  }

  /** `XADD key id`, its `pairs` fields and values to follow (written without an argument array: streams have many small entries). */
  private xaddHead(key: Uint8Array, ms: Int64, seq: Int64, pairs: number): void {
    this.header(0x2a, 3 + 2 * pairs);
    this.bytes(this.xaddPrefixFor(key));
    if (typeof ms === 'number' && typeof seq === 'number') {
      const a = digitCount(ms);
      const b = digitCount(seq);
      this.header(0x24, a + 1 + b);
      this.ensure(a + b + 3);
      const buf = this.buf;
      let p = putDigits(buf, this.pos, ms, a);
      buf[p++] = 0x2d;
      p = putDigits(buf, p, seq, b);
      buf[p++] = 0x0d;
      buf[p++] = 0x0a;
      this.pos = p;
    } else this.bulk(RespWriter.id({ ms, seq }));
    this.streamEntries++;
  }

  /** After the entries: what XADD cannot express (as Redis's AOF rewrite does). */
  private streamMeta(key: Uint8Array, m: StreamMeta): void {
    if (this.streamEntries === 0) {
      // The key must exist: add an entry at 0-1 and trim it away at once;
      // XSETID then sets the real last ID (what Redis's AOF rewrite does).
      this.command(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
    }
    const old = this.target < 10;
    if (old && (m.entriesAdded !== null || m.maxDeletedId !== null || m.groups.some((g) => g.entriesRead !== null))) {
      this.cannotHold('stream metadata (entries added, max deleted ID, entries read)', this.db, key);
    }
    const setid: Array<Uint8Array | string> = ['XSETID', key, RespWriter.id(m.lastId)];
    if (m.entriesAdded !== null && !old) setid.push('ENTRIESADDED', RespWriter.int(m.entriesAdded));
    if (m.maxDeletedId !== null && !old) setid.push('MAXDELETEDID', RespWriter.id(m.maxDeletedId));
    this.command(setid);
    for (const g of m.groups) {
      const create: Array<Uint8Array | string> = ['XGROUP', 'CREATE', key, g.name, RespWriter.id(g.lastId)];
      if (g.entriesRead !== null && Number(g.entriesRead) >= 0 && !old) create.push('ENTRIESREAD', RespWriter.int(g.entriesRead));
      this.command(create);
      for (const c of g.consumers) this.command(['XGROUP', 'CREATECONSUMER', key, g.name, c.name]);
      for (const p of g.pending) {
        if (!p.consumer) continue;
        this.command(['XCLAIM', key, g.name, p.consumer, '0', RespWriter.id(p.id), 'TIME', RespWriter.int(p.deliveryTime), 'RETRYCOUNT', RespWriter.int(p.deliveryCount), 'FORCE', 'JUSTID']);
      }
    }
    this.streamEntries = 0;
  }

  /** `RESTORE key ttl payload [ABSTTL] [REPLACE] [IDLETIME n] [FREQ n]`; false when the value needs commands. */
  private restoreKey(ev: KeyEvent): boolean {
    const version = this.target;
    if (this.restore && ev.dataType === 'stream' && version < 10 && version >= 9) {
      const m = ev.value;
      if (m.entriesAdded !== null || m.maxDeletedId !== null || m.groups.some((g) => g.entriesRead !== null)) {
        this.cannotHold('stream metadata (entries added, max deleted ID, entries read)', ev.db, ev.key);
      }
    }
    // Values the target holds as they are (decoded with `rawValues`) are copied byte for byte.
    const enc = ev.dataType === 'module' ? { type: ev.rdbType, bytes: ev.value.payload } : this.restore ? valueBytes(ev, this.valkey, version) : null;
    if (!enc) return false;
    this.restoreCommand(ev, enc.type, enc.bytes);
    return true;
  }

  /** `RESTORE key ttl payload [ABSTTL] [REPLACE] [IDLETIME n] [FREQ n]` of value bytes of object type `type`. */
  private restoreCommand(k: KeyInfo, type: number, value: Uint8Array): void {
    this.selectDb(k.db);
    const args: Array<Uint8Array | string> = ['RESTORE', k.key, k.expireAt !== null ? String(k.expireAt) : '0', dumpPayload(type, value, this.target)];
    if (k.expireAt !== null) args.push('ABSTTL');
    if (this.replace) args.push('REPLACE');
    if (k.lruIdle !== null) args.push('IDLETIME', String(k.lruIdle));
    if (k.lfuFreq !== null) args.push('FREQ', String(k.lfuFreq));
    this.command(args);
  }

  private key(ev: KeyEvent): void {
    if (ev.dataType === 'module' && !this.modules) {
      this.cannotHold(`a value of module ${ev.value.module}`, ev.db, ev.key, 'the target has no modules (--no-modules)');
      return;
    }
    if (this.restoreKey(ev)) return;
    this.startKey(ev.db, ev.key);
    const k = ev.key;
    switch (ev.dataType) {
      case 'string':
        this.command(['SET', k, ev.value]);
        break;
      case 'list':
        this.listItems('RPUSH', k, ev.value);
        this.sendBatch('RPUSH', k);
        break;
      case 'set':
        this.listItems('SADD', k, ev.value);
        this.sendBatch('SADD', k);
        break;
      case 'zset':
        this.zsetItems(k, ev.value);
        this.sendBatch('ZADD', k);
        break;
      case 'hash':
        this.hashItems(k, ev.value, ev.fieldExpireAt);
        this.sendBatch('HSET', k);
        break;
      case 'stream':
        this.streamItems(k, ev.value.entries);
        this.streamMeta(k, ev.value);
        break;
      case 'module':
        throw new RdbkitError('OUTPUT', 'module values can only be written as RESTORE', { db: ev.db, key: k });
    }
    this.finishKey(k, ev.expireAt);
  }

  private chunk(ev: KeyChunkEvent): void {
    const k = ev.key;
    switch (ev.dataType) {
      case 'string':
        this.bytes(ev.value);
        this.maybeFlush();
        break;
      case 'list':
        this.listItems('RPUSH', k, ev.value);
        break;
      case 'set':
        this.listItems('SADD', k, ev.value);
        break;
      case 'zset':
        this.zsetItems(k, ev.value);
        break;
      case 'hash':
        this.hashItems(k, ev.value, ev.fieldExpireAt);
        break;
      case 'stream':
        this.streamItems(k, ev.value);
        break;
    }
  }

  private static batchCommand(dataType: string): string {
    return dataType === 'list' ? 'RPUSH' : dataType === 'set' ? 'SADD' : dataType === 'zset' ? 'ZADD' : 'HSET';
  }

  private endKey(ev: KeyEndEvent): void {
    const s = this.open!;
    if (ev.dataType === 'string') this.bytes(CRLF);
    else if (ev.dataType === 'stream') this.streamMeta(ev.key, ev.stream!);
    else this.sendBatch(RespWriter.batchCommand(ev.dataType), ev.key);
    this.open = null;
    this.finishKey(ev.key, s.expireAt);
  }

  /** Writes one event. */
  write(ev: AofEvent): void {
    switch (ev.type) {
      case 'command': {
        // The AOF's own SELECTs are replaced by the writer's, written before the next command that needs one.
        if (ev instanceof AofCommand) {
          if (ev.argc === 2 && ev.name === 'SELECT') return;
          this.selectDb(ev.db);
          // Copied as stored: the reader checked it is well-formed RESP.
          this.bytes(ev.raw);
          this.maybeFlush();
          return;
        }
        const a = ev.args;
        if (a.length === 2 && a[0]!.length === 6 && String.fromCharCode(...a[0]!).toUpperCase() === 'SELECT') return;
        this.selectDb(ev.db);
        this.command(a);
        return;
      }
      case 'header':
        this.version = ev.version;
        this.valkey = ev.magic === 'VALKEY';
        return;
      case 'moduleAux':
        // No command carries a module's aux data: say so rather than lose it quietly.
        this.cannotHold(`module aux data of ${ev.module}`, null, null, 'RESP commands cannot carry it');
        return;
      case 'function':
        if (!this.functions) return;
        if (this.target < 10) this.cannotHold('a function library', null, null);
        else this.command(['FUNCTION', 'LOAD', 'REPLACE', ev.code]);
        return;
      case 'key':
        this.key(ev);
        return;
      case 'keyStart':
        this.startKey(ev.db, ev.key);
        this.open = ev;
        if (ev.dataType === 'string') {
          // SET key <bulk of the announced length>, value bytes follow as chunks.
          this.ascii('*3\r\n$3\r\nSET\r\n');
          this.ascii(`$${ev.key.length}\r\n`);
          this.bytes(ev.key);
          this.ascii(`\r\n$${ev.length ?? 0}\r\n`);
        }
        return;
      case 'keyChunk':
        if (!this.open) throw new RdbkitError('OUTPUT', 'keyChunk without keyStart', { db: ev.db, key: ev.key });
        this.chunk(ev);
        return;
      case 'keyEnd':
        if (!this.open) throw new RdbkitError('OUTPUT', 'keyEnd without keyStart', { db: ev.db, key: ev.key });
        this.endKey(ev);
        return;
      default:
        return;
    }
  }
}

/** Turns events into RESP output chunks. */
export async function* writeResp(events: AsyncIterable<AofEvent> | Iterable<AofEvent>, options: RespOptions = {}): AsyncGenerator<Uint8Array> {
  const w = new RespWriter(options);
  for await (const ev of events) {
    w.write(ev);
    for (const c of w.take()) yield c;
  }
  w.end();
  for (const c of w.take()) yield c;
}
