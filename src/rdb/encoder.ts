/**
 * Value serialisation (format.md sections 3–6, 11, 14): the bytes of one
 * value as an RDB of a chosen version stores it, shared by RESTORE payloads
 * and the RDB writer. Versions are 6–12 (magic REDIS) or 80 (`VALKEY080`).
 * Compact encodings are chosen the way Redis chooses them with default limits
 * (128 entries, 64-byte elements, 512 intset members).
 */
import type { HashEntry, Int64, KeyEvent, StreamEntry, StreamId, StreamValue } from '../events.js';
import { RDB_ENC, RDB_TYPE, QUICKLIST_NODE_CONTAINER, VALKEY_RDB_TYPE_HASH_2 } from './constants.js';
import { ByteWriter } from '../io/byte-writer.js';
import { Crc64 } from './crc64.js';
import { lzfCompress } from './lzf.js';
import { encodeListpack } from './encodings/listpack.js';
import { encodeZiplist } from './encodings/ziplist.js';
import { encodeIntset } from './encodings/intset.js';
import { parseCanonicalInt } from './encodings/int-text.js';

const MAX_COMPACT_ENTRIES = 128;
const MAX_COMPACT_VALUE = 64;
const MAX_INTSET_ENTRIES = 512;
const QUICKLIST_NODE_BYTES = 8192;

/** Builds RDB value bytes: lengths, strings, doubles (on the io ByteWriter). */
export class ValueWriter extends ByteWriter {
  /** A LEN that may exceed 2^53 (stream IDs, counters). */
  lenBig(n: Int64 | bigint): void {
    if (typeof n === 'number') return this.len(n);
    if (n < 0n || n > 0xffffffffffffffffn) throw new RangeError('LEN out of range');
    if (n <= 0xffffffffn) return this.len(Number(n));
    this.u8(0x81);
    this.ensure(8);
    new DataView(this.buf.buffer).setBigUint64(this.pos, n, false);
    this.pos += 8;
  }

  /** A signed 64-bit little-endian integer. */
  i64le(v: Int64): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setBigInt64(this.pos, BigInt.asIntN(64, BigInt(v)), true);
    this.pos += 8;
  }

  f64le(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** An RDB LEN in its smallest form. */
  len(n: number): void {
    if (n < 64) this.u8(n);
    else if (n < 16384) {
      this.u8(0x40 | (n >> 8));
      this.u8(n & 0xff);
    } else if (n <= 0xffffffff) {
      this.u8(0x80);
      this.ensure(4);
      new DataView(this.buf.buffer).setUint32(this.pos, n, false);
      this.pos += 4;
    } else {
      this.u8(0x81);
      this.ensure(8);
      new DataView(this.buf.buffer).setBigUint64(this.pos, BigInt(n), false);
      this.pos += 8;
    }
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** The bytes written so far as a view, and an empty writer: the view is valid until the next write. */
  take(): Uint8Array {
    const v = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return v;
  }

  /** A sorted-set score as type 3 (ZSET) stores it: a length byte and text, 253–255 for NaN and ±inf. */
  textScore(s: number): void {
    if (s === Infinity) return this.u8(254);
    if (s === -Infinity) return this.u8(255);
    const t = scoreText(s);
    this.u8(t.length);
    this.bytes(t);
  }

  /** An RDB string: integer encoding for canonical int32 texts, LZF when it saves 4+ bytes, else raw. */
  str(b: Uint8Array): void {
    if (b.length <= 11) {
      const v = parseCanonicalInt(b);
      if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
        this.ensure(5);
        const dv = new DataView(this.buf.buffer);
        if (v >= -128 && v <= 127) {
          this.u8(0xc0 | RDB_ENC.INT8);
          this.u8(v & 0xff);
        } else if (v >= -32768 && v <= 32767) {
          this.u8(0xc0 | RDB_ENC.INT16);
          dv.setInt16(this.pos, v, true);
          this.pos += 2;
        } else {
          this.u8(0xc0 | RDB_ENC.INT32);
          dv.setInt32(this.pos, v, true);
          this.pos += 4;
        }
        return;
      }
    }
    if (b.length > 20) {
      const z = lzfCompress(b);
      if (z && z.length <= b.length - 4) {
        this.u8(0xc0 | RDB_ENC.LZF);
        this.len(z.length);
        this.len(b.length);
        this.bytes(z);
        return;
      }
    }
    this.len(b.length);
    this.bytes(b);
  }
}

