// A streaming counter for rdbkit's JSON Lines output: fed chunk by chunk, it
// keeps nothing but a few counters per record, so it can check a 500 MB output
// without holding it. Per record it reports the short top-level fields (key,
// type, bytes, ...), the number of elements of an array or object `value`,
// and for a string `value` its length and the SHA-256 of its base64 decoding.
//
// It follows JSON structure (depth, strings, escapes) rather than matching
// patterns, so separators inside strings are never miscounted. Strings are
// skipped with indexOf, so long values cost little.
import { createHash } from 'node:crypto';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SHORT = 1024; // top-level strings up to this length are kept as text

export class JsonlCounter {
  constructor() {
    /** Finished records: { fields: {name: text}, elements, valueLength, valueSha256 }. */
    this.records = [];
    this.depth = 0;
    this.inStr = false;
    this.backslashes = 0; // run of backslashes at the end of the string bytes seen so far
    this.expectKey = false; // at depth 1: the next string is a field name
    this.field = null; // the current top-level field name
    this.counting = false; // inside the top-level `value` array or object
    this.commas = 0;
    this.nonEmpty = false;
    this.cur = null;
    // the string being read at depth 1
    this.strParts = null;
    this.strLen = 0;
    this.isName = false;
    this.b64 = null; // { carry, hash } while a depth-1 `value` string is read
  }

  push(buf) {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (this.inStr) {
        const q = buf.indexOf(QUOTE, i);
        const end = q < 0 ? n : q;
        let k = end;
        while (k > i && buf[k - 1] === BACKSLASH) k--;
        const run = end - k + (k === i ? this.backslashes : 0);
        this.strBytes(buf, i, end);
        if (q < 0) {
          this.backslashes = run;
          return;
        }
        if (run % 2 === 1) {
          // an escaped quote, part of the string
          this.strBytes(buf, q, q + 1);
          this.backslashes = 0;
        } else {
          this.inStr = false;
          this.endString();
        }
        i = q + 1;
        continue;
      }
      const c = buf[i++];
      switch (c) {
        case QUOTE:
          this.inStr = true;
          this.backslashes = 0;
          this.startString();
          break;
        case 0x7b: // {
        case 0x5b: // [
          if (this.depth === 0) {
            if (c !== 0x7b) throw new Error(`record ${this.records.length + 1} is not an object`);
            this.cur = { fields: {}, elements: null, valueLength: null, valueSha256: null };
            this.expectKey = true;
          } else if (this.depth === 1 && this.field === 'value') {
            this.counting = true;
            this.commas = 0;
            this.nonEmpty = false;
          } else if (this.depth === 2 && this.counting) this.nonEmpty = true;
          this.depth++;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (this.depth === 0) throw new Error(`unbalanced ${String.fromCharCode(c)} in record ${this.records.length + 1}`);
          this.depth--;
          if (this.depth === 1 && this.counting) {
            this.cur.elements = this.nonEmpty ? this.commas + 1 : 0;
            this.counting = false;
          }
          break;
        case 0x2c: // ,
          if (this.depth === 1) this.expectKey = true;
          else if (this.depth === 2 && this.counting) this.commas++;
          break;
        case 0x3a: // :
          if (this.depth === 1) this.expectKey = false;
          break;
        case 0x0a: // \n
          if (this.depth !== 0 || this.cur === null) throw new Error(`line ${this.records.length + 1} is not one whole JSON object`);
          this.records.push(this.cur);
          this.cur = null;
          break;
        default:
          if (this.depth === 2 && this.counting && c > 0x20) this.nonEmpty = true;
      }
    }
  }

  /** Checks that the output ended with a complete line. */
  end() {
    if (this.depth !== 0 || this.inStr || this.cur !== null) throw new Error('output ends inside a record');
    return this.records;
  }

  startString() {
    if (this.depth === 2 && this.counting) this.nonEmpty = true;
    if (this.depth !== 1) return;
    this.isName = this.expectKey;
    this.strParts = [];
    this.strLen = 0;
    if (!this.isName && this.field === 'value') this.b64 = { carry: Buffer.alloc(0), hash: createHash('sha256'), decoded: 0 };
  }

  strBytes(buf, from, to) {
    if (this.depth !== 1 || from === to) return;
    if (this.strLen < SHORT) this.strParts.push(Buffer.from(buf.subarray(from, Math.min(to, from + SHORT - this.strLen))));
    this.strLen += to - from;
    if (this.b64) {
      const seg = Buffer.concat([this.b64.carry, buf.subarray(from, to)]);
      const whole = seg.length - (seg.length % 4);
      const bytes = Buffer.from(seg.toString('latin1', 0, whole), 'base64');
      this.b64.hash.update(bytes);
      this.b64.decoded += bytes.length;
      this.b64.carry = Buffer.from(seg.subarray(whole));
    }
  }

  endString() {
    if (this.depth !== 1) return;
    const text = this.strLen <= SHORT ? Buffer.concat(this.strParts).toString('latin1') : null;
    if (this.isName) this.field = text;
    else {
      if (text !== null) this.cur.fields[this.field] = text;
      if (this.field === 'value') {
        this.cur.valueLength = this.strLen;
        if (this.b64) {
          if (this.b64.carry.length) {
            const tail = Buffer.from(this.b64.carry.toString('latin1'), 'base64');
            this.b64.hash.update(tail);
            this.b64.decoded += tail.length;
          }
          this.cur.valueSha256 = this.b64.hash.digest('hex');
          this.cur.valueDecodedLength = this.b64.decoded;
        }
      }
    }
    this.b64 = null;
    this.strParts = null;
  }
}

/** The key of a counted record as text (base64 records are decoded). */
export function recordKey(rec) {
  const k = rec.fields.key ?? '';
  return rec.fields.bytes === 'base64' ? Buffer.from(k, 'base64').toString('latin1') : k;
}
