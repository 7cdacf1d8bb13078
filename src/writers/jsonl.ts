/**
 * JSON Lines writer (design.md section 5, docs/jsonl.md): one JSON object
 * per key, bytes written directly into a growable output buffer.
 *
 * Byte strings are UTF-8 text when every byte string of the record is valid
 * UTF-8, else the record carries `"bytes":"base64"` and all of its byte
 * strings are base64. Whole records are written optimistically as text and
 * rewritten as base64 on the first invalid byte string. Streamed records
 * (`keyStart` … `keyEnd`) decide from the key and the first chunk.
 */
import { RdbkitError } from '../errors.js';
import { ChunkedOutput } from '../io/byte-writer.js';
import type {
  HashEntry,
  Int64,
  KeyChunkEvent,
  KeyEndEvent,
  KeyEvent,
  KeyStartEvent,
  RdbEvent,
  StreamEntry,
  StreamId,
  StreamMeta,
  ZsetEntry,
} from '../events.js';

/** Writer options. */
export interface JsonlOptions {
  /** `auto` (default): text when valid UTF-8, else base64 per record. `base64`: always base64. */
  bytes?: 'auto' | 'base64';
  /** Also write non-key records (header, aux, functions, module aux, db sizes, eof). Default false. */
  meta?: boolean;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = new Uint8Array(64);
for (let i = 0; i < 64; i++) B64_CODES[i] = B64.charCodeAt(i);
const HEX = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

/** 0: copy as is; 1: needs escaping; 2: start of a multi-byte sequence. */
const CLASS = new Uint8Array(256);
for (let i = 0; i < 256; i++) CLASS[i] = i < 0x20 || i === 0x22 || i === 0x5c ? 1 : i >= 0x80 ? 2 : 0;

const enc = new TextEncoder();
const ascii = (s: string): Uint8Array => enc.encode(s);

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
};

/** Synchronous JSON Lines writer: `write()` events, `take()` output chunks. */
export class JsonlWriter extends ChunkedOutput {
  private readonly forceB64: boolean;
  private readonly meta: boolean;
  /** Current record writes byte strings as base64. */
  private b64 = false;
  /** Set when a byte string was not valid UTF-8 in text mode. */
  private bad = false;

  // Streamed record state.
  private pendingStart: KeyStartEvent | null = null;
  private open: KeyStartEvent | null = null;
  private first = true;
  private carry = new Uint8Array(3);
  private carryLen = 0;
  private fieldTtls: Array<[Uint8Array, number]> = [];

  constructor(options: JsonlOptions = {}) {
    super();
    this.forceB64 = options.bytes === 'base64';
    this.meta = options.meta === true;
  }

  /**
   * Declares the end of the events: checks no streamed record is left open
   * and releases the last, partly filled chunk to `take()`.
   */
  end(): void {
    if (this.open || this.pendingStart) {
      const k = (this.open ?? this.pendingStart)!;
      throw new RdbkitError('OUTPUT', 'events ended inside a streamed value', { db: k.db, key: k.key });
    }
    if (this.pos > 0) this.flushBuffer();
  }

  // ----------------------------------------------------------- values

  private num(n: number): void {
    this.ascii(String(n));
  }

  /** Writes a non-negative safe integer's digits without making a string. */
  private digits(n: number): void {
    if (n < 10) {
      this.u8(0x30 + n);
      return;
    }
    this.ensure(16);
    const out = this.buf;
    let len = 0;
    for (let t = n; t >= 1; t = Math.floor(t / 10)) len++;
    let p = this.pos + len;
    this.pos = p;
    while (n >= 1) {
      const q = Math.floor(n / 10);
      out[--p] = 0x30 + (n - q * 10);
      n = q;
    }
  }