const compact = (els: Uint8Array[]): boolean => els.length <= MAX_COMPACT_ENTRIES && els.every((e) => e.length <= MAX_COMPACT_VALUE);

/** Shortest text of a score that reads back as the same double, as Redis stores it in compact zsets. */
function scoreText(v: number): Uint8Array {
  const s = v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v === 0 && 1 / v < 0 ? '-0' : String(v);
  return new TextEncoder().encode(s);
}

/**
 * Serialises a whole key's value for RDB `version` (6–12, or 80 for
 * VALKEY080). Returns the type byte and the value bytes, or null for what the
 * version cannot hold (streams below 9, field expiries below 12), which
 * callers rebuild with commands or report.
 */
export function encodeValue(ev: KeyEvent, version: number): { type: number; bytes: Uint8Array } | null {
  const w = new ValueWriter();
  switch (ev.dataType) {
    case 'string':
      w.str(ev.value);
      return { type: RDB_TYPE.STRING, bytes: w.result() };
    case 'list': {
      const body = new ValueWriter();
      const list = new ListBody(body, version, 0);
      for (const e of ev.value) list.add(e);
      list.finish();
      w.len(list.count);
      w.bytes(body.take());
      return { type: list.type, bytes: w.result() };
    }
    case 'set': {
      const els = ev.value;
      if (els.length <= MAX_INTSET_ENTRIES && els.every((e) => e.length <= 20 && parseCanonicalInt(e) !== null)) {
        w.str(encodeIntset(els));
        return { type: RDB_TYPE.SET_INTSET, bytes: w.result() };
      }
      if (version >= 11 && compact(els)) {
        w.str(encodeListpack(els));
        return { type: RDB_TYPE.SET_LISTPACK, bytes: w.result() };
      }
      w.len(els.length);
      for (const e of els) w.str(e);
      return { type: RDB_TYPE.SET, bytes: w.result() };
    }
    case 'zset': {
      const members = ev.value.map(([m]) => m);
      if (compact(members)) {
        // Compact zsets are kept in ascending (score, member) order.
        const sorted = [...ev.value].sort((a, b) => a[1] - b[1] || compareBytes(a[0], b[0]));
        const flat = sorted.flatMap(([m, s]) => [m, scoreText(s)]);
        w.str(version >= 10 ? encodeListpack(flat) : encodeZiplist(flat));
        return { type: version >= 10 ? RDB_TYPE.ZSET_LISTPACK : RDB_TYPE.ZSET_ZIPLIST, bytes: w.result() };
      }
      w.len(ev.value.length);
      if (version >= 8) {
        for (const [m, s] of ev.value) {
          w.str(m);
          w.f64le(s);
        }
        return { type: RDB_TYPE.ZSET_2, bytes: w.result() };
      }
      for (const [m, s] of ev.value) {
        w.str(m);
        w.textScore(s);
      }
      return { type: RDB_TYPE.ZSET, bytes: w.result() };
    }
    case 'hash': {
      const ttls = ev.fieldExpireAt;
      if (ttls && ttls.some((t) => t !== null)) {
        // Field expiries need RDB 12 (Redis 7.4+: types 25 and 24) or VALKEY080 (type 22).
        if (version < 12) return null;
        if (version >= VALKEY_VERSION) return encodeHash2(w, ev.value, ttls);
        return encodeHashWithTtls(w, ev.value, ttls);
      }
      const flat = ev.value.flatMap(([f, v]) => [f, v]);
      if (ev.value.length <= MAX_COMPACT_ENTRIES && compact(flat)) {
        w.str(version >= 10 ? encodeListpack(flat) : encodeZiplist(flat));
        return { type: version >= 10 ? RDB_TYPE.HASH_LISTPACK : RDB_TYPE.HASH_ZIPLIST, bytes: w.result() };
      }
      w.len(ev.value.length);
      for (const [f, v] of ev.value) {
        w.str(f);
        w.str(v);
      }
      return { type: RDB_TYPE.HASH, bytes: w.result() };
    }
    case 'module':
      return { type: ev.rdbType, bytes: ev.value.payload };
    case 'stream':
      return version >= 9 ? encodeStream(w, ev.value, version) : null;
  }
}

