/**
 * JSON Lines writer (design.md section 5, docs/jsonl.md): one JSON object
 * per key, bytes written directly into a growable output buffer — no
 * TextDecoder/JSON.stringify/TextEncoder round trip.
 *
 * Key records, fields in this order:
 *   {"db":N[,"bytes":"base64"],"key":…,"type":"T"[,"expireAt":ms],"value":…[,"fieldExpireAt":{…}]}
 * AOF commands:
 *   {"db":N[,"bytes":"base64"],"command":[arg…],"file":F,"offset":N,"ts":S}
 * Other records (`meta`), never with a `key` field:
 *   {"type":"T"[,"bytes":"base64"],…}
 *
 * Bytes rule: a record's byte strings are UTF-8 text when every one of them
 * is valid UTF-8 (strictly, as `TextDecoder('utf-8', {fatal: true})`
 * decides), else the record carries `"bytes":"base64"` and all of them are
 * standard base64. Whole records are written optimistically as text and
 * rewritten as base64 from the record start on the first invalid byte
 * string. Streamed records (`keyStart`, `keyChunk`…, `keyEnd`) are written as
 * they arrive, so their mode is decided from the key and the first chunk; a
 * later chunk that breaks a text record is an `OUTPUT` error, never a lossy
 * line. A streamed string is one byte string across its chunks: base64 and
 * UTF-8 sequences carry across chunk edges.
 */
import { RdbkitError } from '../errors.js';
import { ChunkedOutput, OUTPUT_CHUNK } from '../io/byte-writer.js';
import { isLoneRdb } from '../aof/parse.js';
import { RDB_TYPE } from '../rdb/constants.js';
import type { ValueSink } from '../rdb/sink.js';
import { intToAscii } from '../rdb/encodings/int-text.js';
import type {
  AofEvent,
  CommandEvent,
  HashEntry,
  Int64,
  KeyChunkEvent,
  KeyEndEvent,
  KeyEvent,
  KeyInfo,
  KeyStartEvent,
  StreamEntry,
  StreamId,
  StreamMeta,
  ZsetEntry,
} from '../events.js';

/** Writer options. */
export interface JsonlOptions {
  /** `auto` (default): text when valid UTF-8, else base64 per record. `base64`: base64 in every record. */
  bytes?: 'auto' | 'base64';
  /** Also write non-key records (header, aux, functions, module aux, db sizes, slot info, eof, trailing). Default false. */
  meta?: boolean;
  /** The `file` written for AOF commands of an unnamed source (a lone file: its path). Default null. */
  defaultFile?: string | null;
}

// ---------------------------------------------------------------- tables

const enc = new TextEncoder();
const ascii = (s: string): Uint8Array => enc.encode(s);

const B64_CODES = ascii('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const HEX = ascii('0123456789abcdef');

/** Per byte: 0 copies as is (printable ASCII but `"` and `\`, and DEL); anything else takes the slow path. */
const PLAIN = new Uint8Array(256);
for (let i = 0; i < 256; i++) PLAIN[i] = i >= 0x20 && i < 0x80 && i !== 0x22 && i !== 0x5c ? 0 : 1;

/** The letter of a two-character escape (`\n` …), or 0 for `\u00XX`. */
const SHORT_ESCAPE = new Uint8Array(0x60);
SHORT_ESCAPE[0x22] = 0x22; // \"
SHORT_ESCAPE[0x5c] = 0x5c; // \\
SHORT_ESCAPE[0x0a] = 0x6e; // \n
SHORT_ESCAPE[0x0d] = 0x72; // \r
SHORT_ESCAPE[0x09] = 0x74; // \t
SHORT_ESCAPE[0x08] = 0x62; // \b
SHORT_ESCAPE[0x0c] = 0x66; // \f

/**
 * Strict UTF-8 (Unicode table 3-7, what TextDecoder's fatal mode accepts):
 * per lead byte, the sequence length (0: not a lead byte) and the range of
 * its second byte, which rules out overlongs (E0 80…, F0 80…), surrogates
 * (ED A0…) and code points past U+10FFFF (F4 90…, F5…).
 */
const UTF8_LEN = new Uint8Array(256);
const UTF8_LO = new Uint8Array(256);
const UTF8_HI = new Uint8Array(256);
for (let c = 0xc2; c <= 0xf4; c++) {
  UTF8_LEN[c] = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
  UTF8_LO[c] = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
  UTF8_HI[c] = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
}

/** Input bytes per output step: bounds how far the buffer grows for one long byte string. */
const TEXT_STEP = 1 << 14;
const B64_STEP = 3 << 14;
const EMPTY = new Uint8Array(0);

/** True when `b[i, to)` (the start of a sequence led by `b[i]`, cut short) can still become valid UTF-8. */
function validPrefix(b: Uint8Array, i: number, to: number): boolean {
  const c = b[i]!;
  if (UTF8_LEN[c] === 0) return false;
  if (i + 1 < to) {
    const c1 = b[i + 1]!;
    if (c1 < UTF8_LO[c]! || c1 > UTF8_HI[c]!) return false;
    for (let k = i + 2; k < to; k++) if ((b[k]! & 0xc0) !== 0x80) return false;
  }
  return true;
}

/**
 * Strict UTF-8 check of `b[from, to)`: -1 when the bytes are not UTF-8;
 * otherwise the number of bytes at the end that begin a sequence the range
 * cuts short (a valid prefix, to be completed by what follows), 0 when the
 * range is complete, valid UTF-8.
 */
export function utf8Check(b: Uint8Array, from = 0, to = b.length): number {
  let i = from;
  while (i < to) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = UTF8_LEN[c]!;
    if (n === 0) return -1;
    if (i + n > to) return validPrefix(b, i, to) ? to - i : -1;
    const c1 = b[i + 1]!;
    if (c1 < UTF8_LO[c]! || c1 > UTF8_HI[c]!) return -1;
    if (n > 2 && (b[i + 2]! & 0xc0) !== 0x80) return -1;
    if (n > 3 && (b[i + 3]! & 0xc0) !== 0x80) return -1;
    i += n;
  }
  return 0;
}

