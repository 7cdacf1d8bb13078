/**
 * RDB writer (design.md section 7): a new RDB file of a chosen version (6–12,
 * or VALKEY080) from decoder events, with the encodings that version
 * supports, expiries, LRU/LFU prefixes, aux fields, function libraries,
 * module aux data, and a correct CRC-64. Data the version cannot hold is an
 * error, or with `lossy` a reported drop.
 *
 * Whole values the target can hold as they are (decoded with `rawValues`)
 * are copied byte for byte; the rest are re-encoded. Large values
 * (`keyStart`…`keyEnd`) stream with bounded memory: strings, and lists, sets,
 * sorted sets and hashes whose element count the source states (a list goes
 * out as quicklist nodes of a fixed element count, a set as type 2, a hash as
 * type 4, a sorted set as type 5, or 3 below RDB 8). A quicklist source,
 * whose file states a node count rather than an element count, goes out as
 * the same nodes re-encoded for the target (RDB 7 and up; for RDB 6, which
 * needs the element count first, it is gathered as encoded elements, about
 * the size it takes in the file). Streams and hashes that may carry field
 * expiries are gathered whole before encoding: memory grows with such a value.
 */
import { RdbkitError } from '../errors.js';
import type { HashEntry, KeyChunkEvent, KeyEvent, KeyInfo, KeyStartEvent, AofEvent, StreamEntry, StreamMeta, ZsetEntry } from '../events.js';
import { RDB_OPCODE, RDB_TYPE } from '../rdb/constants.js';
import { Crc64 } from '../rdb/crc64.js';
import { sinkGivesRaw } from '../rdb/decoder.js';
import { LIST_NODE_ENTRIES, ListBody, VALKEY_VERSION, ValueWriter, keepsEncoding, listCount, valueBytes } from '../rdb/encoder.js';
import type { ValueSink } from '../rdb/sink.js';
import { ChunkedOutput } from '../io/byte-writer.js';

/** Writer options. */
export interface RdbWriterOptions {
  /** RDB version to write: 6–12, or 80 for `VALKEY080` (Valkey 9). Default: the input's. */
  version?: number;
  /** Drop what the version cannot hold instead of failing; each drop goes to `onDrop`. */
  lossy?: boolean;
  onDrop?: (what: string, db: number | null, key: Uint8Array | null) => void;
  /**
   * Copy the source's RESIZEDB sizing hints (RDB 7 and up). Default true;
   * turn it off when keys are filtered out, since the counts would be wrong.
   */
  resizeHints?: boolean;
  /**
   * The target has the modules of the module values and aux data (default
   * true). False: those are data the target cannot hold — an error naming
   * the key, or with `lossy` a reported drop.
   */
  modules?: boolean;
}

/** Object types whose hashes may carry field expiries (Redis 22–25, Valkey 22). */
const TTL_HASH_TYPES = new Set<number>([22, 23, RDB_TYPE.HASH_METADATA, RDB_TYPE.HASH_LISTPACK_EX]);

/** How an open streamed value is being written. */
const GATHER = 0; // collected whole, encoded at keyEnd
const STRING = 1; // bytes copied as they come
const DIRECT = 2; // elements written as they come, count already written
const LIST_NODES = 3; // list of unknown length: encoded nodes collected, written at keyEnd
const LIST_MIRROR = 4; // quicklist source: node count written first, then its nodes as they come

interface OpenValue {
  start: KeyStartEvent;
  how: number;
  /** DIRECT: elements the header promised, and seen so far. */
  expected: number;
  seen: number;
  /** DIRECT lists and LIST_NODES: the node builder, writing into `body`. */
  list: ListBody | null;
  body: ValueWriter | null;
  /** GATHER: the value so far. */
  items: unknown[];
  ttls: Array<number | null> | null;
  stream: StreamEntry[];
}

/**
 * Synchronous RDB writer: `write()` events, `take()` output chunks, `end()`
 * writes EOF and the checksum. It is also a `ValueSink` for a decoder with
 * `rawValues`: it takes the strings and compact blobs the target holds as
 * they are and copies their bytes, so the decoder builds no value for them.
 */
