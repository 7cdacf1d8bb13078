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

const FLUSH_AT = 1 << 16;
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
export class JsonlWriter {
  private buf = new Uint8Array(FLUSH_AT * 2);
  private pos = 0;
  private ready: Uint8Array[] = [];
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
    this.forceB64 = options.bytes === 'base64';
    this.meta = options.meta === true;
  }

  // ----------------------------------------------------------- buffer

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }

  private raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private byte(c: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = c;
  }

  private asciiStr(s: string): void {
    this.ensure(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Moves completed output to the ready list (only between records). */
  private maybeFlush(): void {
    if (this.pos >= FLUSH_AT) this.flushBuffer();
  }

  /**
   * Hands the buffered output to `ready` as an exact-size copy and keeps the
   * working buffer: half the allocation of handing out the buffer itself
   * (less garbage to collect), and callers may keep chunks as long as they like.
   */
  private flushBuffer(): void {
    this.ready.push(this.buf.slice(0, this.pos));
    this.pos = 0;
    if (this.buf.length > FLUSH_AT * 8) this.buf = new Uint8Array(FLUSH_AT * 2);
  }

  /** Completed output chunks (about 64 KiB each); the writer forgets them. */
  take(): Uint8Array[] {
    const r = this.ready;
    this.ready = [];
    return r;
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
    this.asciiStr(String(n));
  }

  /** Writes a non-negative safe integer's digits without making a string. */
  private digits(n: number): void {
    if (n < 10) {
      this.byte(0x30 + n);
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
        if (v < 0) this.byte(0x2d);
        const int = Math.floor(k / 1000);
        let frac = k - int * 1000;
        this.digits(int);
        if (frac !== 0) {
          this.byte(0x2e);
          let div = 100;
          while (frac !== 0) {
            const d = Math.floor(frac / div);
            this.byte(0x30 + d);
            frac -= d * div;
            div /= 10;
          }
        }
        return;
      }
    }
    this.asciiStr(String(v));
  }

  private int64(v: Int64): void {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v)) this.num(v);
      else this.asciiStr(`"${BigInt(v)}"`);
    } else if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) {
      this.asciiStr(v.toString());
    } else {
      this.asciiStr(`"${v}"`);
    }
  }

  private score(v: number): void {
    if (v === Infinity) this.raw(LIT.inf);
    else if (v === -Infinity) this.raw(LIT.ninf);
    else if (Number.isNaN(v)) this.raw(LIT.nan);
    else if (v === 0 && 1 / v < 0) this.raw(LIT.negZero);
    else this.double(v);
  }

  private id(id: StreamId): void {
    this.asciiStr(`"${id.ms}-${id.seq}"`);
  }

  /** A byte string as a JSON string, in the record's mode. */
  private bytes(b: Uint8Array): void {
    this.byte(0x22);
    if (this.b64) this.base64Body(b, true);
    else this.textBody(b, 0, b.length);
    this.byte(0x22);
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
      if (i > 0 || !first) this.byte(0x2c);
      this.bytes(items[i]!);
      if (this.bad) return;
    }
  }

  private zsetItems(items: ZsetEntry[], first: boolean): void {
    for (let i = 0; i < items.length; i++) {
      if (i > 0 || !first) this.byte(0x2c);
      const e = items[i]!;
      this.byte(0x5b);
      this.bytes(e[0]);
      this.byte(0x2c);
      this.score(e[1]);
      this.byte(0x5d);
      if (this.bad) return;
    }
  }

  private hashItems(items: HashEntry[], first: boolean): void {
    for (let i = 0; i < items.length; i++) {
      if (i > 0 || !first) this.byte(0x2c);
      const e = items[i]!;
      this.bytes(e[0]);
      this.byte(0x3a);
      this.bytes(e[1]);
      if (this.bad) return;
    }
  }

  private fieldExpiries(pairs: Array<[Uint8Array, number]>): void {
    if (pairs.length === 0) return;
    this.raw(LIT.fieldExpireAt);
    for (let i = 0; i < pairs.length; i++) {
      if (i > 0) this.byte(0x2c);
      this.bytes(pairs[i]![0]);
      this.byte(0x3a);
      this.num(pairs[i]![1]);
    }
    this.byte(0x7d);
  }

  private streamEntries(entries: StreamEntry[], first: boolean): void {
    let f = first;
    for (const e of entries) {
      if (e.deleted) continue;
      if (!f) this.byte(0x2c);
      f = false;
      this.byte(0x5b);
      this.id(e.id);
      this.byte(0x2c);
      this.byte(0x5b);
      this.bytesArray(e.fields, true);
      this.byte(0x5d);
      this.byte(0x5d);
      if (this.bad) return;
    }
    this.first = f;
  }

  private streamMeta(m: StreamMeta): void {
    this.asciiStr(',"length":');
    this.int64(m.length);
    this.asciiStr(',"lastId":');
    this.id(m.lastId);
    this.asciiStr(',"firstId":');
    if (m.firstId) this.id(m.firstId);
    else this.raw(LIT.nul);
    this.asciiStr(',"maxDeletedId":');
    if (m.maxDeletedId) this.id(m.maxDeletedId);
    else this.raw(LIT.nul);
    this.asciiStr(',"entriesAdded":');
    if (m.entriesAdded === null) this.raw(LIT.nul);
    else this.int64(m.entriesAdded);
    this.asciiStr(',"groups":[');
    for (let g = 0; g < m.groups.length; g++) {
      const gr = m.groups[g]!;
      if (g > 0) this.byte(0x2c);
      this.asciiStr('{"name":');
      this.bytes(gr.name);
      this.asciiStr(',"lastId":');
      this.id(gr.lastId);
      this.asciiStr(',"entriesRead":');
      if (gr.entriesRead === null) this.raw(LIT.nul);
      else this.int64(gr.entriesRead);
      this.asciiStr(',"pending":[');
      for (let i = 0; i < gr.pending.length; i++) {
        const pe = gr.pending[i]!;
        if (i > 0) this.byte(0x2c);
        this.asciiStr('{"id":');
        this.id(pe.id);
        this.asciiStr(',"consumer":');
        if (pe.consumer) this.bytes(pe.consumer);
        else this.raw(LIT.nul);
        this.asciiStr(',"deliveryTime":');
        this.int64(pe.deliveryTime);
        this.asciiStr(',"deliveryCount":');
        this.int64(pe.deliveryCount);
        this.byte(0x7d);
      }
      this.asciiStr('],"consumers":[');
      for (let i = 0; i < gr.consumers.length; i++) {
        const c = gr.consumers[i]!;
        if (i > 0) this.byte(0x2c);
        this.asciiStr('{"name":');
        this.bytes(c.name);
        this.asciiStr(',"seenTime":');
        this.int64(c.seenTime);
        this.asciiStr(',"activeTime":');
        if (c.activeTime === null) this.raw(LIT.nul);
        else this.int64(c.activeTime);
        this.asciiStr(',"pending":[');
        for (let k = 0; k < c.pending.length; k++) {
          if (k > 0) this.byte(0x2c);
          this.id(c.pending[k]!);
        }
        this.asciiStr(']}');
      }
      this.asciiStr(']}');
    }
    this.byte(0x5d);
  }

  /** `{"db":N[,"bytes":"base64"],"key":…,"type":"T"[,"expireAt":ms],"value":` */
  private head(db: number, key: Uint8Array, type: string, expireAt: number | null): void {
    this.raw(LIT.db);
    this.num(db);
    if (this.b64) this.raw(LIT.bytesB64);
    this.raw(LIT.key);
    this.bytes(key);
    this.raw(LIT.type);
    this.asciiStr(type);
    if (expireAt !== null) {
      this.raw(LIT.expireAt);
      this.num(expireAt);
      this.raw(LIT.value);
    } else {
      this.raw(LIT.valueQ);
    }
  }

  private keyRecord(ev: KeyEvent): void {
    this.head(ev.db, ev.key, ev.dataType, ev.expireAt);
    switch (ev.dataType) {
      case 'string':
        this.bytes(ev.value);
        break;
      case 'list':
      case 'set':
        this.byte(0x5b);
        this.bytesArray(ev.value, true);
        this.byte(0x5d);
        break;
      case 'zset':
        this.byte(0x5b);
        this.zsetItems(ev.value, true);
        this.byte(0x5d);
        break;
      case 'hash': {
        this.byte(0x7b);
        this.hashItems(ev.value, true);
        this.byte(0x7d);
        const ttl = ev.fieldExpireAt;
        if (ttl) {
          const pairs: Array<[Uint8Array, number]> = [];
          for (let i = 0; i < ttl.length; i++) if (ttl[i] !== null) pairs.push([ev.value[i]![0], ttl[i]!]);
          this.fieldExpiries(pairs);
        }
        break;
      }
      case 'stream':
        this.raw(LIT.entries);
        this.streamEntries(ev.value.entries, true);
        this.byte(0x5d);
        this.streamMeta(ev.value);
        this.byte(0x7d);
        break;
      case 'module':
        this.asciiStr('{"module":');
        this.asciiStr(JSON.stringify(ev.value.module));
        this.asciiStr(',"encver":');
        this.num(ev.value.encver);
        this.asciiStr(',"payload":"');
        this.base64Body(ev.value.payload, true);
        this.asciiStr('"}');
        break;
    }
    this.byte(0x7d);
    this.byte(0x0a);
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
      this.bytes(s.key);
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
      case 'string': this.byte(0x22); break;
      case 'hash': this.byte(0x7b); break;
      case 'stream': this.raw(LIT.entries); break;
      default: this.byte(0x5b);
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
    if (this.pos >= FLUSH_AT) this.flushBuffer();
  }

  private endStreamed(ev: KeyEndEvent): void {
    const key = this.open!;
    switch (ev.dataType) {
      case 'string':
        if (this.b64) this.base64Body(new Uint8Array(0), true);
        else if (this.partial.length > 0) {
          throw new RdbkitError('OUTPUT', 'string value ends inside a UTF-8 sequence; rerun with --bytes base64', { db: key.db, key: key.key });
        }
        this.byte(0x22);
        break;
      case 'hash':
        this.byte(0x7d);
        this.fieldExpiries(this.fieldTtls);
        break;
      case 'stream':
        this.byte(0x5d);
        if (ev.stream) this.streamMeta(ev.stream);
        this.byte(0x7d);
        break;
      default:
        this.byte(0x5d);
    }
    this.byte(0x7d);
    this.byte(0x0a);
    this.open = null;
    this.fieldTtls = [];
    this.maybeFlush();
  }

  // ----------------------------------------------------------- meta records

  private metaRecord(ev: RdbEvent): void {
    switch (ev.type) {
      case 'header':
        this.asciiStr(`{"type":"header","magic":"${ev.magic}","version":${ev.version}}\n`);
        return;
      case 'aux':
        return this.record(() => {
          this.asciiStr('{"type":"aux"');
          if (this.b64) this.raw(LIT.bytesB64);
          this.asciiStr(',"name":');
          this.bytes(ev.name);
          this.asciiStr(',"value":');
          this.bytes(ev.value);
          this.asciiStr('}\n');
        });
      case 'function':
        return this.record(() => {
          this.asciiStr('{"type":"function"');
          if (this.b64) this.raw(LIT.bytesB64);
          if (ev.opcode === 246) {
            this.asciiStr(',"name":');
            this.bytes(ev.name!);
            this.asciiStr(',"engine":');
            this.bytes(ev.engine!);
            this.asciiStr(',"description":');
            if (ev.description) this.bytes(ev.description);
            else this.raw(LIT.nul);
          }
          this.asciiStr(',"code":');
          this.bytes(ev.code);
          this.asciiStr('}\n');
        });
      case 'moduleAux':
        this.asciiStr(`{"type":"moduleAux","module":${JSON.stringify(ev.module)},"encver":${ev.encver},"when":${ev.when},"payload":"`);
        this.base64Body(ev.payload, true);
        this.asciiStr('"}\n');
        return;
      case 'selectDb':
        this.asciiStr(`{"type":"selectDb","db":${ev.db}}\n`);
        return;
      case 'resizeDb':
        this.asciiStr(`{"type":"resizeDb","db":${ev.db},"keys":${ev.keys},"expires":${ev.expires}}\n`);
        return;
      case 'slotInfo':
        this.asciiStr(`{"type":"slotInfo","db":${ev.db},"slot":${ev.slot},"keys":${ev.keys},"expires":${ev.expires}}\n`);
        return;
      case 'slotImport':
        return this.record(() => {
          this.asciiStr('{"type":"slotImport"');
          if (this.b64) this.raw(LIT.bytesB64);
          this.asciiStr(',"job":');
          this.bytes(ev.job);
          this.asciiStr(`,"ranges":${JSON.stringify(ev.ranges)}}\n`);
        });
      case 'eof': {
        const c = ev.storedChecksum === null ? 'null' : `"${ev.storedChecksum.toString(16).padStart(16, '0')}"`;
        this.asciiStr(`{"type":"eof","checksum":${c},"verified":${ev.verified}}\n`);
        return;
      }
      case 'trailing':
        this.asciiStr(`{"type":"trailing","length":${ev.length}}\n`);
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