/**
 * Hashes with field expiries (format.md 11.1): HASH_LISTPACK_EX (25) for
 * small hashes — min-expire, then (field, value, ttl) triples with the TTL'd
 * fields first in ascending TTL order, 0 meaning none — else HASH_METADATA
 * (24) — min-expire, then (ttl relative to min-expire, field, value).
 */
function encodeHashWithTtls(w: ValueWriter, value: HashEntry[], ttls: Array<number | null>): { type: number; bytes: Uint8Array } {
  const rows = value.map(([f, v], i) => ({ f, v, t: ttls[i] ?? null }));
  let min = 0;
  for (const r of rows) if (r.t !== null && (min === 0 || r.t < min)) min = r.t;
  w.i64le(min);
  if (rows.length <= MAX_COMPACT_ENTRIES && rows.every((r) => r.f.length <= MAX_COMPACT_VALUE && r.v.length <= MAX_COMPACT_VALUE)) {
    const withTtl = rows.filter((r) => r.t !== null).sort((a, b) => a.t! - b.t!);
    const without = rows.filter((r) => r.t === null);
    const els = [...withTtl, ...without].flatMap((r) => [r.f, r.v, text(r.t ?? 0)]);
    w.str(encodeListpack(els));
    return { type: RDB_TYPE.HASH_LISTPACK_EX, bytes: w.result() };
  }
  w.len(rows.length);
  for (const r of rows) {
    w.len(r.t === null ? 0 : r.t - min + 1);
    w.str(r.f);
    w.str(r.v);
  }
  return { type: RDB_TYPE.HASH_METADATA, bytes: w.result() };
}

/**
 * Valkey 9 HASH_2 (type 22 in VALKEY080 files, format.md 11.2): field, value,
 * then the absolute expiry as i64 LE, -1 for none.
 */
function encodeHash2(w: ValueWriter, value: HashEntry[], ttls: Array<number | null>): { type: number; bytes: Uint8Array } {
  w.len(value.length);
  for (let i = 0; i < value.length; i++) {
    const [f, v] = value[i]!;
    w.str(f);
    w.str(v);
    w.i64le(ttls[i] ?? -1);
  }
  return { type: VALKEY_RDB_TYPE_HASH_2, bytes: w.result() };
}

const STREAM_NODE_ENTRIES = 100;
const STREAM_NODE_BYTES = 4096;

/** A 64-bit value as two u32 halves, big-endian, into `out` at `at`. */
function u64be(out: DataView, at: number, v: Int64): void {
  const b = BigInt.asUintN(64, BigInt(v));
  out.setBigUint64(at, b, false);
}

function streamIdBytes(id: StreamId): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  u64be(dv, 0, id.ms);
  u64be(dv, 8, id.seq);
  return out;
}

const text = (v: Int64 | bigint): Uint8Array => new TextEncoder().encode(String(v));