export class RdbWriter extends ChunkedOutput implements ValueSink {
  private readonly wanted: number | null;
  private readonly lossy: boolean;
  private readonly onDrop: (what: string, db: number | null, key: Uint8Array | null) => void;
  private version = 0;
  private sourceValkey = false;
  private started = false;
  private db = -1;
  private readonly crc = new Crc64();
  /** Small records are built here, then copied to the output. */
  private readonly scratch = new ValueWriter();
  private open: OpenValue | null = null;
  /** Number of drops in lossy mode. */
  dropped = 0;

  constructor(options: RdbWriterOptions = {}) {
    super();
    this.wanted = options.version ?? null;
    if (this.wanted !== null && !((this.wanted >= 6 && this.wanted <= 12) || this.wanted === VALKEY_VERSION)) {
      throw new RdbkitError('USAGE', `RDB version ${this.wanted} is not supported for writing (6–12, or 80 for VALKEY080)`);
    }
    this.lossy = options.lossy === true;
    this.resizeHints = options.resizeHints !== false;
    this.modules = options.modules !== false;
    this.onDrop = options.onDrop ?? ((): void => undefined);
  }

  private cannotHold(what: string, db: number | null, key: Uint8Array | null, why = `${this.format()} cannot hold it`): void {
    if (!this.lossy) {
      throw new RdbkitError('OUTPUT', `${what}: ${why} (pass --lossy to drop it)`, { db: db ?? undefined, key: key ?? undefined });
    }
    this.dropped++;
    this.onDrop(what, db, key);
  }

  private format(): string {
    return this.version === VALKEY_VERSION ? 'VALKEY080' : `RDB version ${this.version}`;
  }

  private readonly resizeHints: boolean;
  private readonly modules: boolean;

  /** Moves buffered bytes out, checksumming them on the way. */
  protected override flushBuffer(): void {
    this.crc.update(this.buf, 0, this.pos);
    super.flushBuffer();
  }

  private record(b: Uint8Array): void {
    this.bytes(b);
    this.maybeFlush();
  }

  /** Writes what the scratch writer holds. */
  private flushScratch(): void {
    this.record(this.scratch.take());
  }

  private startFile(magic: 'REDIS' | 'VALKEY', version: number): void {
    this.sourceValkey = magic === 'VALKEY';
    this.version = this.wanted ?? (this.sourceValkey ? VALKEY_VERSION : Math.min(Math.max(version, 6), 12));
    this.ascii(this.version === VALKEY_VERSION ? 'VALKEY080' : `REDIS${String(this.version).padStart(4, '0')}`);
    this.started = true;
  }

  /** SELECTDB when the database changes, the expiry and LRU/LFU prefixes, the type byte and the key, into the scratch writer. */
  private keyHeader(db: number, key: Uint8Array, type: number, expireAt: number | null, lruIdle: number | null, lfuFreq: number | null): void {
    const w = this.scratch;
    if (db !== this.db) {
      w.u8(RDB_OPCODE.SELECTDB);
      w.len(db);
      this.db = db;
    }
    if (expireAt !== null) {
      w.u8(RDB_OPCODE.EXPIRETIME_MS);
      w.i64le(expireAt);
    }
    if (this.version >= 9 && lruIdle !== null) {
      w.u8(RDB_OPCODE.IDLE);
      w.len(lruIdle);
    }
    if (this.version >= 9 && lfuFreq !== null) {
      w.u8(RDB_OPCODE.FREQ);
      w.u8(lfuFreq);
    }
    w.u8(type);
    w.str(key);
  }

  private key(ev: KeyEvent): void {
    if (ev.dataType === 'module' && !this.modules) {
      this.cannotHold(`a value of module ${ev.value.module}`, ev.db, ev.key, 'the target has no modules (--no-modules)');
      return;
    }
    if (this.version < 12 && ev.dataType === 'hash' && ev.fieldExpireAt && ev.fieldExpireAt.some((t) => t !== null)) {
      this.cannotHold('hash field expiries', ev.db, ev.key);
      ev = { ...ev, fieldExpireAt: null };
      delete ev.raw;
    }
    if (ev.dataType === 'stream' && this.version < 10) {
      const m = ev.value;
      if (m.entriesAdded !== null || m.maxDeletedId !== null || m.groups.some((g) => g.entriesRead !== null)) {
        this.cannotHold('stream metadata (entries added, max deleted ID, entries read)', ev.db, ev.key);
      }
    }
    const enc = valueBytes(ev, this.sourceValkey, this.version);
    if (!enc) {
      this.cannotHold(`a ${ev.dataType} value`, ev.db, ev.key);
      return;
    }
    this.storedValue(ev, enc.type, enc.bytes);
  }

