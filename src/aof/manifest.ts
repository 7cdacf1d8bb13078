/**
 * The manifest of a multi-part AOF (Redis 7+, Valkey): format.md section
 * 15.3. One record per line, tokens split the way redis-cli splits
 * arguments (`sdssplitargs`), key/value pairs `file`, `seq`, `type` and,
 * since Redis 8.0, `startoffset` / `endoffset`; unknown keys are ignored.
 */
import { RdbkitError } from '../errors.js';

/** One line of a manifest. */
export interface ManifestEntry {
  /** The part's file name, relative to the manifest's directory. */
  file: string;
  seq: number;
  /** `b` base, `h` history, `i` incremental. */
  type: 'b' | 'h' | 'i';
  /** Redis 8: replication offsets of an incremental part. */
  startOffset?: number;
  endOffset?: number;
  /** 1-based line number in the manifest. */
  line: number;
}

/** Longest manifest line Redis accepts. */
const MAX_LINE = 1024;

function bad(detail: string, line: number, offset: number): RdbkitError {
  return new RdbkitError('AOF_FORMAT', `manifest line ${line}: ${detail}`, { offset });
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Splits a line into tokens as `sdssplitargs` does: whitespace separates;
 * "double quotes" take `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a` and `\<char>`;
 * 'single quotes' take only `\'`; a closing quote must be followed by
 * whitespace or the end of the line. Returns null on unbalanced quotes.
 */
export function splitArgs(line: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let p = 0;
  const n = line.length;
  for (;;) {
    while (p < n && isSpace(line[p]!)) p++;
    if (p >= n) return out;
    const cur: number[] = [];
    let inq = false; // double quotes
    let insq = false; // single quotes
    let done = false;
    while (!done) {
      const c = p < n ? line[p]! : -1;
      if (inq) {
        if (c === -1) return null;
        if (c === 0x5c && p + 3 < n && line[p + 1] === 0x78 && hexVal(line[p + 2]!) >= 0 && hexVal(line[p + 3]!) >= 0) {
          cur.push(hexVal(line[p + 2]!) * 16 + hexVal(line[p + 3]!));
          p += 3;
        } else if (c === 0x5c && p + 1 < n) {
          p++;
          const e = line[p]!;
          cur.push(e === 0x6e ? 0x0a : e === 0x72 ? 0x0d : e === 0x74 ? 0x09 : e === 0x62 ? 0x08 : e === 0x61 ? 0x07 : e);
        } else if (c === 0x22) {
          // The closing quote must be followed by a space or nothing.
          if (p + 1 < n && !isSpace(line[p + 1]!)) return null;
          done = true;
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (c === -1) return null;
        if (c === 0x5c && p + 1 < n && line[p + 1] === 0x27) {
          p++;
          cur.push(0x27);
        } else if (c === 0x27) {
          if (p + 1 < n && !isSpace(line[p + 1]!)) return null;
          done = true;
        } else {
          cur.push(c);
        }
      } else if (c === -1 || isSpace(c)) {
        done = true;
      } else if (c === 0x22) {
        inq = true;
      } else if (c === 0x27) {
        insq = true;
      } else {
        cur.push(c);
      }
      if (p < n) p++;
    }
    out.push(Uint8Array.from(cur));
  }
}

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);
const utf8 = new TextDecoder('utf-8', { fatal: false });

function parseIntToken(tok: Uint8Array): number | null {
  const s = latin1(tok);
  if (!/^-?\d{1,18}$/.test(s)) return null;
  return Number(s);
}

/**
 * Parses a manifest. Throws RdbkitError(AOF_FORMAT) with the line number for
 * anything Redis refuses to load: a blank line, a line over 1024 bytes,
 * unbalanced quotes, an odd or too small token count, a missing `file`, `seq`
 * or `type`, an unknown type, a path separator in a name, two bases, or
 * incremental parts whose seq does not increase. An empty manifest is an error.
 */
export function parseManifest(bytes: Uint8Array): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  let start = 0;
  let line = 0;
  let base = false;
  let lastIncr = 0;
  while (start < bytes.length) {
    line++;
    let end = bytes.indexOf(0x0a, start);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    if (end - start > MAX_LINE) throw bad(`longer than ${MAX_LINE} bytes`, line, start);
    let text = bytes.subarray(start, end);
    if (text.length > 0 && text[text.length - 1] === 0x0d) text = text.subarray(0, text.length - 1);
    const lineAt = start;
    start = next;
    if (text.length > 0 && text[0] === 0x23) continue;
    if (text.length === 0) throw bad('blank line', line, lineAt);
    const toks = splitArgs(text);
    if (toks === null) throw bad('unbalanced quotes', line, lineAt);
    if (toks.length < 6 || toks.length % 2 !== 0) throw bad(`expected key/value pairs (file, seq, type), got ${toks.length} tokens`, line, lineAt);
    let file: string | null = null;
    let seq: number | null = null;
    let type: string | null = null;
    let startOffset: number | undefined;
    let endOffset: number | undefined;
    for (let i = 0; i < toks.length; i += 2) {
      const k = latin1(toks[i]!).toLowerCase();
      const v = toks[i + 1]!;
      if (k === 'file') {
        if (v.includes(0x2f) || v.includes(0x5c) || v.length === 0) throw bad(`file name ${JSON.stringify(utf8.decode(v))} is not a plain base name`, line, lineAt);
        file = utf8.decode(v);
      } else if (k === 'seq') {
        seq = parseIntToken(v);
        if (seq === null || seq < 1) throw bad(`bad seq ${JSON.stringify(latin1(v))}`, line, lineAt);
      } else if (k === 'type') {
        type = v.length > 0 ? String.fromCharCode(v[0]!) : '';
      } else if (k === 'startoffset' || k === 'endoffset') {
        const o = parseIntToken(v);
        if (o === null) throw bad(`bad ${k} ${JSON.stringify(latin1(v))}`, line, lineAt);
        if (k === 'startoffset') startOffset = o;
        else endOffset = o;
      }
    }
    if (file === null || seq === null || type === null) throw bad('missing file, seq or type', line, lineAt);
    if (type !== 'b' && type !== 'h' && type !== 'i') throw bad(`unknown type ${JSON.stringify(type)}`, line, lineAt);
    if (type === 'b') {
      if (base) throw bad('a second base file', line, lineAt);
      base = true;
    } else if (type === 'i') {
      if (seq <= lastIncr) throw bad(`incremental seq ${seq} does not follow ${lastIncr}`, line, lineAt);
      lastIncr = seq;
    }
    const e: ManifestEntry = { file, seq, type, line };
    if (startOffset !== undefined) e.startOffset = startOffset;
    if (endOffset !== undefined) e.endOffset = endOffset;
    entries.push(e);
  }
  if (entries.length === 0) throw new RdbkitError('AOF_FORMAT', 'the manifest lists no files', { offset: 0 });
  return entries;
}
