/**
 * `parseAof`: every AOF layout as one stream of events (format.md section
 * 15). A single file (plain RESP, or an RDB preamble followed by commands)
 * or the parts of a multi-part AOF (base, then incremental files in order)
 * are read one after the other; each part's format is detected from its
 * bytes. RDB parts and preambles yield the RDB decoder's events, commands
 * and annotations follow.
 *
 * Broken tails are treated the way `redis-server` loads them with
 * `aof-load-truncated yes`: the last part may end inside a command or inside
 * an unfinished MULTI block, and is then cut at the end of its valid prefix
 * (an `aofTruncated` event says where). Any other damage is an RdbkitError
 * naming the file and offset. In `strict` mode (what `rdbkit verify` uses,
 * like `redis-check-aof`) a broken tail, a nested MULTI or an EXEC without
 * MULTI is an error too.
 */
import { RdbDecoder, type RdbDecoderOptions } from '../rdb/decoder.js';
import { RdbkitError } from '../errors.js';
import type { AofEvent, AofPartEvent, RdbEvent } from '../events.js';
import { toChunks, type ByteSource } from '../io/source.js';
import { AofReader } from './reader.js';

/** One file of a multi-part AOF, in load order. */
export interface AofPartInput {
  /** Name for events and errors (the manifest's file name), or null. */
  name: string | null;
  /** `base` / `incr` for the parts of a manifest, `single` for a lone file. */
  role: 'base' | 'incr' | 'single';
  source: ByteSource;
  /**
   * Optional, used with the `reuseInput` option: says that the reader holds
   * no view of this part's bytes before `offset` any more, so the source may
   * read later chunks into the memory of the chunks wholly before it
   * (`openAof` in `rdbkit/node` gives its parts one).
   */
  release?: (offset: number) => void;
}

/** Options of `parseAof`. */
export interface ParseAofOptions extends Omit<RdbDecoderOptions, 'afterEnd'> {
  /**
   * `'load'` (default): a last part ending inside a command or an unfinished
   * MULTI is cut at its valid prefix, with an `aofTruncated` event, as
   * redis-server does with `aof-load-truncated yes`. `'strict'`: that is an
   * error, and so are a nested MULTI and an EXEC without MULTI (as in
   * redis-check-aof).
   */
  truncated?: 'load' | 'strict';
  /**
   * Point in time, in Unix seconds: stop at the first `#TS:` annotation
   * later than this (an `aofTruncated` event with reason `until` says where).
   */
  until?: number | null;
  /**
   * `'events'` (default): one `command` event per command. `'count'`: commands
   * are checked (syntax, MULTI/EXEC) and counted but not yielded — the
   * `aofPartEnd` event of each part has the count; annotations are still
   * yielded. A verifier's mode; it cannot be combined with `until`.
   */
  commands?: 'events' | 'count';
  /**
   * True when the consumer is done with every event of a batch, and with
   * every byte it was given (events, and a sink's calls), before it asks for
   * the next batch: it copies what it keeps, as rdbkit's writers do. Parts
   * with `release` then get their chunks back for reuse once the decoder has
   * let go of them, and the input is read without fresh memory per chunk.
   * Default false. (Only the RDB of a part releases; commands do not yet.)
   */
  reuseInput?: boolean;
}

/**
 * True for the part of a lone RDB file (or RDB-preamble AOF): reports and
 * writers treat that input as an RDB, and say nothing of the part.
 */
export function isLoneRdb(part: Pick<AofPartEvent, 'role' | 'format'>): boolean {
  return part.role === 'single' && part.format === 'rdb';
}

const STAR = 0x2a;
const HASH = 0x23;

function isPartList(input: ByteSource | readonly AofPartInput[]): input is readonly AofPartInput[] {
  return Array.isArray(input) && input.length > 0 && input.every((p) => typeof p === 'object' && p !== null && !(p instanceof Uint8Array) && 'source' in p);
}