/** True when `b` is valid UTF-8 (exactly what `new TextDecoder('utf-8', {fatal: true})` accepts). */
export function isUtf8(b: Uint8Array): boolean {
  return utf8Check(b, 0, b.length) === 0;
}

const LIT = {
  db: ascii('{"db":'),
  bytesB64: ascii(',"bytes":"base64"'),
  key: ascii(',"key":'),
  type: ascii(',"type":"'),
  expireAt: ascii('","expireAt":'),
  valueQ: ascii('","value":'),
  value: ascii(',"value":'),
  fieldExpireAt: ascii(',"fieldExpireAt":{'),
  entries: ascii('{"entries":['),
  nul: ascii('null'),
  inf: ascii('"inf"'),
  ninf: ascii('"-inf"'),
  nan: ascii('"nan"'),
  negZero: ascii('-0'),
  endLine: ascii('}\n'),
  command: ascii(',"command":['),
  cmdFile: ascii('],"file":'),
  offset: ascii(',"offset":'),
  ts: ascii(',"ts":'),
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/**
 * Synchronous JSON Lines writer: `write()` events in order, `take()` the
 * finished output chunks (about 64 KiB each) whenever convenient, `end()`
 * once after the last event, then `take()` the rest.
 */
export class JsonlWriter extends ChunkedOutput implements ValueSink {
  private readonly forceB64: boolean;
  private readonly meta: boolean;
  private readonly defaultFile: string | null;
  /** The current record writes byte strings as base64. */
  private b64 = false;
  /** Set when a byte string was not valid UTF-8 in text mode. */
  private bad = false;
  /** Output may leave the buffer in the middle of the current record (streamed records only). */
  private flushable = false;

  // Streamed record state.
  private pendingStart: KeyStartEvent | null = null;
  private open: KeyStartEvent | null = null;
  /** No element of the streamed value written yet (a comma goes before every later one). */
  private first = true;
  /** Base64 of a streamed string: 0–2 bytes waiting for the rest of their triple. */
  private readonly carry = new Uint8Array(3);
  private carryLen = 0;
  /** Text of a streamed string: the start of a UTF-8 sequence cut by a chunk edge. */
  private readonly partial = new Uint8Array(4);
  private partialLen = 0;
  /** Field expiries of a streamed hash, written after its value: raw field bytes and times. */
  private ttlBytes = EMPTY;
  private ttlUsed = 0;
  private ttlSizes: number[] = [];
  private ttlTimes: number[] = [];

  constructor(options: JsonlOptions = {}) {
    super();
    this.forceB64 = options.bytes === 'base64';
    this.meta = options.meta === true;
    this.defaultFile = options.defaultFile ?? null;
  }

  /**
   * Declares the end of the events: checks no streamed record is left open
   * and releases the last, partly filled chunk to `take()`.
   */
  end(): void {
    const k = this.open ?? this.pendingStart;
    if (k !== null) throw new RdbkitError('OUTPUT', 'events ended inside a streamed value', { db: k.db, key: k.key });
    this.flushBuffer();
  }

  // ----------------------------------------------------------- numbers

  /** An integer as a JSON number (a decimal string past 2^53 - 1). */
  private jint(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.int64(n);
    } else if (n < 0) {
      this.u8(0x2d);
      this.digits(-n);
    } else {
      this.digits(n);
    }
  }

  /** A 64-bit integer: a JSON number when safe, else a decimal string. */
  private int64(v: Int64): void {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) {
        if (v < 0) this.u8(0x2d);
        this.digits(v < 0 ? -v : v);
      } else if (Number.isInteger(v)) {
        this.ascii(`"${BigInt(v)}"`);
      } else {
        this.bytes(LIT.nul); // not an integer: no 64-bit field decodes to this
      }
    } else if (v <= MAX_SAFE && v >= MIN_SAFE) {
      this.jint(Number(v));
    } else {
      this.ascii(`"${v}"`);
    }
  }

  /** A zset score: round-tripping JSON number, `-0`, or "inf" / "-inf" / "nan". */
  private jscore(v: number): void {
    if (v === Infinity) this.bytes(LIT.inf);
    else if (v === -Infinity) this.bytes(LIT.ninf);
    else if (v !== v) this.bytes(LIT.nan);
    else if (v === 0 && 1 / v < 0) this.bytes(LIT.negZero);
    else this.double(v);
  }

  /** A stream ID as `"ms-seq"`. */
  private id(id: StreamId): void {
    this.u8(0x22);
    this.idPart(id.ms);
    this.u8(0x2d);
    this.idPart(id.seq);
    this.u8(0x22);
  }

  private idPart(v: Int64): void {
    if (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v)) this.digits(v);
    else this.ascii(BigInt(v).toString());
  }

  // ----------------------------------------------------------- byte strings

  /** A byte string as a JSON string, in the record's mode. */
  private jstr(b: Uint8Array): void {
    this.u8(0x22);
    if (this.b64) this.base64Body(b, true);
    else this.textBody(b, 0, b.length, false);
    this.u8(0x22);
  }

  /** A byte string or null. */
  private strOrNull(b: Uint8Array | null): void {
    if (b === null) this.bytes(LIT.nul);
    else this.jstr(b);
  }

  /**
   * Writes `b[from, to)` as the inside of a JSON string. With `partialOk`, a
   * UTF-8 sequence cut short by `to` is left unwritten and its length
   * returned (when it is a valid prefix); otherwise returns 0. Sets `bad`
   * and stops on invalid UTF-8 (the caller rewinds or throws).
   */
  private textBody(b: Uint8Array, from: number, to: number, partialOk: boolean): number {
    // Long strings: find plain runs four bytes at a time.
    const dv = to - from >= 32 ? new DataView(b.buffer, b.byteOffset, b.byteLength) : null;
    let i = from;
    while (i < to) {
      const stepEnd = to - i > TEXT_STEP ? i + TEXT_STEP : to;
      // Worst case: every byte becomes \u00XX; a sequence begun before stepEnd may run 3 bytes past it.
      this.ensure((stepEnd - i) * 6 + 8);
      const out = this.buf;
      const ov = dv === null ? null : new DataView(out.buffer, out.byteOffset, out.byteLength);
      let p = this.pos;
      while (i < stepEnd) {
        // A run of plain bytes, copied as it is found (one pass): four at a
        // time while the words are plain, then byte by byte. Escape-dense
        // text (JSON in a value) runs about 1.6x the two-pass copy.
        if (ov !== null) {
          const stop = stepEnd - 4;
          while (i <= stop) {
            const w = dv!.getUint32(i, true);
            const x = w ^ 0x22222222;
            const y = w ^ 0x5c5c5c5c;
            // Any byte ≥ 0x80, < 0x20, '"' or '\\' ("has less than" / "has zero byte" bit tricks).
            if ((w | ((w - 0x20202020) & ~w) | ((x - 0x01010101) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) break;
            ov.setUint32(p, w, true);
            p += 4;
            i += 4;
          }
        }
        let c = 0;
        while (i < stepEnd && PLAIN[(c = b[i]!)] === 0) {
          out[p++] = c;
          i++;
        }
        if (i >= stepEnd) break;
        if (c < 0x80) {
          out[p++] = 0x5c;
          const e = SHORT_ESCAPE[c]!;
          if (e !== 0) {
            out[p++] = e;
          } else {
            out[p++] = 0x75; out[p++] = 0x30; out[p++] = 0x30;
            out[p++] = HEX[c >> 4]!; out[p++] = HEX[c & 15]!;
          }
          i++;
          continue;
        }
        // A multi-byte sequence, checked strictly.
        const n = UTF8_LEN[c]!;
        if (n === 0) return this.fail(p);
        if (i + n > to) {
          this.pos = p;
          if (partialOk && validPrefix(b, i, to)) return to - i;
          return this.fail(p);
        }
        const c1 = b[i + 1]!;
        if (c1 < UTF8_LO[c]! || c1 > UTF8_HI[c]!) return this.fail(p);
        if (n === 2) {
          out[p++] = c; out[p++] = c1;
        } else {
          const c2 = b[i + 2]!;
          if ((c2 & 0xc0) !== 0x80) return this.fail(p);
          if (n === 3) {
            if (c === 0xe2 && c1 === 0x80 && (c2 === 0xa8 || c2 === 0xa9)) {
              // U+2028 / U+2029: valid JSON raw, but not inside JavaScript source.
              out[p++] = 0x5c; out[p++] = 0x75; out[p++] = 0x32; out[p++] = 0x30; out[p++] = 0x32;
              out[p++] = c2 === 0xa8 ? 0x38 : 0x39;
            } else {
              out[p++] = c; out[p++] = c1; out[p++] = c2;
            }
          } else {
            const c3 = b[i + 3]!;
            if ((c3 & 0xc0) !== 0x80) return this.fail(p);
            out[p++] = c; out[p++] = c1; out[p++] = c2; out[p++] = c3;
          }
        }
        i += n;
      }
      this.pos = p;
      if (this.flushable && p >= OUTPUT_CHUNK) this.flushBuffer();
    }
    return 0;
  }

  private fail(p: number): 0 {
    this.pos = p;
    this.bad = true;
    return 0;
  }

  /** Writes base64 of `b`; unless `final`, keeps 0–2 trailing bytes in `carry` for the next piece. */
  private base64Body(b: Uint8Array, final: boolean): void {
    const n = b.length;
    let i = 0;
    if (this.carryLen > 0) {
      // Complete the triple begun by the previous piece.
      while (this.carryLen < 3 && i < n) this.carry[this.carryLen++] = b[i++]!;
      if (this.carryLen < 3) {
        if (final) {
          this.base64Tail(this.carry, 0, this.carryLen);
          this.carryLen = 0;
        }
        return;
      }
      this.base64Tail(this.carry, 0, 3);
      this.carryLen = 0;
    }
    const rest = (n - i) % 3;
    const whole = n - rest;
    while (i < whole) {
      const stepEnd = whole - i > B64_STEP ? i + B64_STEP : whole;
      this.ensure(((stepEnd - i) / 3) * 4);
      const out = this.buf;
      let p = this.pos;
      for (; i < stepEnd; i += 3) {
        const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
        out[p++] = B64_CODES[v >> 18]!;
        out[p++] = B64_CODES[(v >> 12) & 63]!;
        out[p++] = B64_CODES[(v >> 6) & 63]!;
        out[p++] = B64_CODES[v & 63]!;
      }
      this.pos = p;
      if (this.flushable && p >= OUTPUT_CHUNK) this.flushBuffer();
    }
    if (rest > 0) {
      if (final) {
        this.base64Tail(b, whole, rest);
      } else {
        for (let k = 0; k < rest; k++) this.carry[k] = b[whole + k]!;
        this.carryLen = rest;
      }
    }
  }

  /** Base64 of 1–3 bytes at `b[i]`, padded. */
  private base64Tail(b: Uint8Array, i: number, count: number): void {
    this.ensure(4);
    const out = this.buf;
    let p = this.pos;
    const v = (b[i]! << 16) | (count > 1 ? b[i + 1]! << 8 : 0) | (count > 2 ? b[i + 2]! : 0);
    out[p++] = B64_CODES[v >> 18]!;
    out[p++] = B64_CODES[(v >> 12) & 63]!;
    out[p++] = count > 1 ? B64_CODES[(v >> 6) & 63]! : 0x3d;
    out[p++] = count > 2 ? B64_CODES[v & 63]! : 0x3d;
    this.pos = p;
  }

  // ----------------------------------------------------------- values

  private bytesArray(items: Uint8Array[], first: boolean): void {
    for (let i = 0; i < items.length; i++) {
      if (i > 0 || !first) this.u8(0x2c);
      this.jstr(items[i]!);
      if (this.bad) return;
    }
  }

  private zsetItems(items: ZsetEntry[], first: boolean): void {
    for (let i = 0; i < items.length; i++) {
      if (i > 0 || !first) this.u8(0x2c);
      const e = items[i]!;
      this.u8(0x5b);
      this.jstr(e[0]);
      this.u8(0x2c);
      this.jscore(e[1]);
      this.u8(0x5d);
      if (this.bad) return;
    }
  }

  private hashItems(items: HashEntry[], first: boolean): void {
    for (let i = 0; i < items.length; i++) {
      if (i > 0 || !first) this.u8(0x2c);
      const e = items[i]!;
      this.jstr(e[0]);
      this.u8(0x3a);
      this.jstr(e[1]);
      if (this.bad) return;
    }
  }

  /** Stream entries, tombstones left out; returns whether nothing was written (`first` carried on). */
  private streamEntries(entries: StreamEntry[], first: boolean): boolean {
    let f = first;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.deleted) continue;
      if (!f) this.u8(0x2c);
      f = false;
      this.u8(0x5b);
      this.id(e.id);
      this.u8(0x2c);
      this.u8(0x5b);
      this.bytesArray(e.fields, true);
      this.u8(0x5d);
      this.u8(0x5d);
      if (this.bad) break;
    }
    return f;
  }

  private streamMeta(m: StreamMeta): void {
    this.ascii(',"length":');
    this.int64(m.length);
    this.ascii(',"lastId":');
    this.id(m.lastId);
    this.ascii(',"firstId":');
    if (m.firstId !== null) this.id(m.firstId);
    else this.bytes(LIT.nul);
    this.ascii(',"maxDeletedId":');
    if (m.maxDeletedId !== null) this.id(m.maxDeletedId);
    else this.bytes(LIT.nul);
    this.ascii(',"entriesAdded":');
    if (m.entriesAdded === null) this.bytes(LIT.nul);
    else this.int64(m.entriesAdded);
    this.ascii(',"groups":[');
    for (let g = 0; g < m.groups.length; g++) {
      const gr = m.groups[g]!;
      if (g > 0) this.u8(0x2c);
      this.ascii('{"name":');
      this.jstr(gr.name);
      this.ascii(',"lastId":');
      this.id(gr.lastId);
      this.ascii(',"entriesRead":');
      if (gr.entriesRead === null) this.bytes(LIT.nul);
      else this.int64(gr.entriesRead);
      this.ascii(',"pending":[');
      for (let i = 0; i < gr.pending.length; i++) {
        const pe = gr.pending[i]!;
        if (i > 0) this.u8(0x2c);
        this.ascii('{"id":');
        this.id(pe.id);
        this.ascii(',"consumer":');
        this.strOrNull(pe.consumer);
        this.ascii(',"deliveryTime":');
        this.int64(pe.deliveryTime);
        this.ascii(',"deliveryCount":');
        this.int64(pe.deliveryCount);
        this.u8(0x7d);
      }
      this.ascii('],"consumers":[');
      for (let i = 0; i < gr.consumers.length; i++) {
        const c = gr.consumers[i]!;
        if (i > 0) this.u8(0x2c);
        this.ascii('{"name":');
        this.jstr(c.name);
        this.ascii(',"seenTime":');
        this.int64(c.seenTime);
        this.ascii(',"activeTime":');
        if (c.activeTime === null) this.bytes(LIT.nul);
        else this.int64(c.activeTime);
        this.ascii(',"pending":[');
        for (let k = 0; k < c.pending.length; k++) {
          if (k > 0) this.u8(0x2c);
          this.id(c.pending[k]!);
        }
        this.ascii(']}');
      }
      this.ascii(']}');
    }
    this.u8(0x5d);
  }

  /** `{"db":N[,"bytes":"base64"],"key":…,"type":"T"[,"expireAt":ms],"value":` */
  private head(db: number, key: Uint8Array, type: string, expireAt: number | null): void {
    this.bytes(LIT.db);
    this.jint(db);
    if (this.b64) this.bytes(LIT.bytesB64);
    this.bytes(LIT.key);
    this.jstr(key);
    this.bytes(LIT.type);
    this.ascii(type);
    if (expireAt !== null) {
      this.bytes(LIT.expireAt);
      this.int64(expireAt);
      this.bytes(LIT.value);
    } else {
      this.bytes(LIT.valueQ);
    }
  }

  private keyRecord(ev: KeyEvent): void {
    this.head(ev.db, ev.key, ev.dataType, ev.expireAt);
    if (this.bad) return;
    switch (ev.dataType) {
      case 'string':
        this.jstr(ev.value);
        break;
      case 'list':
      case 'set':
        this.u8(0x5b);
        this.bytesArray(ev.value, true);
        this.u8(0x5d);
        break;
      case 'zset':
        this.u8(0x5b);
        this.zsetItems(ev.value, true);
        this.u8(0x5d);
        break;
      case 'hash': {
        this.u8(0x7b);
        this.hashItems(ev.value, true);
        this.u8(0x7d);
        const ttl = ev.fieldExpireAt;
        if (ttl !== null && !this.bad) {
          let any = false;
          for (let i = 0; i < ttl.length && i < ev.value.length; i++) {
            const t = ttl[i];
            if (t === null || t === undefined) continue;
            if (any) this.u8(0x2c);
            else this.bytes(LIT.fieldExpireAt);
            any = true;
            this.jstr(ev.value[i]![0]);
            this.u8(0x3a);
            this.int64(t);
          }
          if (any) this.u8(0x7d);
        }
        break;
      }
      case 'stream':
        this.bytes(LIT.entries);
        this.streamEntries(ev.value.entries, true);
        this.u8(0x5d);
        this.streamMeta(ev.value);
        this.u8(0x7d);
        break;
      case 'module':
        this.moduleValue(ev.value.module, ev.value.encver, ev.value.payload);
        break;
    }
    this.bytes(LIT.endLine);
  }

  /** `{"module":"name","encver":n,"payload":"base64"}` — the payload is always base64. */
  private moduleValue(module: string, encver: number, payload: Uint8Array): void {
    this.ascii('{"module":');
    this.jsString(module);
    this.ascii(',"encver":');
    this.jint(encver);
    this.ascii(',"payload":"');
    this.base64Body(payload, true);
    this.ascii('"}');
  }

  /** A JS string (module names, magic) as a JSON string. */
  private jsString(s: string): void {
    this.bytes(enc.encode(JSON.stringify(s)));
  }

  /**
   * Writes a whole record (a key, or a meta record holding byte strings)
   * with the bytes rule: as text first; when a byte string is not UTF-8,
   * rewound to the record start and rewritten as base64.
   */
  /**
   * One whole record: as text, or from its start again in base64 when a byte
   * string is not valid UTF-8. `ev` null: the sink's string `sinkValue` of
   * key `sinkInfo`.
   */
  private record(ev: AofEvent | null): void {
    const start = this.pos;
    this.b64 = this.forceB64;
    this.bad = false;
    this.anyRecord(ev);
    if (this.bad) {
      this.pos = start;
      this.b64 = true;
      this.bad = false;
      this.anyRecord(ev);
    }
    this.maybeFlush();
  }

  private anyRecord(ev: AofEvent | null): void {
    if (ev === null) {
      const k = this.sinkInfo!;
      this.head(k.db, k.key, 'string', k.expireAt);
      if (this.bad) return;
      this.jstr(this.sinkValue);
      this.bytes(LIT.endLine);
    } else if (ev.type === 'key') this.keyRecord(ev);
    else if (ev.type === 'command') this.commandRecord(ev);
    else this.metaBytes(ev);
  }

  /** `{"db":N[,"bytes":"base64"],"command":[…],"file":F,"offset":N,"ts":S}` */
  private commandRecord(ev: CommandEvent): void {
    this.bytes(LIT.db);
    this.jint(ev.db);
    if (this.b64) this.bytes(LIT.bytesB64);
    this.bytes(LIT.command);
    if (ev.eachArg !== undefined && !this.b64) {
      // Straight from the input's bytes: no view per argument.
      this.argCount = 0;
      ev.eachArg(this.argText);
      if (this.bad) return;
    } else {
      const args = ev.args;
      for (let i = 0; i < args.length; i++) {
        if (i > 0) this.u8(0x2c);
        this.jstr(args[i]!);
        if (this.bad) return;
      }
    }
    this.bytes(LIT.cmdFile);
    this.fileName(ev.file);
    this.bytes(LIT.offset);
    this.jint(ev.offset);
    this.bytes(LIT.ts);
    if (ev.ts === null) this.bytes(LIT.nul);
    else this.jint(ev.ts);
    this.bytes(LIT.endLine);
  }

  /** Arguments of the command being written, as JSON text (stops writing once one is not UTF-8). */
  private argCount = 0;
  private readonly argText = {
    str: (buf: Uint8Array, start: number, end: number): void => {
      if (this.bad) return;
      if (this.argCount++ > 0) this.u8(0x2c);
      this.u8(0x22);
      this.textBody(buf, start, end, false);
      this.u8(0x22);
    },
  };

  /** The JSON text of the last file name written, kept: every command names its file. */
  private lastFile: string | null = null;
  private lastFileJson: Uint8Array = EMPTY;

  /** A file name (always text: names come from manifests and paths). */
  private fileName(f: string | null): void {
    const name = f ?? this.defaultFile;
    if (name === null) {
      this.bytes(LIT.nul);
      return;
    }
    if (name !== this.lastFile) {
      this.lastFile = name;
      this.lastFileJson = enc.encode(JSON.stringify(name));
    }
    this.bytes(this.lastFileJson);
  }


  // ----------------------------------------------------------- streamed records

  /** True when every byte string of a first chunk is UTF-8 (a string chunk may end inside a sequence). */
  private static chunkIsText(ev: KeyChunkEvent): boolean {
    switch (ev.dataType) {
      case 'string':
        return utf8Check(ev.value) >= 0;
      case 'list':
      case 'set':
        for (const b of ev.value) if (!isUtf8(b)) return false;
        return true;
      case 'zset':
        for (const e of ev.value) if (!isUtf8(e[0])) return false;
        return true;
      case 'hash':
        for (const e of ev.value) if (!isUtf8(e[0]) || !isUtf8(e[1])) return false;
        return true;
      case 'stream':
        for (const e of ev.value) {
          if (e.deleted) continue;
          for (const f of e.fields) if (!isUtf8(f)) return false;
        }
        return true;
    }
  }

  private startStreamed(s: KeyStartEvent, firstChunk: KeyChunkEvent | null): void {
    this.b64 = this.forceB64 || !isUtf8(s.key) || (firstChunk !== null && !JsonlWriter.chunkIsText(firstChunk));
    this.bad = false;
    this.open = s;
    this.first = true;
    this.carryLen = 0;
    this.partialLen = 0;
    this.ttlUsed = 0;
    this.ttlSizes = [];
    this.ttlTimes = [];
    this.flushable = true;
    this.head(s.db, s.key, s.dataType, s.expireAt);
    switch (s.dataType) {
      case 'string': this.u8(0x22); break;
      case 'hash': this.u8(0x7b); break;
      case 'stream': this.bytes(LIT.entries); break;
      case 'module':
        throw new RdbkitError('OUTPUT', 'a module value cannot be streamed', { db: s.db, key: s.key });
      default: this.u8(0x5b);
    }
  }

  /** Text of one piece of a streamed string, completing a sequence cut by the previous edge. */
  private stringPieceText(b: Uint8Array): void {
    let from = 0;
    if (this.partialLen > 0) {
      const part = this.partial;
      const need = UTF8_LEN[part[0]!]!;
      while (this.partialLen < need && from < b.length) part[this.partialLen++] = b[from++]!;
      if (this.partialLen < need) {
        if (!validPrefix(part, 0, this.partialLen)) this.bad = true;
        return;
      }
      this.textBody(part, 0, need, false);
      this.partialLen = 0;
      if (this.bad) return;
    }
    const left = this.textBody(b, from, b.length, true);
    for (let k = 0; k < left; k++) this.partial[k] = b[b.length - left + k]!;
    this.partialLen = left;
  }

  /** Keeps the field expiries of a streamed hash chunk for the end of the record (copies: no decoder buffer is held). */
  private keepFieldExpiries(items: HashEntry[], ttl: Array<number | null>): void {
    for (let i = 0; i < ttl.length && i < items.length; i++) {
      const t = ttl[i];
      if (t === null || t === undefined) continue;
      const f = items[i]![0];
      if (this.ttlUsed + f.length > this.ttlBytes.length) {
        const nb = new Uint8Array(Math.max(1024, (this.ttlUsed + f.length) * 2));
        nb.set(this.ttlBytes.subarray(0, this.ttlUsed));
        this.ttlBytes = nb;
      }
      this.ttlBytes.set(f, this.ttlUsed);
      this.ttlUsed += f.length;
      this.ttlSizes.push(f.length);
      this.ttlTimes.push(t);
    }
  }

  private chunk(ev: KeyChunkEvent): void {
    const key = this.open!;
    if (ev.dataType !== key.dataType) {
      throw new RdbkitError('OUTPUT', `a ${ev.dataType} chunk inside a streamed ${key.dataType} value`, { db: key.db, key: key.key });
    }
    switch (ev.dataType) {
      case 'string':
        if (this.b64) this.base64Body(ev.value, false);
        else this.stringPieceText(ev.value);
        this.first = false;
        break;
      case 'list':
      case 'set':
        this.bytesArray(ev.value, this.first);
        if (ev.value.length > 0) this.first = false;
        break;
      case 'zset':
        this.zsetItems(ev.value, this.first);
        if (ev.value.length > 0) this.first = false;
        break;
      case 'hash':
        this.hashItems(ev.value, this.first);
        if (ev.value.length > 0) this.first = false;
        if (ev.fieldExpireAt !== null) this.keepFieldExpiries(ev.value, ev.fieldExpireAt);
        break;
      case 'stream':
        this.first = this.streamEntries(ev.value, this.first);
        break;
    }
    if (this.bad) {
      throw new RdbkitError(
        'OUTPUT',
        'value is not valid UTF-8 past its first chunk, and its record was begun as UTF-8 text; use --bytes base64 (JsonlOptions.bytes = "base64")',
        { db: key.db, key: key.key },
      );
    }
    this.maybeFlush();
  }

  private endStreamed(ev: KeyEndEvent): void {
    const key = this.open!;
    if (ev.dataType !== key.dataType) {
      throw new RdbkitError('OUTPUT', `a ${ev.dataType} end inside a streamed ${key.dataType} value`, { db: key.db, key: key.key });
    }
    switch (ev.dataType) {
      case 'string':
        if (this.b64) {
          if (this.carryLen > 0) this.base64Tail(this.carry, 0, this.carryLen);
          this.carryLen = 0;
        } else if (this.partialLen > 0) {
          throw new RdbkitError(
            'OUTPUT',
            'value ends inside a UTF-8 sequence, and its record was begun as UTF-8 text; use --bytes base64 (JsonlOptions.bytes = "base64")',
            { db: key.db, key: key.key },
          );
        }
        this.u8(0x22);
        break;
      case 'hash':
        this.u8(0x7d);
        if (this.ttlSizes.length > 0) {
          this.bytes(LIT.fieldExpireAt);
          let at0 = 0;
          for (let i = 0; i < this.ttlSizes.length; i++) {
            if (i > 0) this.u8(0x2c);
            const size = this.ttlSizes[i]!;
            this.jstr(this.ttlBytes.subarray(at0, at0 + size));
            at0 += size;
            this.u8(0x3a);
            this.int64(this.ttlTimes[i]!);
          }
          this.u8(0x7d);
        }
        break;
      case 'stream':
        this.u8(0x5d);
        if (ev.stream !== null) this.streamMeta(ev.stream);
        this.u8(0x7d);
        break;
      default:
        this.u8(0x5d);
    }
    if (this.bad) {
      // Stream group and consumer names arrive only now, after the record was begun as text.
      throw new RdbkitError(
        'OUTPUT',
        'stream group or consumer names are not valid UTF-8, and the record was begun as UTF-8 text; use --bytes base64 (JsonlOptions.bytes = "base64")',
        { db: key.db, key: key.key },
      );
    }
    this.bytes(LIT.endLine);
    this.open = null;
    this.flushable = false;
    this.ttlSizes = [];
    this.ttlTimes = [];
    this.ttlUsed = 0;
    if (this.ttlBytes.length > OUTPUT_CHUNK) this.ttlBytes = EMPTY;
    this.maybeFlush();
  }

  // ----------------------------------------------------------- meta records

  /** `{"type":"T"[,"bytes":"base64"]` */
  private metaHead(type: string): void {
    this.ascii('{"type":"');
    this.ascii(type);
    this.u8(0x22);
    if (this.b64) this.bytes(LIT.bytesB64);
  }

  private metaBytes(ev: AofEvent): void {
    switch (ev.type) {
      case 'annotation':
        this.metaHead('annotation');
        this.ascii(',"text":');
        this.jstr(ev.text);
        if (this.bad) return;
        this.ascii(',"ts":');
        if (ev.ts === null) this.bytes(LIT.nul);
        else this.jint(ev.ts);
        this.ascii(',"file":');
        this.fileName(ev.file);
        this.ascii(',"offset":');
        this.jint(ev.offset);
        break;
      case 'aux':
        this.metaHead('aux');
        this.ascii(',"name":');
        this.jstr(ev.name);
        this.ascii(',"value":');
        this.jstr(ev.value);
        break;
      case 'function':
        this.metaHead('function');
        if (ev.opcode === 246) {
          this.ascii(',"name":');
          this.strOrNull(ev.name);
          this.ascii(',"engine":');
          this.strOrNull(ev.engine);
          this.ascii(',"description":');
          this.strOrNull(ev.description);
        }
        this.ascii(',"code":');
        this.jstr(ev.code);
        break;
      case 'slotImport':
        this.metaHead('slotImport');
        this.ascii(',"job":');
        this.jstr(ev.job);
        this.ascii(',"ranges":[');
        for (let i = 0; i < ev.ranges.length; i++) {
          if (i > 0) this.u8(0x2c);
          const r = ev.ranges[i]!;
          this.u8(0x5b);
          this.jint(r[0]);
          this.u8(0x2c);
          this.jint(r[1]);
          this.u8(0x5d);
        }
        this.u8(0x5d);
        break;
      default:
        return;
    }
    this.bytes(LIT.endLine);
  }

  private metaRecord(ev: AofEvent): void {
    switch (ev.type) {
      case 'annotation':
        this.record(ev);
        return;
      case 'aofPart':
        // A lone RDB file (or RDB-preamble AOF) says nothing more than its header does.
        if (isLoneRdb(ev)) return;
        this.ascii('{"type":"aofPart","file":');
        this.fileName(ev.file);
        this.ascii(`,"role":"${ev.role}","format":"${ev.format}"`);
        break;
      case 'aofTruncated':
        this.ascii('{"type":"aofTruncated","file":');
        this.fileName(ev.file);
        this.ascii(',"offset":');
        this.jint(ev.offset);
        this.ascii(',"size":');
        if (ev.size === null) this.bytes(LIT.nul);
        else this.jint(ev.size);
        this.ascii(`,"reason":"${ev.reason}"`);
        break;
      case 'header':
        this.ascii('{"type":"header","magic":');
        this.jsString(ev.magic);
        this.ascii(',"version":');
        this.jint(ev.version);
        break;
      case 'aux':
      case 'function':
      case 'slotImport':
        this.record(ev);
        return;
      case 'moduleAux':
        this.ascii('{"type":"moduleAux","module":');
        this.jsString(ev.module);
        this.ascii(',"encver":');
        this.jint(ev.encver);
        this.ascii(',"when":');
        this.jint(ev.when);
        this.ascii(',"payload":"');
        this.base64Body(ev.payload, true);
        this.u8(0x22);
        break;
      case 'selectDb':
        this.ascii('{"type":"selectDb","db":');
        this.jint(ev.db);
        break;
      case 'resizeDb':
        this.ascii('{"type":"resizeDb","db":');
        this.jint(ev.db);
        this.ascii(',"keys":');
        this.jint(ev.keys);
        this.ascii(',"expires":');
        this.jint(ev.expires);
        break;
      case 'slotInfo':
        this.ascii('{"type":"slotInfo","db":');
        this.jint(ev.db);
        this.ascii(',"slot":');
        this.jint(ev.slot);
        this.ascii(',"keys":');
        this.jint(ev.keys);
        this.ascii(',"expires":');
        this.jint(ev.expires);
        break;
      case 'eof':
        this.ascii('{"type":"eof","checksum":');
        if (ev.storedChecksum === null) this.bytes(LIT.nul);
        else this.ascii(`"${ev.storedChecksum.toString(16).padStart(16, '0')}"`);
        this.ascii(ev.verified ? ',"verified":true' : ',"verified":false');
        break;
      case 'trailing':
        this.ascii('{"type":"trailing","length":');
        this.jint(ev.length);
        break;
      default:
        return;
    }
    this.bytes(LIT.endLine);
    this.maybeFlush();
  }

  // ----------------------------------------------------------- sink

  /** Keys written through the sink. */
  sinkKeys = 0;
  private sinkInfo: KeyInfo | null = null;
  private sinkValue: Uint8Array = EMPTY;

  /**
   * ValueSink: strings only. A string comes whole, in one call, so its record
   * (and its rewrite in base64) needs nothing after the call; the decoder
   * builds no value for it (no copy of compressed strings). Other types come
   * as events: a record of several elements may have to be rewritten from
   * its start when a later one is not UTF-8.
   */
  takes(info: KeyInfo): boolean {
    return info.rdbType === RDB_TYPE.STRING;
  }

  begin(info: KeyInfo): void {
    this.sinkInfo = info;
  }

  str(buf: Uint8Array, start: number, end: number): void {
    this.sinkValue = buf.subarray(start, end);
    this.record(null);
    this.sinkValue = EMPTY;
  }

  int(v: number): void {
    this.sinkValue = intToAscii(v);
    this.record(null);
    this.sinkValue = EMPTY;
  }

  score(): void {
    throw new RdbkitError('OUTPUT', 'JsonlWriter takes only strings through the sink');
  }

  done(): void {
    this.sinkInfo = null;
    this.sinkKeys++;
  }

  // ----------------------------------------------------------- dispatch

  /** Writes one event. Throws an `OUTPUT` RdbkitError when a record cannot be written losslessly or events are out of order. */
  write(ev: AofEvent): void {
    if ((this.open !== null || this.pendingStart !== null) && ev.type !== 'keyChunk' && ev.type !== 'keyEnd') {
      const k = (this.open ?? this.pendingStart)!;
      throw new RdbkitError('OUTPUT', `a ${ev.type} event inside a streamed value (keyEnd missing)`, { db: k.db, key: k.key });
    }
    switch (ev.type) {
      case 'key':
      case 'command':
        this.record(ev);
        return;
      case 'keyStart':
        // Written with the first chunk, which decides text or base64.
        this.pendingStart = ev;
        return;
      case 'keyChunk':
        if (this.pendingStart !== null) {
          const s = this.pendingStart;
          this.pendingStart = null;
          this.startStreamed(s, ev);
        }
        if (this.open === null) throw new RdbkitError('OUTPUT', 'keyChunk without keyStart', { db: ev.db, key: ev.key });
        this.chunk(ev);
        return;
      case 'keyEnd':
        if (this.pendingStart !== null) {
          const s = this.pendingStart;
          this.pendingStart = null;
          this.startStreamed(s, null);
        }
        if (this.open === null) throw new RdbkitError('OUTPUT', 'keyEnd without keyStart', { db: ev.db, key: ev.key });
        this.endStreamed(ev);
        return;
      case 'keySkipped':
        return;
      default:
        if (this.meta) {
          this.b64 = this.forceB64;
          this.metaRecord(ev);
        }
    }
  }
}

/**
 * Turns events into JSON Lines output chunks (about 64 KiB each), pulling
 * events only as fast as the consumer takes output. Chunks are fresh copies
 * the caller may keep.
 */
export async function* writeJsonl(
  events: AsyncIterable<AofEvent> | Iterable<AofEvent>,
  options: JsonlOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const w = new JsonlWriter(options);
  for await (const ev of events) {
    w.write(ev);
    for (const c of w.take()) yield c;
  }
  w.end();
  for (const c of w.take()) yield c;
}
