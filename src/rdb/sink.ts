/**
 * Element-wise delivery of values, without an object per element: the
 * compact encodings' walkers (listpack, ziplist, intset) hand each element to
 * an `ElementReceiver`, and the decoder's `sink` option hands whole values of
 * plain types to a `ValueSink` the same way (design.md section 3, "sink").
 */
import type { Int64, KeyInfo, StreamMeta } from '../events.js';
import { intToAscii } from './encodings/int-text.js';

/** Receives elements one at a time. Bytes passed to `str` are valid only during the call. */
export interface ElementReceiver {
  /** A string element: `buf[start, end)`. */
  str(buf: Uint8Array, start: number, end: number): void;
  /** An integer element (a safe integer; larger ones come to `str` as decimal text). */
  int(v: number): void;
}

/**
 * Hands one element a compact-encoding walker has read and checked to `r`:
 * the string `blob[start, end)` when `start >= 0`, else the integer `v`, or,
 * when `text` is given, that decimal text (a 64-bit integer beyond 2^53).
 */
export function handOver(r: ElementReceiver, blob: Uint8Array, start: number, end: number, v: number, text: Uint8Array | null): void {
  if (start >= 0) r.str(blob, start, end);
  else if (text === null) r.int(v);
  else r.str(text, 0, text.length);
}

/**
 * Takes the values of keys the decoder hands over element by element (see
 * `RdbDecoderOptions.sink`): `begin`, then the elements in file order —
 * list and set members, hash fields and values alternating, sorted-set
 * members each followed by its `score`, or a string's one value — then `done`.
 * A sorted-set member's bytes stay valid until its score has been given.
 */
export interface ValueSink extends ElementReceiver {
  /**
   * Optional: whether this sink takes the value of `info` (asked once per key
   * of a type the sink path handles, before its value is read); false sends
   * the value as events, as for a decoder without a sink. Default: true.
   */
  takes?(info: KeyInfo): boolean;
  /**
   * Optional: true when the sink uses a string value's raw bytes (`done`'s
   * `raw`, with `rawValues`) and not the value itself: a compressed string is
   * then checked without being decompressed, and `str` gets an empty range.
   */
  readonly rawOnly?: boolean;
  begin(info: KeyInfo): void;
  /**
   * Optional: takes up to `max` whole units of the value straight from the
   * input — `buf[p, lim)`, at input offset `at`, as RDB strings: shape 1 a
   * list or set member, 2 a hash field and value, 3 a sorted-set member and
   * an 8-byte binary score — the same as through `str`/`score`, and returns
   * the position after the units it took, their number in `runTaken`. It
   * may take fewer, or none; the decoder reads the rest.
   */
  run?(buf: Uint8Array, p: number, lim: number, at: number, max: number, shape: 1 | 2 | 3): number;
  /** The number of units the last `run` (or `strings`) took. */
  readonly runTaken?: number;
  /**
   * Optional: takes whole string records straight from the input —
   * `buf[p, lim)`, at input offset `at`, with nothing pending before them
   * (no expiry, LRU or LFU opcode read): each a type-0 record (type byte,
   * key, value), or an EXPIRETIME_MS opcode and such a record, of database
   * `db`, key and value up to `maxLen` bytes each — the same as through
   * `begin`/`str`/`done` with those keys' KeyInfo (expireAt from the opcode,
   * lruIdle and lfuFreq null). Returns the position after the records it
   * took, their number in `runTaken`. It may take fewer, or none; the
   * decoder reads the rest. Offered only when the decoder has no keyFilter
   * and no rawValues.
   */
  strings?(buf: Uint8Array, p: number, lim: number, at: number, db: number, maxLen: number): number;
  /**
   * Optional: takes all the elements of a listpack blob (list or set
   * members, or with `pairs` hash fields and values), the same as through
   * `str`/`int`, once it has checked the blob as walkListpack does; returns
   * their number, or -1 to leave the blob to the decoder (which walks it).
   */
  listpack?(blob: Uint8Array, pairs: boolean): number;
  /**
   * Optional: takes all the members and scores of a listpack sorted set (as
   * through `str`/`int` and `score`), once it has checked the blob as
   * walkListpack does and read every score; returns the number of elements,
   * or -1 to leave the blob to the decoder.
   */
  zsetListpack?(blob: Uint8Array): number;
  /**
   * Optional: takes all the members of an intset blob (as through `int`/`str`),
   * once it has checked the blob as walkIntset does; returns their number,
   * or -1 to leave the blob to the decoder.
   */
  intset?(blob: Uint8Array): number;
  /** The score of the sorted-set member just given. */
  score(v: number): void;
  /**
   * Optional: a sink with `streamEntry` and `streamEnd` takes streams too (else
   * they come as events). Each live entry in file order: `streamEntry` with its ID
   * and number of field/value pairs, then the fields and values alternating
   * through `str`/`int` (tombstones are not given). After the last entry,
   * `streamEnd` with the stream's metadata, then `done`.
   */
  streamEntry?(ms: Int64, seq: Int64, deleted: boolean, pairs: number): void;
  streamEnd?(meta: StreamMeta): void;
  /**
   * Optional, with `streamEntry`: takes all the live entries of one stream
   * node (its 16-byte master ID and its listpack), the same as through
   * `streamEntry`/`str`/`int`, once it has checked the node as the decoder
   * does; returns their number, or -1 to leave the node to the decoder.
   */
  streamNode?(nodeKey: Uint8Array, lp: Uint8Array): number;
  /**
   * The value is complete; its record spans input offsets `[offset, end)`
   * (type byte to last byte). With the decoder's `rawValues`, `raw` holds the
   * value's bytes as stored (after the key) for values of one unit — strings
   * and the compact encodings (ziplist, listpack, intset) — else it is null;
   * valid only during the call.
   */
  done(info: KeyInfo, offset: number, end: number, raw: Uint8Array | null): void;
}

/** An ElementReceiver that collects the elements as views (integers as decimal text). */
export class ElementList implements ElementReceiver {
  out: Uint8Array[] = [];
  str(buf: Uint8Array, start: number, end: number): void {
    this.out.push(buf.subarray(start, end));
  }
  int(v: number): void {
    this.out.push(intToAscii(v));
  }
}