function located(e: unknown, file: string | null): unknown {
  if (!(e instanceof RdbkitError)) return e;
  if (e.code === 'BAD_MAGIC' && e.offset === 0) {
    // Neither an RDB nor commands: say both were tried.
    return new RdbkitError('BAD_MAGIC', e.detail.replace(/^not an RDB file: expected/, "not an RDB or AOF file: expected '*', '#',"), { offset: 0, file: file ?? undefined });
  }
  return file !== null ? e.inFile(file) : e;
}

/** Events per yielded batch (a batch also ends after each chunk of a large value). */
const BATCH = 4096;

/**
 * Reads an AOF and yields its events in batches (arrays): the cheapest way
 * to consume millions of commands. See `parseAof`.
 */
export async function* parseAofBatches(input: ByteSource | readonly AofPartInput[], options: ParseAofOptions = {}): AsyncGenerator<AofEvent[]> {
  const parts: readonly AofPartInput[] = isPartList(input) ? input : [{ name: null, role: 'single', source: input as ByteSource }];
  const strict = options.truncated === 'strict';
  const until = options.until ?? null;
  const { truncated: _t, until: _u, commands: _c, reuseInput: _r, ...decoderOptions } = options;
  const reuse = options.reuseInput === true;
  const countOnly = options.commands === 'count';
  if (countOnly && until !== null) throw new RdbkitError('USAGE', "parseAof: commands: 'count' cannot be combined with until");
  let ts: number | null = null;

  for (let pi = 0; pi < parts.length; pi++) {
    const part = parts[pi]!;
    const file = part.name;
    const last = pi === parts.length - 1;
    let dec: RdbDecoder | null = null;
    let reader: AofReader | null = null;
    /** After an RDB: where its end is, and whether what follows is decided yet. */
    let tailAt = -1;
    let trailing = 0;
    let seen = false;
    let stopped = false;
    let batch: AofEvent[] = [];

    const startResp = (base: number): AofReader => new AofReader(file, base, ts, strict, countOnly);
    /** Command events yielded from this part. */
    let yielded = 0;
    const partEnd = (offset: number): AofEvent => ({
      type: 'aofPartEnd',
      file,
      commands: countOnly ? ((reader as AofReader | null)?.commands ?? 0) : yielded,
      counted: countOnly,
      offset,
    });

    /** Moves what the RESP reader has into `batch`; false once `until` stops the run. */
    const drainReader = (r: AofReader): boolean => {
      let ev;
      while ((ev = r.read()) !== undefined) {
        if (until !== null && ev.type === 'annotation' && ev.ts !== null && ev.ts > until) {
          batch.push({ type: 'aofTruncated', file, offset: ev.offset, size: null, reason: 'until' });
          batch.push(partEnd(ev.offset));
          return false;
        }
        if (ev.type === 'command') yielded++;
        batch.push(ev);
      }
      ts = r.ts;
      return true;
    };

    /** Bytes after an RDB: commands when they start like commands; else trailing bytes (a lone RDB file only). */
    const tail = (chunk: Uint8Array): void => {
      if (chunk.length === 0) return;
      if (reader !== null) {
        reader.push(chunk);
        return;
      }
      if (trailing > 0 || (chunk[0] !== STAR && chunk[0] !== HASH)) {
        if (part.role !== 'single') throw new RdbkitError('AOF_FORMAT', `expected commands after the RDB part, got byte 0x${chunk[0]!.toString(16).padStart(2, '0')}`, { offset: tailAt + trailing, file: file ?? undefined, validUpTo: tailAt });
        trailing += chunk.length;
        return;
      }
      reader = startResp(tailAt);
      reader.push(chunk);
    };

    /** Moves the RDB decoder's events into batches, up to its `eof`; what follows goes to `tail`. */
    function* drainRdb(d: RdbDecoder): Generator<AofEvent[], void, undefined> {
      let ev: RdbEvent | undefined;
      while ((ev = d.read()) !== undefined) {
        batch.push(ev);
        if (ev.type === 'eof') {
          tailAt = ev.end;
          for (const c of d.remainder().chunks) tail(c);
          return;
        }
        // With a sink, each event is handled before the decoder reads on (see RdbDecoderOptions.sink).
        if (ev.type === 'keyChunk' || batch.length >= BATCH || d.sinking) {
          yield batch;
          batch = [];
        }
      }
      // With a sink, output was written during this chunk without events: let the consumer take it.
      if (d.sinking) {
        yield batch;
        batch = [];
      }
    }

    try {
      for await (const chunk of toChunks(part.source)) {
        if (chunk.length === 0) continue;
        if (!seen) {
          seen = true;
          const c = chunk[0]!;
          // RDB magic (REDIS / VALKEY): the decoder checks the rest.
          const rdb = c !== STAR && c !== HASH;
          batch.push({ type: 'aofPart', file, role: part.role, format: rdb ? 'rdb' : 'resp', offset: 0 });
          if (rdb) dec = new RdbDecoder({ ...decoderOptions, afterEnd: 'stop' });
          else reader = startResp(0);
        }
        if (dec !== null && tailAt < 0) {
          dec.push(chunk);
          yield* drainRdb(dec);
        } else if (dec !== null) {
          tail(chunk);
        } else {
          reader!.push(chunk);
        }
        if (reader !== null && !drainReader(reader)) {
          stopped = true;
          break;
        }
        if (batch.length > 0) {
          yield batch;
          batch = [];
        }
        // The consumer has taken every batch so far (it asked for more): what
        // the decoder let go of may be read over.
        if (reuse && dec !== null && tailAt < 0 && part.release !== undefined) part.release(dec.retainedFrom);
      }
      if (stopped) {
        if (batch.length > 0) yield batch;
        return;
      }
      // The end of this part.
      if (!seen) {
        // An empty file is an empty AOF (redis-check-aof: "is empty"; redis-server loads nothing).
        batch.push({ type: 'aofPart', file, role: part.role, format: 'resp', offset: 0 });
      } else if (dec !== null && tailAt < 0) {
        // The decoder may hold its last records until it knows the input is over.
        dec.end();
        yield* drainRdb(dec);
        // The decoder reports a truncation itself; this is a safety net.
        if (tailAt < 0) throw new RdbkitError('TRUNCATED', 'unexpected end of input inside the RDB part', { offset: dec.offset });
      }
      if (trailing > 0) {
        batch.push({ type: 'trailing', offset: tailAt, length: trailing });
      }
      const r = reader as AofReader | null;
      if (r !== null) {
        r.end();
        if (!drainReader(r)) {
          yield batch;
          return;
        }
        const e = r.ending();
        if (e.broken) {
          const what = e.reason === 'multi' ? 'ends inside a MULTI block that has no EXEC' : 'ends inside a command';
          if (strict || !last) {
            const why = strict ? '' : ' (only the last part of an AOF may be cut short)';
            throw new RdbkitError('TRUNCATED', `${what}${why}`, { offset: e.faultAt, file: file ?? undefined, validUpTo: e.validUpTo });
          }
          batch.push({ type: 'aofTruncated', file, offset: e.validUpTo, size: e.size, reason: e.reason ?? 'eof' });
        }
        batch.push(partEnd(e.broken ? e.validUpTo : e.size));
      } else {
        batch.push(partEnd(tailAt < 0 ? 0 : tailAt + trailing));
      }
      if (batch.length > 0) yield batch;
    } catch (e) {
      // Everything read before the fault is delivered first.
      if (batch.length > 0) {
        const done = batch;
        batch = [];
        yield done;
      }
      throw located(e, file);
    }
  }
}

/**
 * Reads an AOF — a plain or RDB-preamble file as a `ByteSource`, or the parts
 * of a multi-part AOF in load order — and yields the RDB events of its base
 * or preamble, then `command` and `annotation` events. Every part starts
 * with an `aofPart` event (a lone RDB file too: it is read as an AOF that is
 * all preamble). An empty input is an empty AOF. Node users:
 * `parseAofPath` in `rdbkit/node` opens files, directories and manifests.
 *
 * ```ts
 * for await (const ev of parseAof(bytes)) if (ev.type === 'command') console.log(ev.db, ev.args);
 * ```
 */
export async function* parseAof(input: ByteSource | readonly AofPartInput[], options: ParseAofOptions = {}): AsyncGenerator<AofEvent> {
  for await (const batch of parseAofBatches(input, options)) yield* batch;
}
