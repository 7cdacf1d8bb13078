/**
 * Reads value bytes straight out of an RDB file, for tests that compare bytes
 * with what the source file holds: built here from format.md 3–4, not from
 * the decoder; only the record offsets come from decoded events. Also runs
 * events through the RDB writer and compares keys by their logical content.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listCorpusFiles, repoRoot } from './corpus.js';
import { runWriter } from './events.js';
import { RdbDecoder, type RdbDecoderOptions } from '../../src/rdb/decoder.js';
import { RdbWriter, type RdbWriterOptions } from '../../src/writers/rdb.js';
import type { HeaderEvent, KeyEvent, RdbEvent } from '../../src/events.js';

/** Offset just after the RDB string (STR) that starts at `at`. */
export function skipStr(file: Uint8Array, at: number): number {
  const b = file[at]!;
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const len = (p: number): [number, number] => {
    const c = file[p]!;
    switch (c >> 6) {
      case 0:
        return [c & 0x3f, p + 1];
      case 1:
        return [((c & 0x3f) << 8) | file[p + 1]!, p + 2];
      default:
        if (c === 0x80) return [dv.getUint32(p + 1, false), p + 5];
        if (c === 0x81) return [Number(dv.getBigUint64(p + 1, false)), p + 9];
        throw new Error(`bad LEN byte ${c} at ${at}`);
    }
  };
  if (b >> 6 !== 3) {
    const [n, p] = len(at);
    return p + n;
  }
  switch (b & 0x3f) {
    case 0:
      return at + 2;
    case 1:
      return at + 3;
    case 2:
      return at + 5;
    case 3: {
      const [clen, p1] = len(at + 1);
      const [, p2] = len(p1);
      return p2 + clen;
    }
    default:
      throw new Error(`bad string encoding at ${at}`);
  }
}

/** The bytes of a key's value in `file`: after the type byte (at the event's offset) and the key, up to the record's end. */
export function valueSlice(file: Uint8Array, ev: KeyEvent): Uint8Array {
  if (file[ev.offset] !== ev.rdbType) throw new Error(`no type byte ${ev.rdbType} at ${ev.offset}`);
  return file.subarray(skipStr(file, ev.offset + 1), ev.end);
}

/** Every event of `bytes`, pushed in chunks of `chunk` bytes (0: whole). */
export function decodeInChunks(bytes: Uint8Array, chunk: number, options: RdbDecoderOptions = {}): RdbEvent[] {
  const dec = new RdbDecoder(options);
  const out: RdbEvent[] = [];
  const drain = (): void => {
    let ev: RdbEvent | undefined;
    while ((ev = dec.read()) !== undefined) out.push(ev);
  };
  const step = chunk > 0 ? chunk : bytes.length;
  for (let i = 0; i < bytes.length; i += step) {
    dec.push(bytes.slice(i, i + step));
    drain();
  }
  dec.end();
  drain();
  return out;
}

/** Runs events through an RdbWriter and returns the file. */
export function writeRdb(events: Iterable<RdbEvent>, options: RdbWriterOptions = {}): Uint8Array {
  return new Uint8Array(runWriter(new RdbWriter(options), events));
}

/** Lower-case hex of bytes. */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A key event without where it sat in its file or how it was encoded there (set and hash order is the encoding's). */
export function logical(ev: KeyEvent): unknown {
  const { offset: _o, end: _e, raw: _r, rdbType: _t, encoding: _n, ...rest } = ev;
  if (ev.dataType === 'set') return { ...rest, value: ev.value.map(hex).sort() };
  if (ev.dataType === 'hash') {
    const rows = ev.value.map(([f, v], i) => `${hex(f)}=${hex(v)}@${ev.fieldExpireAt?.[i] ?? null}`).sort();
    return { ...rest, value: rows, fieldExpireAt: null };
  }
  return rest;
}

/** The project's fixtures and every RDB of the shared corpus, named `fixtures/x.rdb` or by corpus path. */
export function dumpFiles(): Array<{ name: string; path: string }> {
  const fixtures = path.join(repoRoot, 'fixtures');
  return [
    ...readdirSync(fixtures).filter((f) => f.endsWith('.rdb')).map((f) => ({ name: `fixtures/${f}`, path: path.join(fixtures, f) })),
    ...listCorpusFiles().filter((f) => f.rel.endsWith('.rdb')).map((f) => ({ name: f.rel, path: f.path })),
  ];
}

export interface DecodedDump {
  name: string;
  path: string;
  bytes: Uint8Array;
  /** Its events, decoded in chunks with raw values and without checking the checksum. */
  events: RdbEvent[];
  header: HeaderEvent;
}

/** The `dumpFiles()` that decode (corrupt, future and module-parser corpus files are left out). */
export function decodableDumps(): DecodedDump[] {
  const out: DecodedDump[] = [];
  for (const f of dumpFiles()) {
    const bytes = new Uint8Array(readFileSync(f.path));
    let events: RdbEvent[];
    try {
      events = decodeInChunks(bytes, 0, { verifyChecksum: false, rawValues: true });
    } catch {
      continue; // corrupt, future and module-parser corpus files
    }
    out.push({ ...f, bytes, events, header: events[0] as HeaderEvent });
  }
  return out;
}
