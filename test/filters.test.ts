/**
 * Key filters: each criterion on its own and combined, and the event
 * filters dropping whole key records (whole or streamed) while every
 * non-key event passes.
 */
import { describe, expect, it } from 'vitest';
import { EventFilter, filterEvents, filterEventsSync, keyText, makeKeyFilter } from '../src/filters.js';
import type { KeyEvent, KeyInfo, RdbEvent } from '../src/events.js';
import type { DataType } from '../src/rdb/constants.js';
import { streamed } from './helpers/events.js';

const te = new TextEncoder();
const u = (s: string): Uint8Array => te.encode(s);
/** One byte per char (latin1). */
const raw = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function info(key: string | Uint8Array, o: Partial<KeyInfo> = {}): KeyInfo {
  return {
    db: 0, key: typeof key === 'string' ? u(key) : key, expireAt: null, lruIdle: null, lfuFreq: null,
    rdbType: 0, encoding: 'string', dataType: 'string', ...o,
  };
}

function keyEvent(key: string, dataType: DataType, value: unknown, o: Partial<KeyInfo> = {}): KeyEvent {
  return {
    ...info(key, o), type: 'key', offset: 0, end: 0, dataType, value,
    ...(dataType === 'hash' ? { fieldExpireAt: null } : {}),
  } as KeyEvent;
}

describe('makeKeyFilter', () => {
  it('is null when nothing is filtered (empty lists count as not given)', () => {
    expect(makeKeyFilter({})).toBeNull();
    expect(makeKeyFilter({ dbs: [], keyGlobs: [], types: [] })).toBeNull();
  });

  it('databases', () => {
    const f = makeKeyFilter({ dbs: [0, 3] })!;
    expect(f(info('a', { db: 0 }))).toBe(true);
    expect(f(info('a', { db: 3 }))).toBe(true);
    expect(f(info('a', { db: 1 }))).toBe(false);
  });

  it('types', () => {
    const f = makeKeyFilter({ types: ['hash', 'zset'] })!;
    expect(f(info('a', { dataType: 'hash' }))).toBe(true);
    expect(f(info('a', { dataType: 'zset' }))).toBe(true);
    expect(f(info('a', { dataType: 'string' }))).toBe(false);
    expect(f(info('a', { dataType: 'module' }))).toBe(false);
  });

  it('no expired keys: an expiry equal to now is not expired yet (as in Redis)', () => {
    const f = makeKeyFilter({ noExpired: { now: 1_700_000_000_000 } })!;
    expect(f(info('a'))).toBe(true);
    expect(f(info('a', { expireAt: 1_700_000_000_001 }))).toBe(true);
    expect(f(info('a', { expireAt: 1_700_000_000_000 }))).toBe(true);
    expect(f(info('a', { expireAt: 1_699_999_999_999 }))).toBe(false);
    expect(f(info('a', { expireAt: 0 }))).toBe(false);
  });

  it('key globs: any of them, KEYS semantics on bytes', () => {
    const f = makeKeyFilter({ keyGlobs: [u('user:*'), u('session:?'), raw('bin\xff[\x00-\x01]')] })!;
    expect(f(info('user:1'))).toBe(true);
    expect(f(info('user:'))).toBe(true);
    expect(f(info('session:a'))).toBe(true);
    expect(f(info('session:ab'))).toBe(false);
    expect(f(info(raw('bin\xff\x01')))).toBe(true);
    expect(f(info(raw('bin\xff\x02')))).toBe(false);
    expect(f(info('other'))).toBe(false);
    const all = makeKeyFilter({ keyGlobs: [u('*')] })!;
    expect(all(info(''))).toBe(true);
    const one = makeKeyFilter({ keyGlobs: [u('h[ae]llo')] })!;
    expect(one(info('hallo'))).toBe(true);
    expect(one(info('hillo'))).toBe(false);
  });

  it('key regex: UTF-8 text when the key is valid UTF-8, else latin1 (one char per byte)', () => {
    const f = makeKeyFilter({ keyRegex: /^café:\d+$/u })!;
    expect(f(info('café:12'))).toBe(true);
    expect(f(info('cafe:12'))).toBe(false);
    // 0xe9 alone is not UTF-8: the key reads as latin1, where 0xe9 is "é".
    expect(f(info(raw('caf\xe9:12')))).toBe(true);
    const bin = makeKeyFilter({ keyRegex: /^\x00\xff/ })!;
    expect(bin(info(raw('\x00\xffrest')))).toBe(true);
    expect(bin(info(raw('\x00\xfe')))).toBe(false);
    // The UTF-8 bytes of "ÿ" (c3 bf) decode to U+00FF: a valid key is matched as text.
    expect(makeKeyFilter({ keyRegex: /^ÿ$/ })!(info('ÿ'))).toBe(true);
    expect(makeKeyFilter({ keyRegex: /^\xc3\xbf$/ })!(info('ÿ'))).toBe(false);
    // Unanchored expressions match anywhere.
    expect(makeKeyFilter({ keyRegex: /42/ })!(info('user:42:name'))).toBe(true);
  });

  it('key regex with the g or y flag gives the same answer every call', () => {
    const f = makeKeyFilter({ keyRegex: /a/g })!;
    for (let i = 0; i < 5; i++) expect(f(info('xa'))).toBe(true);
    const y = makeKeyFilter({ keyRegex: /a/y })!;
    for (let i = 0; i < 5; i++) expect(y(info('ab'))).toBe(true);
  });

  it('every criterion given must pass', () => {
    const f = makeKeyFilter({ dbs: [1], types: ['string'], keyGlobs: [u('k*')], keyRegex: /\d$/, noExpired: { now: 100 } })!;
    const ok = info('k1', { db: 1, dataType: 'string', expireAt: 200 });
    expect(f(ok)).toBe(true);
    expect(f({ ...ok, db: 0 })).toBe(false);
    expect(f({ ...ok, dataType: 'list' })).toBe(false);
    expect(f({ ...ok, key: u('j1') })).toBe(false);
    expect(f({ ...ok, key: u('kx') })).toBe(false);
    expect(f({ ...ok, expireAt: 50 })).toBe(false);
  });
});