  /** A key's header, then its value's bytes as the target stores them (type `type`). */
  private storedValue(k: KeyInfo, type: number, bytes: Uint8Array): void {
    this.keyHeader(k.db, k.key, type, k.expireAt, k.lruIdle, k.lfuFreq);
    this.flushScratch();
    this.record(bytes);
  }

  /** Starts a large value: its header now when it can stream, else gathering. */
  private keyStart(ev: KeyStartEvent): void {
    const o: OpenValue = { start: ev, how: GATHER, expected: 0, seen: 0, list: null, body: null, items: [], ttls: null, stream: [] };
    this.open = o;
    const header = (type: number, count: number): void => {
      this.keyHeader(ev.db, ev.key, type, ev.expireAt, ev.lruIdle, ev.lfuFreq);
      this.scratch.len(count);
      this.flushScratch();
    };
    const n = ev.length;
    if (ev.dataType === 'string') {
      // Strings stream: the length is known, the bytes follow as they come.
      o.how = STRING;
      header(RDB_TYPE.STRING, n ?? 0);
      return;
    }
    if (ev.dataType === 'list' && n === null && ev.nodes !== undefined && this.version >= 7) {
      // A quicklist source states its node count: write that many nodes, one
      // for each of the source's (keyChunk.nodes gives their element counts).
      o.how = LIST_MIRROR;
      o.expected = ev.nodes;
      o.list = new ListBody(this.scratch, this.version, 0);
      header(o.list.type, ev.nodes);
      return;
    }
    if (ev.dataType === 'list' && n === null) {
      o.how = LIST_NODES;
      o.body = new ValueWriter();
      o.list = new ListBody(o.body, this.version, 0);
      return;
    }
    if (n === null || ev.dataType === 'stream' || ev.dataType === 'module' || (ev.dataType === 'hash' && TTL_HASH_TYPES.has(ev.rdbType))) return;
    o.how = DIRECT;
    o.expected = n;
    switch (ev.dataType) {
      case 'list':
        o.list = new ListBody(this.scratch, this.version, LIST_NODE_ENTRIES);
        header(o.list.type, listCount(n, this.version));
        return;
      case 'set':
        return header(RDB_TYPE.SET, n);
      case 'zset':
        return header(this.version >= 8 ? RDB_TYPE.ZSET_2 : RDB_TYPE.ZSET, n);
      case 'hash':
        return header(RDB_TYPE.HASH, n);
    }
  }

  /** Writes the elements of a chunk of a DIRECT value. */
  private direct(o: OpenValue, ev: KeyChunkEvent): void {
    const w = this.scratch;
    o.seen += ev.value.length;
    if (o.seen > o.expected) throw new RdbkitError('OUTPUT', `streamed ${ev.dataType} has more than the ${o.expected} elements its start announced`, { db: ev.db, key: ev.key });
    switch (ev.dataType) {
      case 'list':
        for (const e of ev.value) {
          o.list!.add(e);
          if (w.length >= 1 << 16) this.flushScratch();
        }
        break;
      case 'set':
        for (const e of ev.value) {
          w.str(e);
          if (w.length >= 1 << 16) this.flushScratch();
        }
        break;
      case 'zset':
        for (const [m, s] of ev.value) {
          w.str(m);
          if (this.version >= 8) w.f64le(s);
          else w.textScore(s);
          if (w.length >= 1 << 16) this.flushScratch();
        }
        break;
      case 'hash':
        for (const [f, v] of ev.value) {
          w.str(f);
          w.str(v);
          if (w.length >= 1 << 16) this.flushScratch();
        }
        break;
      default:
        throw new RdbkitError('OUTPUT', `cannot stream a ${ev.dataType} value`, { db: ev.db, key: ev.key });
    }
    this.flushScratch();
  }

