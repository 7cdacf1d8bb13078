/**
 * Key filters (design.md section 8): database, key glob (Redis `KEYS`
 * semantics on bytes), key regular expression, data type, and "not already
 * expired". A filter is a predicate over {@link KeyInfo}, so the decoder can
 * apply it before it builds a value (`keyFilter` option) and the event
 * filters below can apply it afterwards.
 */
import type { KeyInfo, RdbEvent } from './events.js';
import type { DataType } from './rdb/constants.js';
import { compileGlob } from './glob.js';

/** What to keep. Every criterion given must pass; an empty list counts as not given. */
export interface KeyFilterOptions {
  /** Databases to keep. */
  dbs?: number[];
  /** Keep keys matching any of these globs (`KEYS` semantics, byte-wise: see `compileGlob`). */
  keyGlobs?: Uint8Array[];
  /**
   * Keep keys this regular expression matches (`RegExp.test`, anywhere in the
   * key unless anchored). The key is tested as text: its UTF-8 decoding when
   * the key is valid UTF-8, else one character per byte (latin1, U+0000–U+00FF),
   * so `/^\x00/` or `/\xff$/` can match binary keys. See {@link keyText}.
   */
  keyRegex?: RegExp;
  /** Types to keep. */
  types?: DataType[];
  /**
   * Leave out keys already expired at `now` (Unix ms). As in Redis, a key
   * whose expiry equals `now` is not yet expired.
   */
  noExpired?: { now: number };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The key as text for regular expressions: its UTF-8 decoding when valid
 * (strictly: no overlongs, surrogates or truncated sequences), else latin1
 * (each byte one UTF-16 code unit of the same value).
 */
export function keyText(key: Uint8Array): string {
  try {
    return strictUtf8.decode(key);
  } catch {
    let s = '';
    for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]!);
    return s;
  }
}

/** A predicate over key infos, or null when the options filter nothing. */
export function makeKeyFilter(o: KeyFilterOptions): ((info: KeyInfo) => boolean) | null {
  const tests: Array<(k: KeyInfo) => boolean> = [];
  if (o.dbs !== undefined && o.dbs.length > 0) {
    const dbs = new Set(o.dbs);
    tests.push((k) => dbs.has(k.db));
  }
  if (o.types !== undefined && o.types.length > 0) {
    const types = new Set<string>(o.types);
    tests.push((k) => types.has(k.dataType));
  }
  if (o.noExpired !== undefined) {
    const now = o.noExpired.now;
    tests.push((k) => k.expireAt === null || k.expireAt >= now);
  }
  if (o.keyGlobs !== undefined && o.keyGlobs.length > 0) {
    const globs = o.keyGlobs.map(compileGlob);
    const one = globs[0]!;
    tests.push(
      globs.length === 1
        ? (k) => one(k.key)
        : (k) => {
            for (const g of globs) if (g(k.key)) return true;
            return false;
          },
    );
  }
  if (o.keyRegex !== undefined) {
    const re = o.keyRegex;
    tests.push((k) => {
      re.lastIndex = 0; // a /g or /y expression keeps state between calls
      return re.test(keyText(k.key));
    });
  }
  if (tests.length === 0) return null;
  if (tests.length === 1) return tests[0]!;
  return (k) => {
    for (const t of tests) if (!t(k)) return false;
    return true;
  };
}

/**
 * Decides, event by event, what passes a key filter: `key` and `keySkipped`
 * events by their key info, `keyStart`…`keyChunk`…`keyEnd` groups as a whole
 * (by the `keyStart`); every other event passes.
 */
export class EventFilter {
  private dropping = false;
  constructor(private readonly filter: ((info: KeyInfo) => boolean) | null) {}

  /** True when `ev` passes. Call for every event, in order. */
  accept(ev: RdbEvent): boolean {
    if (this.filter === null) return true;
    switch (ev.type) {
      case 'key':
      case 'keySkipped':
        return this.filter(ev);
      case 'keyStart':
        this.dropping = !this.filter(ev);
        return !this.dropping;
      case 'keyChunk':
        return !this.dropping;
      case 'keyEnd': {
        const pass = !this.dropping;
        this.dropping = false;
        return pass;
      }
      default:
        return true;
    }
  }
}

/** Drops the events of keys that do not pass `filter` (null: keeps everything). */
export function* filterEventsSync(
  events: Iterable<RdbEvent>,
  filter: ((info: KeyInfo) => boolean) | null,
): Generator<RdbEvent, void, undefined> {
  const f = new EventFilter(filter);
  for (const ev of events) if (f.accept(ev)) yield ev;
}

/** Async form of {@link filterEventsSync}; also takes a sync iterable. */
export async function* filterEvents(
  events: AsyncIterable<RdbEvent> | Iterable<RdbEvent>,
  filter: ((info: KeyInfo) => boolean) | null,
): AsyncGenerator<RdbEvent, void, undefined> {
  const f = new EventFilter(filter);
  for await (const ev of events) if (f.accept(ev)) yield ev;
}