  /**
   * A double as the shortest decimal that reads back as the same double
   * (what `String(v)` gives). Fast path, without making a string: values
   * that are exactly k/1000 for an integer k below 2^53. Division is
   * correctly rounded, so the decimal "k/1000" reads back as `v`, and no
   * shorter decimal does (it would also have ≤ 3 decimals, hence be k/1000).
   */
  private double(v: number): void {
    const a = v < 0 ? -v : v;
    if (a < 1e12) {
      const k = Math.round(a * 1000);
      if (k / 1000 === a) {
        if (v < 0) this.u8(0x2d);
        const int = Math.floor(k / 1000);
        let frac = k - int * 1000;
        this.digits(int);
        if (frac !== 0) {
          this.u8(0x2e);
          let div = 100;
          while (frac !== 0) {
            const d = Math.floor(frac / div);
            this.u8(0x30 + d);
            frac -= d * div;
            div /= 10;
          }
        }
        return;
      }
    }
    this.ascii(String(v));
  }

  private int64(v: Int64): void {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) this.num(v);
      else this.ascii(`"${BigInt(v)}"`);
    } else if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
      this.ascii(v.toString());
    } else {
      this.ascii(`"${v}"`);
    }
  }

  private score(v: number): void {
    if (v === Infinity) this.bytes(LIT.inf);
    else if (v === -Infinity) this.bytes(LIT.ninf);
    else if (Number.isNaN(v)) this.bytes(LIT.nan);
    else if (v === 0 && 1 / v < 0) this.bytes(LIT.negZero);
    else this.double(v);
  }

  private id(id: StreamId): void {
    this.ascii(`"${id.ms}-${id.seq}"`);
  }

  /** A byte string as a JSON string, in the record's mode. */
  private str(b: Uint8Array): void {
    this.u8(0x22);
    if (this.b64) this.base64Body(b, true);
    else this.textBody(b, 0, b.length);
    this.u8(0x22);
  }

  /**
   * Writes `b[from, to)` as escaped JSON text. Returns the number of bytes
   * left unwritten at the end because they start an incomplete UTF-8
   * sequence (only when `partialOk`); sets `bad` on invalid UTF-8.
   */
  private textBody(b: Uint8Array, from: number, to: number, partialOk = false): number {
    // Worst case: every byte becomes \u00XX.
    this.ensure((to - from) * 6);
    const out = this.buf;
    let p = this.pos;
    let i = from;
    // Long strings: find plain runs four bytes at a time.
    const dv = to - from >= 32 ? new DataView(b.buffer, b.byteOffset, b.byteLength) : null;
    while (i < to) {
      // Copy a run of plain bytes.
      let j = i;
      if (dv !== null) {
        const stop = to - 4;
        while (j <= stop) {
          const w = dv.getUint32(j, true);
          const x = w ^ 0x22222222;
          const y = w ^ 0x5c5c5c5c;
          // Any byte ≥ 0x80, < 0x20, '"' or '\\' (the "has less than" and "has zero" bit tricks).
          if ((w | ((w - 0x20202020) & ~w) | ((x - 0x01010101) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) break;
          j += 4;
        }
      }
      while (j < to && CLASS[b[j]!] === 0) j++;
      if (j > i) {
        if (j - i > 32) out.set(b.subarray(i, j), p);
        else for (let k = i; k < j; k++) out[p + k - i] = b[k]!;
        p += j - i;
        i = j;
        if (i >= to) break;
      }
      const c = b[i]!;
      if (c < 0x80) {
        out[p++] = 0x5c;
        switch (c) {
          case 0x22: out[p++] = 0x22; break;
          case 0x5c: out[p++] = 0x5c; break;
          case 0x0a: out[p++] = 0x6e; break;
          case 0x0d: out[p++] = 0x72; break;
          case 0x09: out[p++] = 0x74; break;
          case 0x08: out[p++] = 0x62; break;
          case 0x0c: out[p++] = 0x66; break;
          default:
            out[p++] = 0x75; out[p++] = 0x30; out[p++] = 0x30;
            out[p++] = HEX[c >> 4]!; out[p++] = HEX[c & 15]!;
        }
        i++;
        continue;
      }
      // Multi-byte UTF-8: validate strictly (as TextDecoder fatal does).
      let need: number;
      let min: number;
      let cp: number;
      if (c >= 0xc2 && c <= 0xdf) { need = 1; min = 0x80; cp = c & 0x1f; }
      else if (c >= 0xe0 && c <= 0xef) { need = 2; min = 0x800; cp = c & 0x0f; }
      else if (c >= 0xf0 && c <= 0xf4) { need = 3; min = 0x10000; cp = c & 0x07; }
      else { this.bad = true; this.pos = p; return 0; }
      if (i + need >= to) {
        // The sequence is cut by the end of this piece.
        let ok = true;
        for (let k = i + 1; k < to; k++) if ((b[k]! & 0xc0) !== 0x80) ok = false;
        this.pos = p;
        if (ok && partialOk) return to - i;
        this.bad = true;
        return 0;
      }
      for (let k = 1; k <= need; k++) {
        const cc = b[i + k]!;
        if ((cc & 0xc0) !== 0x80) { this.bad = true; this.pos = p; return 0; }
        cp = (cp << 6) | (cc & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) { this.bad = true; this.pos = p; return 0; }
      if (cp === 0x2028 || cp === 0x2029) {
        out[p++] = 0x5c; out[p++] = 0x75; out[p++] = 0x32; out[p++] = 0x30; out[p++] = 0x32; out[p++] = cp === 0x2028 ? 0x38 : 0x39;
      } else {
        for (let k = 0; k <= need; k++) out[p++] = b[i + k]!;
      }
      i += need + 1;
    }
    this.pos = p;
    return 0;
  }

  /** Writes base64 of `b`; with `final` false, keeps 0–2 trailing bytes in `carry`. */
  private base64Body(b: Uint8Array, final: boolean): void {
    let src = b;
    if (this.carryLen > 0) {
      src = new Uint8Array(this.carryLen + b.length);
      src.set(this.carry.subarray(0, this.carryLen), 0);
      src.set(b, this.carryLen);
      this.carryLen = 0;
    }
    const n = src.length;
    const whole = n - (n % 3);
    const keep = final ? 0 : n - whole;
    this.ensure(Math.ceil(n / 3) * 4 + 4);
    const out = this.buf;
    let p = this.pos;
    let i = 0;
    for (; i < whole; i += 3) {
      const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
      out[p++] = B64_CODES[v >> 18]!;
      out[p++] = B64_CODES[(v >> 12) & 63]!;
      out[p++] = B64_CODES[(v >> 6) & 63]!;
      out[p++] = B64_CODES[v & 63]!;
    }
    if (keep > 0) {
      for (let k = 0; k < keep; k++) this.carry[k] = src[whole + k]!;
      this.carryLen = keep;
    } else if (n - whole === 1) {
      const v = src[whole]! << 16;
      out[p++] = B64_CODES[v >> 18]!;
      out[p++] = B64_CODES[(v >> 12) & 63]!;
      out[p++] = 0x3d;
      out[p++] = 0x3d;
    } else if (n - whole === 2) {
      const v = (src[whole]! << 16) | (src[whole + 1]! << 8);
      out[p++] = B64_CODES[v >> 18]!;
      out[p++] = B64_CODES[(v >> 12) & 63]!;
      out[p++] = B64_CODES[(v >> 6) & 63]!;
      out[p++] = 0x3d;
    }
    this.pos = p;
  }

  private bytesArray(items: Uint8Array[], first: boolean): void {
    for (let i = 0; i < items.length; i++) {
      if (i > 0 || !first) this.u8(0x2c);
      this.str(items[i]!);
      if (this.bad) return;
    }
  }

  private zsetItems(items: ZsetEntry[], first: boolean): void {
    for (let i = 0; i < items.length; i++) {
      if (i > 0 || !first) this.u8(0x2c);
      const e = items[i]!;
      this.u8(0x5b);
      this.str(e[0]);
      this.u8(0x2c);
      this.score(e[1]);
      this.u8(0x5d);
      if (this.bad) return;
    }
  }

  private hashItems(items: HashEntry[], first: boolean): void {
    for (let i = 0; i < items.length; i++) {
      if (i > 0 || !first) this.u8(0x2c);
      const e = items[i]!;
      this.str(e[0]);
      this.u8(0x3a);
      this.str(e[1]);
      if (this.bad) return;
    }
  }

  private fieldExpiries(pairs: Array<[Uint8Array, number]>): void {
    if (pairs.length === 0) return;
    this.bytes(LIT.fieldExpireAt);
    for (let i = 0; i < pairs.length; i++) {
      if (i > 0) this.u8(0x2c);
      this.str(pairs[i]![0]);
      this.u8(0x3a);
      this.num(pairs[i]![1]);
    }
    this.u8(0x7d);
  }

  private streamEntries(entries: StreamEntry[], first: boolean): void {
    let f = first;
    for (const e of entries) {
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
      if (this.bad) return;
    }
    this.first = f;
  }

  private streamMeta(m: StreamMeta): void {
    this.ascii(',"length":');
    this.int64(m.length);
    this.ascii(',"lastId":');
    this.id(m.lastId);
    this.ascii(',"firstId":');
    if (m.firstId) this.id(m.firstId);
    else this.bytes(LIT.nul);
    this.ascii(',"maxDeletedId":');
    if (m.maxDeletedId) this.id(m.maxDeletedId);
    else this.bytes(LIT.nul);
    this.ascii(',"entriesAdded":');
    if (m.entriesAdded === null) this.bytes(LIT.nul);
    else this.int64(m.entriesAdded);
    this.ascii(',"groups":[');
    for (let g = 0; g < m.groups.length; g++) {
      const gr = m.groups[g]!;
      if (g > 0) this.u8(0x2c);
      this.ascii('{"name":');
      this.str(gr.name);
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
        if (pe.consumer) this.str(pe.consumer);
        else this.bytes(LIT.nul);
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
        this.str(c.name);
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
    this.num(db);
    if (this.b64) this.bytes(LIT.bytesB64);
    this.bytes(LIT.key);
    this.str(key);
    this.bytes(LIT.type);
    this.ascii(type);
    if (expireAt !== null) {
      this.bytes(LIT.expireAt);
      this.num(expireAt);
      this.bytes(LIT.value);
    } else {
      this.bytes(LIT.valueQ);
    }
  }

  private keyRecord(ev: KeyEvent): void {
    this.head(ev.db, ev.key, ev.dataType, ev.expireAt);
    switch (ev.dataType) {
      case 'string':
        this.str(ev.value);
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
        if (ttl) {
          const pairs: Array<[Uint8Array, number]> = [];
          for (let i = 0; i < ttl.length; i++) if (ttl[i] !== null) pairs.push([ev.value[i]![0], ttl[i]!]);
          this.fieldExpiries(pairs);
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
        this.ascii('{"module":');
        this.ascii(JSON.stringify(ev.value.module));
        this.ascii(',"encver":');
        this.num(ev.value.encver);
        this.ascii(',"payload":"');
        this.base64Body(ev.value.payload, true);
        this.ascii('"}');
        break;
    }
    this.u8(0x7d);
    this.u8(0x0a);
  }

  /** Writes a record with the bytes rule: text first, base64 when any byte string is not UTF-8. */
  private record(fn: () => void): void {
    const start = this.pos;
    this.b64 = this.forceB64;
    this.bad = false;
    fn();
    if (this.bad) {
      this.pos = start;
      this.b64 = true;
      this.bad = false;
      fn();
    }
    this.maybeFlush();
  }

  // ----------------------------------------------------------- streamed records

  /** True when every byte string of the chunk is valid UTF-8 (string chunks may end mid-sequence). */
  private chunkIsText(ev: KeyChunkEvent): boolean {
    const save = this.pos;
    const first = this.first;
    this.bad = false;
    this.b64 = false;
    // Validate by writing into the buffer and rewinding.
    switch (ev.dataType) {
      case 'string':
        this.textBody(ev.value, 0, ev.value.length, true);
        break;
      case 'list':
      case 'set':
        this.bytesArray(ev.value, true);
        break;
      case 'zset':
        this.zsetItems(ev.value, true);
        break;
      case 'hash':
        this.hashItems(ev.value, true);
        break;
      case 'stream':
        this.streamEntries(ev.value, true);
        break;
    }
    this.pos = save;
    this.first = first;
    const ok = !this.bad;
    this.bad = false;
    return ok;
  }

  private startStreamed(s: KeyStartEvent, firstChunk: KeyChunkEvent | null): void {
    let text = !this.forceB64;
    if (text) {
      this.b64 = false;
      this.bad = false;
      const save = this.pos;
      this.str(s.key);
      this.pos = save;
      if (this.bad) text = false;
      else if (firstChunk && !this.chunkIsText(firstChunk)) text = false;
    }
    this.b64 = !text;
    this.bad = false;
    this.open = s;
    this.first = true;
    this.carryLen = 0;
    this.partial = new Uint8Array(0);
    this.fieldTtls = [];
    this.head(s.db, s.key, s.dataType, s.expireAt);
    switch (s.dataType) {
      case 'string': this.u8(0x22); break;
      case 'hash': this.u8(0x7b); break;
      case 'stream': this.bytes(LIT.entries); break;
      default: this.u8(0x5b);
    }
  }

  /** Bytes of an incomplete UTF-8 sequence at the end of the previous string chunk. */
  private partial = new Uint8Array(0);

  private chunk(ev: KeyChunkEvent): void {
    const key = this.open!;
    switch (ev.dataType) {
      case 'string':
        if (this.b64) this.base64Body(ev.value, false);
        else {
          let b = ev.value;
          if (this.partial.length > 0) {
            const m = new Uint8Array(this.partial.length + b.length);
            m.set(this.partial);
            m.set(b, this.partial.length);
            b = m;
          }
          const left = this.textBody(b, 0, b.length, true);
          this.partial = left > 0 ? b.slice(b.length - left) : new Uint8Array(0);
        }
        break;
      case 'list':
      case 'set':
        this.bytesArray(ev.value, this.first);
        break;
      case 'zset':
        this.zsetItems(ev.value, this.first);
        break;
      case 'hash':
        this.hashItems(ev.value, this.first);
        if (ev.fieldExpireAt) {
          for (let i = 0; i < ev.fieldExpireAt.length; i++) {
            const t = ev.fieldExpireAt[i];
            if (t !== null && t !== undefined) this.fieldTtls.push([ev.value[i]![0], t]);
          }
        }
        break;
      case 'stream':
        this.streamEntries(ev.value, this.first);
        break;
    }
    if (ev.dataType !== 'stream' && (ev.dataType === 'string' || ev.value.length > 0)) this.first = false;
    if (this.bad) {
      throw new RdbkitError('OUTPUT', 'a value written as UTF-8 text has invalid UTF-8 past its first chunk; rerun with --bytes base64', { db: key.db, key: key.key });
    }
    // Streamed output may leave the buffer as it goes.
    this.maybeFlush();
  }

  private endStreamed(ev: KeyEndEvent): void {
    const key = this.open!;
    switch (ev.dataType) {
      case 'string':
        if (this.b64) this.base64Body(new Uint8Array(0), true);
        else if (this.partial.length > 0) {
          throw new RdbkitError('OUTPUT', 'string value ends inside a UTF-8 sequence; rerun with --bytes base64', { db: key.db, key: key.key });
        }
        this.u8(0x22);
        break;
      case 'hash':
        this.u8(0x7d);
        this.fieldExpiries(this.fieldTtls);
        break;
      case 'stream':
        this.u8(0x5d);
        if (ev.stream) this.streamMeta(ev.stream);
        this.u8(0x7d);
        break;
      default:
        this.u8(0x5d);
    }
    this.u8(0x7d);
    this.u8(0x0a);
    this.open = null;
    this.fieldTtls = [];
    this.maybeFlush();
  }

  // ----------------------------------------------------------- meta records

  private metaRecord(ev: RdbEvent): void {
    switch (ev.type) {
      case 'header':
        this.ascii(`{"type":"header","magic":"${ev.magic}","version":${ev.version}}\n`);
        return;
      case 'aux':
        return this.record(() => {
          this.ascii('{"type":"aux"');
          if (this.b64) this.bytes(LIT.bytesB64);
          this.ascii(',"name":');
          this.str(ev.name);
          this.ascii(',"value":');
          this.str(ev.value);
          this.ascii('}\n');
        });
      case 'function':
        return this.record(() => {
          this.ascii('{"type":"function"');
          if (this.b64) this.bytes(LIT.bytesB64);
          if (ev.opcode === 246) {
            this.ascii(',"name":');
            this.str(ev.name!);
            this.ascii(',"engine":');
            this.str(ev.engine!);
            this.ascii(',"description":');
            if (ev.description) this.str(ev.description);
            else this.bytes(LIT.nul);
          }
          this.ascii(',"code":');
          this.str(ev.code);
          this.ascii('}\n');
        });
      case 'moduleAux':
        this.ascii(`{"type":"moduleAux","module":${JSON.stringify(ev.module)},"encver":${ev.encver},"when":${ev.when},"payload":"`);
        this.base64Body(ev.payload, true);
        this.ascii('"}\n');
        return;
      case 'selectDb':
        this.ascii(`{"type":"selectDb","db":${ev.db}}\n`);
        return;
      case 'resizeDb':
        this.ascii(`{"type":"resizeDb","db":${ev.db},"keys":${ev.keys},"expires":${ev.expires}}\n`);
        return;
      case 'slotInfo':
        this.ascii(`{"type":"slotInfo","db":${ev.db},"slot":${ev.slot},"keys":${ev.keys},"expires":${ev.expires}}\n`);
        return;
      case 'slotImport':
        return this.record(() => {
          this.ascii('{"type":"slotImport"');
          if (this.b64) this.bytes(LIT.bytesB64);
          this.ascii(',"job":');
          this.str(ev.job);
          this.ascii(`,"ranges":${JSON.stringify(ev.ranges)}}\n`);
        });
      case 'eof': {
        const c = ev.storedChecksum === null ? 'null' : `"${ev.storedChecksum.toString(16).padStart(16, '0')}"`;
        this.ascii(`{"type":"eof","checksum":${c},"verified":${ev.verified}}\n`);
        return;
      }
      case 'trailing':
        this.ascii(`{"type":"trailing","length":${ev.length}}\n`);
        return;
      default:
        return;
    }
  }

  // ----------------------------------------------------------- dispatch

  /** Writes one event. */
  write(ev: RdbEvent): void {
    switch (ev.type) {
      case 'key':
        this.record(() => this.keyRecord(ev));
        return;
      case 'keyStart':
        this.pendingStart = ev;
        return;
      case 'keyChunk':
        if (this.pendingStart) {
          this.startStreamed(this.pendingStart, ev);
          this.pendingStart = null;
        }
        if (!this.open) throw new RdbkitError('OUTPUT', 'keyChunk without keyStart', { db: ev.db, key: ev.key });
        this.chunk(ev);
        return;
      case 'keyEnd':
        if (this.pendingStart) {
          this.startStreamed(this.pendingStart, null);
          this.pendingStart = null;
        }
        if (!this.open) throw new RdbkitError('OUTPUT', 'keyEnd without keyStart', { db: ev.db, key: ev.key });
        this.endStreamed(ev);
        return;
      case 'keySkipped':
        return;
      default:
        if (this.meta) {
          this.metaRecord(ev);
          this.maybeFlush();
        }
    }
  }
}

/**
 * Turns events into JSON Lines output chunks (about 64 KiB each), pulling
 * events only as fast as the consumer takes output.
 */
export async function* writeJsonl(
  events: AsyncIterable<RdbEvent> | Iterable<RdbEvent>,
  options: JsonlOptions = {},
): AsyncGenerator<Uint8Array> {
  const w = new JsonlWriter(options);
  for await (const ev of events) {
    w.write(ev);
    for (const c of w.take()) yield c;
  }
  w.end();
  for (const c of w.take()) yield c;
}