  /** Writes the nodes of a chunk of a LIST_MIRROR value. */
  private mirror(o: OpenValue, ev: KeyChunkEvent): void {
    const sizes = ev.dataType === 'list' ? ev.nodes : undefined;
    if (sizes === undefined) throw new RdbkitError('OUTPUT', 'a chunk of a quicklist value has no node sizes', { db: ev.db, key: ev.key });
    const els = ev.value as Uint8Array[];
    let at = 0;
    for (const n of sizes) {
      if (!(n >= 0 && at + n <= els.length)) break;
      o.seen++;
      if (o.seen > o.expected) break;
      o.list!.node(els.slice(at, (at += n)));
      if (this.scratch.length >= 1 << 16) this.flushScratch();
    }
    if (at !== els.length || o.seen > o.expected) {
      throw new RdbkitError('OUTPUT', `a chunk's node sizes do not match its ${els.length} elements, or pass the ${o.expected} nodes its start announced`, { db: ev.db, key: ev.key });
    }
    this.flushScratch();
  }

  private keyChunk(ev: KeyChunkEvent): void {
    const o = this.open;
    if (!o) throw new RdbkitError('OUTPUT', 'keyChunk without keyStart', { db: ev.db, key: ev.key });
    if (o.how === STRING) {
      if (ev.dataType === 'string') this.record(ev.value);
    } else if (o.how === DIRECT) {
      this.direct(o, ev);
    } else if (o.how === LIST_MIRROR) {
      this.mirror(o, ev);
    } else if (o.how === LIST_NODES) {
      if (ev.dataType === 'list') for (const e of ev.value) o.list!.add(e);
    } else if (ev.dataType === 'stream') {
      for (const e of ev.value) o.stream.push(e);
    } else if (ev.dataType !== 'string') {
      for (const it of ev.value) o.items.push(it);
      if (ev.dataType === 'hash' && ev.fieldExpireAt) {
        const ttls = (o.ttls ??= []);
        for (const t of ev.fieldExpireAt) ttls.push(t);
      }
    }
  }

  private keyEnd(o: OpenValue, end: number, stream: StreamMeta | null): void {
    const s = o.start;
    switch (o.how) {
      case STRING:
        return;
      case LIST_MIRROR:
        if (o.seen !== o.expected) throw new RdbkitError('OUTPUT', `streamed list ended after ${o.seen} of the ${o.expected} nodes its start announced`, { db: s.db, key: s.key });
        return;
      case DIRECT:
        if (o.seen !== o.expected) throw new RdbkitError('OUTPUT', `streamed ${s.dataType} ended after ${o.seen} of the ${o.expected} elements its start announced`, { db: s.db, key: s.key });
        if (o.list) {
          o.list.finish();
          this.flushScratch();
        }
        return;
      case LIST_NODES: {
        const list = o.list!;
        list.finish();
        this.keyHeader(s.db, s.key, list.type, s.expireAt, s.lruIdle, s.lfuFreq);
        this.scratch.len(list.count);
        this.flushScratch();
        this.record(o.body!.take());
        return;
      }
    }
    const base = { type: 'key' as const, offset: s.offset, end, db: s.db, key: s.key, expireAt: s.expireAt, lruIdle: s.lruIdle, lfuFreq: s.lfuFreq, rdbType: s.rdbType, encoding: s.encoding };
    let whole: KeyEvent;
    switch (s.dataType) {
      case 'list':
      case 'set':
        whole = { ...base, dataType: s.dataType, value: o.items as Uint8Array[] };
        break;
      case 'zset':
        whole = { ...base, dataType: 'zset', value: o.items as ZsetEntry[] };
        break;
      case 'hash':
        whole = { ...base, dataType: 'hash', value: o.items as HashEntry[], fieldExpireAt: o.ttls };
        break;
      case 'stream':
        whole = { ...base, dataType: 'stream', value: { ...(stream as StreamMeta), entries: o.stream } };
        break;
      default:
        throw new RdbkitError('OUTPUT', `cannot write a streamed ${s.dataType} value`, { db: s.db, key: s.key });
    }
    this.key(whole);
  }