/** Streams (format.md section 8) as type 15 (v9), 19 (v10) or 21 (v11+). */
function encodeStream(w: ValueWriter, v: StreamValue, version: number): { type: number; bytes: Uint8Array } {
  const live = v.entries.filter((e) => !e.deleted);
  // Nodes of up to 100 entries / 4 KiB, each keyed by its first entry's ID.
  const nodes: StreamEntry[][] = [];
  let cur: StreamEntry[] = [];
  let size = 0;
  for (const e of live) {
    const esize = e.fields.reduce((n, f) => n + f.length + 2, 8);
    if (cur.length > 0 && (cur.length >= STREAM_NODE_ENTRIES || size + esize > STREAM_NODE_BYTES)) {
      nodes.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(e);
    size += esize;
  }
  if (cur.length > 0) nodes.push(cur);
  w.len(nodes.length);
  for (const node of nodes) {
    const master = node[0]!;
    const masterFields = master.fields.filter((_, i) => i % 2 === 0);
    const els: Uint8Array[] = [text(node.length), text(0), text(masterFields.length), ...masterFields, text(0)];
    for (const e of node) {
      const names = e.fields.filter((_, i) => i % 2 === 0);
      const same = names.length === masterFields.length && names.every((n, i) => compareBytes(n, masterFields[i]!) === 0);
      const msDelta = BigInt.asIntN(64, BigInt(e.id.ms) - BigInt(master.id.ms));
      const seqDelta = BigInt.asIntN(64, BigInt(e.id.seq) - BigInt(master.id.seq));
      els.push(text(same ? 2 : 0), text(msDelta), text(seqDelta));
      if (same) {
        for (let i = 1; i < e.fields.length; i += 2) els.push(e.fields[i]!);
        els.push(text(masterFields.length + 3));
      } else {
        els.push(text(names.length), ...e.fields, text(names.length * 2 + 4));
      }
    }
    w.str(streamIdBytes(master.id));
    w.str(encodeListpack(els));
  }
  const id = (x: StreamId): void => {
    w.lenBig(x.ms);
    w.lenBig(x.seq);
  };
  w.lenBig(v.length);
  id(v.lastId);
  if (version >= 10) {
    id(v.firstId ?? (live[0]?.id ?? { ms: 0, seq: 0 }));
    id(v.maxDeletedId ?? { ms: 0, seq: 0 });
    w.lenBig(v.entriesAdded ?? v.length);
  }
  w.len(v.groups.length);
  for (const g of v.groups) {
    w.str(g.name);
    id(g.lastId);
    if (version >= 10) w.lenBig(g.entriesRead === null || Number(g.entriesRead) < 0 ? 0xffffffffffffffffn : g.entriesRead);
    w.len(g.pending.length);
    for (const p of g.pending) {
      w.bytes(streamIdBytes(p.id));
      w.i64le(p.deliveryTime);
      w.lenBig(p.deliveryCount);
    }
    w.len(g.consumers.length);
    for (const c of g.consumers) {
      w.str(c.name);
      w.i64le(c.seenTime);
      if (version >= 11) w.i64le(c.activeTime ?? c.seenTime);
      w.len(c.pending.length);
      for (const p of c.pending) w.bytes(streamIdBytes(p));
    }
  }
  const type = version >= 11 ? RDB_TYPE.STREAM_LISTPACKS_3 : version >= 10 ? RDB_TYPE.STREAM_LISTPACKS_2 : RDB_TYPE.STREAM_LISTPACKS;
  return { type, bytes: w.result() };
}

/** Elements per node of a list whose element count is fixed up front (ListBody). */
export const LIST_NODE_ENTRIES = MAX_COMPACT_ENTRIES;

/**
 * A list's body as RDB `version` stores it, built one element at a time
 * into `out`: quicklist v2 listpack nodes (10+), quicklist ziplist nodes of
 * 128 elements (7–9) or a plain list (6). `count` is what the body's leading
 * LEN must say (nodes, or elements of a plain list). With `perNode` > 0 a
 * listpack node closes after exactly that many elements, so the count is
 * known before the first element (`listCount`); with 0 it closes at 8 KiB,
 * and an element that does not fit alone becomes a PLAIN node.
 */
export class ListBody {
  readonly type: number;
  count = 0;
  private cur: Uint8Array[] = [];
  private size = 0;
  private readonly perNode: number;

  constructor(
    private readonly out: ValueWriter,
    private readonly version: number,
    perNode: number,
  ) {
    this.type = version >= 10 ? RDB_TYPE.LIST_QUICKLIST_2 : version >= 7 ? RDB_TYPE.LIST_QUICKLIST : RDB_TYPE.LIST;
    this.perNode = version >= 10 ? perNode : MAX_COMPACT_ENTRIES;
  }

  add(e: Uint8Array): void {
    if (this.version < 7) {
      this.out.str(e);
      this.count++;
      return;
    }
    if (this.version >= 10 && this.perNode === 0) {
      if (e.length >= QUICKLIST_NODE_BYTES) {
        this.finish();
        this.out.len(QUICKLIST_NODE_CONTAINER.PLAIN);
        this.out.str(e);
        this.count++;
        return;
      }
      if (this.size + e.length + 11 > QUICKLIST_NODE_BYTES) this.finish();
      this.size += e.length + 11;
    }
    this.cur.push(e);
    if (this.perNode > 0 && this.cur.length === this.perNode) this.finish();
  }

  /** Closes the node being built (call once after the last element). */
  finish(): void {
    if (this.cur.length === 0) return;
    this.node(this.cur);
    this.cur = [];
    this.size = 0;
  }

  /**
   * Writes `els` as one node, whatever its size (RDB 7 and up): a ziplist
   * below RDB 10, else a listpack, or a plain node for one element as large
   * as Redis stores that way. An empty node is written as an empty blob
   * encoding, as a source may hold one.
   */
  node(els: Uint8Array[]): void {
    if (this.version >= 10) {
      if (els.length === 1 && els[0]!.length >= QUICKLIST_NODE_BYTES) {
        this.out.len(QUICKLIST_NODE_CONTAINER.PLAIN);
        this.out.str(els[0]!);
      } else {
        this.out.len(QUICKLIST_NODE_CONTAINER.PACKED);
        this.out.str(encodeListpack(els));
      }
    } else {
      this.out.str(encodeZiplist(els));
    }
    this.count++;
  }
}

/** The LEN a ListBody with `perNode` = LIST_NODE_ENTRIES writes for `n` elements. */
export function listCount(n: number, version: number): number {
  return version >= 7 ? Math.ceil(n / LIST_NODE_ENTRIES) : n;
}

/** First version of each type byte whose meaning Redis and Valkey share (types 0–21). */
const TYPE_SINCE: ReadonlyArray<number | undefined> = [1, 1, 1, 1, 1, 8, undefined, 8, undefined, 2, 2, 2, 2, 4, 7, 9, 10, 10, 10, 10, 11, 11];

/** RDB version number standing for `VALKEY080`. */
export const VALKEY_VERSION = 80;

/**
 * True when a value stored with object type `type` in a file of the
 * `sourceValkey` family can be copied byte for byte into an RDB (or RESTORE
 * payload) of `version`: the target has the type with the same meaning. Type
 * 22 is Valkey's HASH_2 only between VALKEY files; 24/25 only between Redis
 * 12 files; type 6, 23 and Redis's 22 (release-candidate formats) are always
 * re-encoded.
 */
export function keepsEncoding(type: number, sourceValkey: boolean, version: number): boolean {
  const targetValkey = version >= VALKEY_VERSION;
  if (type === VALKEY_RDB_TYPE_HASH_2) return sourceValkey && targetValkey;
  if (type === RDB_TYPE.HASH_METADATA || type === RDB_TYPE.HASH_LISTPACK_EX) return !sourceValkey && !targetValkey && version >= 12;
  const since = TYPE_SINCE[type];
  return since !== undefined && version >= since;
}

/**
 * The type byte and bytes of a whole key's value for `version`: the bytes as
 * the source file stored them when the event carries them (`raw`, from the
 * decoder's `rawValues` option) and they need no conversion, else
 * `encodeValue`.
 */
export function valueBytes(ev: KeyEvent, sourceValkey: boolean, version: number): { type: number; bytes: Uint8Array } | null {
  if (ev.raw !== undefined && keepsEncoding(ev.rdbType, sourceValkey, version)) return { type: ev.rdbType, bytes: ev.raw };
  return encodeValue(ev, version);
}

/** Byte-wise order of two byte strings. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A DUMP / RESTORE payload: type byte, value, RDB version (u16 LE), CRC-64 (LE). */
export function dumpPayload(type: number, value: Uint8Array, version: number): Uint8Array {
  const out = new Uint8Array(1 + value.length + 10);
  out[0] = type;
  out.set(value, 1);
  const at = 1 + value.length;
  out[at] = version & 0xff;
  out[at + 1] = version >> 8;
  const crc = new Crc64();
  crc.update(out, 0, at + 2);
  const dv = new DataView(out.buffer);
  dv.setUint32(at + 2, crc.lo, true);
  dv.setUint32(at + 6, crc.hi, true);
  return out;
}