describe('keyText', () => {
  it('decodes valid UTF-8 and falls back to latin1 for anything else', () => {
    expect(keyText(u('héllo 😀'))).toBe('héllo 😀');
    expect(keyText(raw('\xff\x00a'))).toBe('\xff\x00a');
    expect(keyText(raw('\xed\xa0\x80'))).toBe('\xed\xa0\x80'); // an encoded surrogate is not UTF-8
    expect(keyText(raw('\xc0\x80'))).toBe('\xc0\x80'); // nor an overlong NUL
    expect(keyText(new Uint8Array(0))).toBe('');
  });
});

describe('filterEvents', () => {
  const header: RdbEvent = { type: 'header', offset: 0, magic: 'REDIS', version: 11, future: false };
  const select: RdbEvent = { type: 'selectDb', offset: 9, db: 0 };
  const aux: RdbEvent = { type: 'aux', offset: 5, name: u('redis-ver'), value: u('7.2.0') };
  const eof: RdbEvent = { type: 'eof', offset: 99, storedChecksum: null, computedChecksum: null, verified: false, end: 100 };
  const keep1 = keyEvent('keep:1', 'string', u('v'));
  const drop1 = keyEvent('drop:1', 'string', u('v'));
  const bigKeep = keyEvent('keep:big', 'list', [u('a'), u('b'), u('c'), u('d')]);
  const bigDrop = keyEvent('drop:big', 'hash', [[u('f'), u('v')], [u('g'), u('w')]]);
  const skippedDrop: RdbEvent = { ...info('drop:skipped'), type: 'keySkipped', offset: 0, end: 0 };
  const skippedKeep: RdbEvent = { ...info('keep:skipped'), type: 'keySkipped', offset: 0, end: 0 };
  const events: RdbEvent[] = [
    header, aux, select, keep1, drop1, ...streamed(bigDrop, 1), ...streamed(bigKeep, 2), skippedDrop, skippedKeep, eof,
  ];
  const expected: RdbEvent[] = [header, aux, select, keep1, ...streamed(bigKeep, 2), skippedKeep, eof];
  const filter = makeKeyFilter({ keyGlobs: [u('keep:*')] })!;

  it('drops key events and whole keyStart…keyChunk…keyEnd groups of keys that do not pass', () => {
    expect([...filterEventsSync(events, filter)]).toEqual(expected);
  });

  it('async form: same events, from async and sync iterables', async () => {
    async function* gen(): AsyncGenerator<RdbEvent> {
      for (const e of events) yield e;
    }
    const got: RdbEvent[] = [];
    for await (const e of filterEvents(gen(), filter)) got.push(e);
    expect(got).toEqual(expected);
    const got2: RdbEvent[] = [];
    for await (const e of filterEvents(events, filter)) got2.push(e);
    expect(got2).toEqual(expected);
  });

  it('yields the same event objects (no copies) and passes everything with a null filter', () => {
    const out = [...filterEventsSync(events, filter)];
    expect(out[3]).toBe(keep1);
    const all = [...filterEventsSync(events, null)];
    expect(all).toHaveLength(events.length);
    all.forEach((e, i) => expect(e).toBe(events[i]));
  });

  it('a dropped streamed key does not affect the next one', () => {
    const f = new EventFilter(filter);
    const a = streamed(bigDrop, 1);
    const b = streamed(bigKeep, 4);
    expect(a.map((e) => f.accept(e))).toEqual(a.map(() => false));
    expect(b.map((e) => f.accept(e))).toEqual(b.map(() => true));
    expect(f.accept(eof)).toBe(true);
  });
});