  /** Keys copied through the sink path. */
  sinkKeys = 0;

  /** ValueSink: only the raw bytes of the values taken are used. */
  readonly rawOnly = true;

  /** ValueSink: takes values the target holds byte for byte and whose raw bytes the decoder gives. */
  takes(info: KeyInfo): boolean {
    return this.started && this.open === null && sinkGivesRaw(info.rdbType) && keepsEncoding(info.rdbType, this.sourceValkey, this.version);
  }

  begin(): void {}
  str(): void {}
  int(): void {}
  score(): void {}

  /** ValueSink: the value's bytes as stored, after its key header. */
  done(info: KeyInfo, _offset: number, _end: number, raw: Uint8Array | null): void {
    if (raw === null) throw new RdbkitError('USAGE', 'RdbWriter as a sink needs the decoder option rawValues', { db: info.db, key: info.key });
    this.storedValue(info, info.rdbType, raw);
    this.sinkKeys++;
  }

  /** Writes one event. AOF events other than commands (`aofPart`) are ignored; commands cannot be written. */
  write(ev: AofEvent): void {
    if (ev.type === 'aofPart') return;
    if (ev.type === 'command') throw new RdbkitError('USAGE', 'AOF commands cannot be written to an RDB');
    if (!this.started) {
      if (ev.type !== 'header') throw new RdbkitError('USAGE', 'the first event must be the header');
      this.startFile(ev.magic, ev.version);
      return;
    }
    switch (ev.type) {
      case 'aux': {
        const w = this.scratch;
        w.u8(RDB_OPCODE.AUX);
        w.str(ev.name);
        w.str(ev.value);
        this.flushScratch();
        return;
      }
      case 'function': {
        if (this.version < 10) return this.cannotHold('a function library', null, null);
        const w = this.scratch;
        w.u8(RDB_OPCODE.FUNCTION2);
        w.str(ev.code);
        this.flushScratch();
        return;
      }
      case 'moduleAux': {
        if (!this.modules) return this.cannotHold(`module aux data of ${ev.module}`, null, null, 'the target has no modules (--no-modules)');
        if (this.version < 9) return this.cannotHold(`module aux data of ${ev.module}`, null, null);
        this.u8(RDB_OPCODE.MODULE_AUX);
        this.record(ev.payload);
        return;
      }
      case 'resizeDb': {
        // SELECTDB, then the hint, as Redis writes them before a database's keys.
        if (!this.resizeHints || this.version < 7) return;
        const w = this.scratch;
        if (ev.db !== this.db) {
          w.u8(RDB_OPCODE.SELECTDB);
          w.len(ev.db);
          this.db = ev.db;
        }
        w.u8(RDB_OPCODE.RESIZEDB);
        w.len(ev.keys);
        w.len(ev.expires);
        this.flushScratch();
        return;
      }
      case 'key':
        this.key(ev);
        return;
      case 'keyStart':
        this.keyStart(ev);
        return;
      case 'keyChunk':
        this.keyChunk(ev);
        return;
      case 'keyEnd': {
        const o = this.open;
        if (!o) throw new RdbkitError('OUTPUT', 'keyEnd without keyStart', { db: ev.db, key: ev.key });
        this.open = null;
        this.keyEnd(o, ev.end, ev.stream);
        return;
      }
      default:
        return;
    }
  }

  /** Writes EOF and the CRC-64, and releases the last output. */
  end(): void {
    if (!this.started) throw new RdbkitError('USAGE', 'no header was written');
    if (this.open) throw new RdbkitError('OUTPUT', 'events ended inside a streamed value', { db: this.open.start.db, key: this.open.start.key });
    this.u8(RDB_OPCODE.EOF);
    this.crc.update(this.buf, 0, this.pos);
    const tail = new DataView(new ArrayBuffer(8));
    tail.setUint32(0, this.crc.lo, true);
    tail.setUint32(4, this.crc.hi, true);
    this.bytes(new Uint8Array(tail.buffer));
    super.flushBuffer();
  }
}
