/**
 * Key filters: database, key glob (Redis KEYS semantics on bytes), key
 * regular expression, type, and "not already expired".
 */
import type { KeyInfo, RdbEvent } from './events.js';
import type { DataType } from './rdb/constants.js';
import { compileGlob } from './glob.js';

/** What to keep. Every given criterion must pass. */
export interface KeyFilterOptions {
  /** Databases to keep. */
  dbs?: number[];
  /** Keep keys matching any of these globs. */
  keyGlobs?: Uint8Array[];
  /**
   * Keep keys matching this regular expression, tested against the key as
   * text: its UTF-8 decoding when valid, else one character per byte (latin1).
   */
  keyRegex?: RegExp;
  /** Types to keep. */
  types?: DataType[];
  /** Leave out keys whose expiry is before `now` (Unix ms). */
  noExpired?: { now: number };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The key as text for regular expressions: UTF-8 when valid, else latin1. */
export function keyText(key: Uint8Array): string {
  try {
    return strictUtf8.decode(key);
  } catch {
    let s = '';
    for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]!);
    return s;
  }
}

/** A predicate over key infos, or null when nothing is filtered. */
export function makeKeyFilter(o: KeyFilterOptions): ((info: KeyInfo) => boolean) | null {
  const tests: Array<(k: KeyInfo) => boolean> = [];
  if (o.dbs && o.dbs.length > 0) {
    const dbs = new Set(o.dbs);
    tests.push((k) => dbs.has(k.db));
  }
  if (o.types && o.types.length > 0) {
    const types = new Set<string>(o.types);
    tests.push((k) => types.has(k.dataType));
  }
  if (o.noExpired) {
    const now = o.noExpired.now;
    tests.push((k) => k.expireAt === null || k.expireAt >= now);
  }
  if (o.keyGlobs && o.keyGlobs.length > 0) {
    const globs = o.keyGlobs.map(compileGlob);
    tests.push((k) => globs.some((g) => g(k.key)));
  }
  if (o.keyRegex) {
    const re = o.keyRegex;
    tests.push((k) => {
      re.lastIndex = 0;
      return re.test(keyText(k.key));
    });
  }
  if (tests.length === 0) return null;
  return (k) => tests.every((t) => t(k));
}

/**
 * Decides, event by event, what passes a key filter: `key` events by their
 * key, and whole `keyStart`…`keyEnd` groups; other events always pass.
 */
export class EventFilter {
  private dropping = false;
  constructor(private readonly filter: (info: KeyInfo) => boolean) {}

  /** True when `ev` passes. Call for every event, in order. */
  accept(ev: RdbEvent): boolean {
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

/** Drops the events of keys that do not pass. */
export function* filterEventsSync(events: Iterable<RdbEvent>, filter: (info: KeyInfo) => boolean): Generator<RdbEvent> {
  const f = new EventFilter(filter);
  for (const ev of events) if (f.accept(ev)) yield ev;
}

/** Async form of filterEventsSync. */
export async function* filterEvents(events: AsyncIterable<RdbEvent>, filter: (info: KeyInfo) => boolean): AsyncGenerator<RdbEvent> {
  const f = new EventFilter(filter);
  for await (const ev of events) if (f.accept(ev)) yield ev;
}
