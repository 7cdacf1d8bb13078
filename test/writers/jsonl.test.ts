/**
 * JSON Lines writer: the contract of design.md section 5, checked on
 * hand-built events, and its byte handling checked against independent
 * implementations (TextDecoder's strict UTF-8, Buffer's base64, JSON.parse).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JsonlWriter, RdbkitError, writeJsonl } from '../../src/index.js';
import { isUtf8, utf8Check } from '../../src/writers/jsonl.js';
import type { HashEntry, KeyEvent, RdbEvent, StreamEntry, StreamGroup, StreamValue, ZsetEntry } from '../../src/events.js';
import { runWriter, streamed } from '../helpers/events.js';

const te = new TextEncoder();
const u = (s: string): Uint8Array => te.encode(s);
const strict = new TextDecoder('utf-8', { fatal: true });
/** Whether TextDecoder's strict (fatal) UTF-8 accepts the bytes: the independent judge of UTF-8. */
const decodes = (b: Uint8Array): boolean => {
  try {
    strict.decode(b);
    return true;
  } catch {
    return false;
  }
};

function key(dataType: KeyEvent['dataType'], k: string | Uint8Array, value: unknown, extra: Partial<KeyEvent> = {}): KeyEvent {
  return {
    type: 'key', offset: 0, end: 0, db: 0, key: typeof k === 'string' ? u(k) : k,
    expireAt: null, lruIdle: null, lfuFreq: null, rdbType: 0, encoding: 'string', dataType,
    value, ...(dataType === 'hash' ? { fieldExpireAt: null } : {}), ...extra,
  } as KeyEvent;
}

function write(events: RdbEvent[], opts: ConstructorParameters<typeof JsonlWriter>[0] = {}): string {
  return runWriter(new JsonlWriter(opts), events).toString('utf8');
}


describe('key records', () => {
  it('writes the design.md example exactly', () => {
    const ev = key('hash', 'user:1', [[u('name'), u('Ada')]], { expireAt: 1767225600000 });
    expect(write([ev])).toBe('{"db":0,"key":"user:1","type":"hash","expireAt":1767225600000,"value":{"name":"Ada"}}\n');
  });

  it('writes every type', () => {
    expect(write([key('string', 'k', u('v'))])).toBe('{"db":0,"key":"k","type":"string","value":"v"}\n');
    expect(write([key('list', 'l', [u('a'), u(''), u('c')])])).toBe('{"db":0,"key":"l","type":"list","value":["a","","c"]}\n');
    expect(write([key('set', 's', [])])).toBe('{"db":0,"key":"s","type":"set","value":[]}\n');
    expect(write([key('zset', 'z', [[u('a'), 1.5], [u('b'), -0], [u('c'), Infinity], [u('d'), -Infinity], [u('e'), 1e300], [u('f'), 5e-324]])])).toBe(
      '{"db":0,"key":"z","type":"zset","value":[["a",1.5],["b",-0],["c","inf"],["d","-inf"],["e",1e+300],["f",5e-324]]}\n',
    );
    expect(write([key('hash', 'h', [[u('f1'), u('v1')], [u('f2'), u('v2')]], { fieldExpireAt: [null, 1700000000000] })])).toBe(
      '{"db":0,"key":"h","type":"hash","value":{"f1":"v1","f2":"v2"},"fieldExpireAt":{"f2":1700000000000}}\n',
    );
    expect(write([key('module', 'm', { module: 'ReJSON-RL', encver: 3, moduleId: 1n, payload: new Uint8Array([1, 2, 3]) })])).toBe(
      '{"db":0,"key":"m","type":"module","value":{"module":"ReJSON-RL","encver":3,"payload":"AQID"}}\n',
    );
  });

  it('writes streams with groups, big IDs as strings and absent fields as null', () => {
    const v: StreamValue = {
      entries: [
        { id: { ms: 1, seq: 0 }, fields: [u('f'), u('v')], deleted: false },
        { id: { ms: 2, seq: 0 }, fields: [u('x'), u('y')], deleted: true },
        { id: { ms: 18446744073709551615n, seq: 1 }, fields: [], deleted: false },
      ],
      length: 2, lastId: { ms: 18446744073709551615n, seq: 1 }, firstId: null, maxDeletedId: null, entriesAdded: null, nodes: 1,
      groups: [{
        name: u('g'), lastId: { ms: 1, seq: 0 }, entriesRead: -1,
        pending: [{ id: { ms: 1, seq: 0 }, consumer: u('c'), deliveryTime: 1700000000000, deliveryCount: 2 }],
        consumers: [{ name: u('c'), seenTime: 1700000000001, activeTime: null, pending: [{ ms: 1, seq: 0 }] }],
      }],
    };
    const rec = JSON.parse(write([key('stream', 's', v)]));
    expect(rec.value).toEqual({
      entries: [['1-0', ['f', 'v']], ['18446744073709551615-1', []]],
      length: 2, lastId: '18446744073709551615-1', firstId: null, maxDeletedId: null, entriesAdded: null,
      groups: [{ name: 'g', lastId: '1-0', entriesRead: -1, pending: [{ id: '1-0', consumer: 'c', deliveryTime: 1700000000000, deliveryCount: 2 }],
        consumers: [{ name: 'c', seenTime: 1700000000001, activeTime: null, pending: ['1-0'] }] }],
    });
  });

  it('escapes control characters, quotes, backslashes, U+2028/U+2029; keeps other UTF-8 raw', () => {
    const s = 'a"b\\c\n\r\t\b\f\u0000\u001f\u007f é 中 😀 \u2028\u2029';
    const line = write([key('string', 'k', u(s))]);
    expect(line).toContain('a\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\u007f é 中 😀 \\u2028\\u2029');
    expect(JSON.parse(line).value).toBe(s);
  });

  it('a record with any invalid UTF-8 byte string is base64 throughout', () => {
    const line = write([key('hash', 'user:1', [[u('name'), u('Ada')], [u('blob'), new Uint8Array([0xff, 0xfe])]])]);
    expect(line).toBe('{"db":0,"bytes":"base64","key":"dXNlcjox","type":"hash","value":{"bmFtZQ==":"QWRh","YmxvYg==":"//4="}}\n');
    expect(write([key('string', new Uint8Array([0xc0, 0x80]), u('x'))])).toMatch(/"bytes":"base64","key":"wIA="/);
    expect(write([key('string', 'k', u('x'))], { bytes: 'base64' })).toBe('{"db":0,"bytes":"base64","key":"aw==","type":"string","value":"eA=="}\n');
  });

  it('byte strings survive exactly, whatever they hold (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'binary' }).map(u)), { minLength: 1, maxLength: 6 }), (parts) => {
        const rec = JSON.parse(write([key('list', parts[0]!, parts.slice(1))]));
        const allText = parts.every(decodes);
        expect(rec.bytes === 'base64').toBe(!allText);
        const dec = (s: string): Buffer => (allText ? Buffer.from(s, 'utf8') : Buffer.from(s, 'base64'));
        expect(dec(rec.key).equals(Buffer.from(parts[0]!))).toBe(true);
        rec.value.forEach((s: string, i: number) => expect(dec(s).equals(Buffer.from(parts[i + 1]!))).toBe(true));
      }),
      { numRuns: 3000 },
    );
  });

  it('numbers above 2^53 - 1 are strings', () => {
    const v: StreamValue = { entries: [], length: 2n ** 60n, lastId: { ms: 0, seq: 0 }, firstId: null, maxDeletedId: null, entriesAdded: 9007199254740993n, nodes: 0, groups: [] };
    const rec = JSON.parse(write([key('stream', 's', v)]));
    expect(rec.value.length).toBe('1152921504606846976');
    expect(rec.value.entriesAdded).toBe('9007199254740993');
  });
});

describe('streamed records', () => {
  const cases: KeyEvent[] = [
    key('list', 'l', Array.from({ length: 50 }, (_, i) => u(`item-${i}`))),
    key('set', 's', Array.from({ length: 20 }, (_, i) => u(String(i)))),
    key('zset', 'z', Array.from({ length: 20 }, (_, i) => [u(`m${i}`), i / 3] as [Uint8Array, number])),
    key('hash', 'h', Array.from({ length: 30 }, (_, i) => [u(`f${i}`), u(`v${i}`)] as [Uint8Array, Uint8Array]), { fieldExpireAt: Array.from({ length: 30 }, (_, i) => (i % 7 === 0 ? 1700000000000 + i : null)) }),
    key('string', 'big', u('héllo wörld '.repeat(200))),
    key('string', 'bin', new Uint8Array(Array.from({ length: 1000 }, (_, i) => (i * 37) & 255))),
    key('stream', 'st', { entries: Array.from({ length: 9 }, (_, i) => ({ id: { ms: i, seq: 0 }, fields: [u('a'), u(String(i))], deleted: i === 4 })), length: 8, lastId: { ms: 8, seq: 0 }, firstId: { ms: 0, seq: 0 }, maxDeletedId: { ms: 4, seq: 0 }, entriesAdded: 9, nodes: 2, groups: [] }),
  ];
  for (const ev of cases) {
    it(`${ev.dataType} ${Buffer.from(ev.key).toString()}: same line as the whole record, any chunking`, () => {
      const whole = write([ev]);
      // Binary data must show itself in the first chunk (real chunks are 1 MiB).
      const sizes = Buffer.from(ev.key).toString() === 'bin' ? [64, 10000] : [1, 2, 3, 7, 64, 10000];
      for (const per of sizes) expect(write(streamed(ev, per)), `per ${per}`).toBe(whole);
      expect(write(streamed(ev, 5), { bytes: 'base64' })).toBe(write([ev], { bytes: 'base64' }));
    });
  }

  it('string chunks carry base64 and UTF-8 sequences across chunk edges (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 60 }).map(u)), fc.integer({ min: 1, max: 9 }), (b, per) => {
        const ev = key('string', 'k', b);
        let whole: string;
        try {
          whole = write([ev]);
        } catch {
          return;
        }
        // Streams decide text or base64 from the first chunk: the result is the
        // whole-record line, or (invalid UTF-8 only later) an OUTPUT error — never lossy.
        try {
          expect(write(streamed(ev, per))).toBe(whole);
        } catch (e) {
          expect(e).toBeInstanceOf(RdbkitError);
          expect((e as RdbkitError).code).toBe('OUTPUT');
          expect(whole).toContain('"bytes":"base64"');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('invalid UTF-8 after a text first chunk is an OUTPUT error, never a lossy record', () => {
    const ev = key('list', 'l', [u('fine'), u('also fine'), new Uint8Array([0xff])]);
    expect(() => write(streamed(ev, 1))).toThrow(RdbkitError);
    expect(write(streamed(ev, 1), { bytes: 'base64' })).toBe(write([ev], { bytes: 'base64' }));
  });
});

describe('meta records', () => {
  it('are written with --meta only, never with a key field', () => {
    const events: RdbEvent[] = [
      { type: 'header', offset: 0, magic: 'REDIS', version: 11, future: false },
      { type: 'aux', offset: 9, name: u('redis-ver'), value: u('7.2.4') },
      { type: 'function', offset: 30, opcode: 245, code: u('#!lua name=x\nreturn 1'), name: null, engine: null, description: null },
      key('string', 'k', u('v')),
      { type: 'eof', offset: 90, storedChecksum: 0xabn, computedChecksum: 0xabn, verified: true, end: 99 },
    ];
    expect(write(events)).toBe('{"db":0,"key":"k","type":"string","value":"v"}\n');
    const lines = write(events, { meta: true }).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { type: 'header', magic: 'REDIS', version: 11 },
      { type: 'aux', name: 'redis-ver', value: '7.2.4' },
      { type: 'function', code: '#!lua name=x\nreturn 1' },
      { db: 0, key: 'k', type: 'string', value: 'v' },
      { type: 'eof', checksum: '00000000000000ab', verified: true },
    ]);
  });
});

// ---------------------------------------------------------------------------
// Byte handling against independent implementations

/** One byte per char (latin1). */
const raw = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** Byte sequences at the edges of UTF-8 validity: boundaries, overlongs, surrogates, past U+10FFFF, cut sequences. */
const edgy: Uint8Array[] = [
  'a', '\x00', '\x7f', '\xc2\x80', '\xdf\xbf', '\xe0\xa0\x80', '\xef\xbf\xbf', '\xf0\x90\x80\x80', '\xf4\x8f\xbf\xbf',
  '\xe2\x80\xa8', '\xe2\x80\xa9', '\xed\x9f\xbf', '\xee\x80\x80', // around the surrogates, U+2028/9
  '\xc0\x80', '\xc1\xbf', '\xe0\x80\x80', '\xe0\x9f\xbf', '\xf0\x80\x80\x80', '\xf0\x8f\xbf\xbf', // overlongs
  '\xed\xa0\x80', '\xed\xbf\xbf', // surrogates
  '\xf4\x90\x80\x80', '\xf5\x80\x80\x80', '\xf8\x88\x80\x80\x80', '\xff', '\xfe', // too high, not lead bytes
  '\x80', '\xbf', '\xc2', '\xe0\xa0', '\xf0\x90\x80', '\xe1', '\xf4\x8f', // lone continuations, cut sequences
].map(raw);
const edgyBytes = fc.array(fc.constantFrom(...edgy), { maxLength: 8 }).map((a) => concat(...a));
const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 24 }), edgyBytes, fc.string({ unit: 'binary', maxLength: 12 }).map(u));

describe('strict UTF-8 validation', () => {
  it('isUtf8 accepts exactly what TextDecoder fatal accepts (property)', () => {
    for (const e of edgy) expect(isUtf8(e), Buffer.from(e).toString('hex')).toBe(decodes(e));
    fc.assert(
      fc.property(anyBytes, (b) => {
        expect(isUtf8(b)).toBe(decodes(b));
      }),
      { numRuns: 20000 },
    );
  });

  it('utf8Check: -1 only when no continuation can make the bytes valid; else the length of the cut sequence (property)', () => {
    fc.assert(
      fc.property(anyBytes, anyBytes, (b, tail) => {
        const r = utf8Check(b);
        if (r < 0) {
          expect(decodes(concat(b, tail))).toBe(false);
          return;
        }
        expect(r).toBeLessThan(4);
        // The complete part is valid, and the cut sequence can be completed.
        expect(decodes(b.subarray(0, b.length - r))).toBe(true);
        if (r > 0) {
          const lead = b[b.length - r]!;
          const len = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
          const fill: number[] = [];
          for (let i = r; i < len; i++) fill.push(i === 1 ? (lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80) : 0x80);
          expect(decodes(concat(b, Uint8Array.from(fill)))).toBe(true);
        }
      }),
      { numRuns: 20000 },
    );
  });

  it('utf8Check on every cut of valid text gives the cut sequence length', () => {
    const t = u('aé中😀\u2028z');
    for (let k = 0; k <= t.length; k++) {
      const r = utf8Check(t, 0, k);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(strict.decode(t.subarray(0, k - r)).length).toBeGreaterThanOrEqual(0);
    }
    expect(utf8Check(raw('ab\xe0\x80'))).toBe(-1); // E0 80 cannot start any valid sequence
    expect(utf8Check(raw('ab\xe0\xa0'))).toBe(2);
    expect(utf8Check(raw('ab\xed\xa0'))).toBe(-1);
    expect(utf8Check(raw('\xf4\x90'))).toBe(-1);
  });

  it('text output equals JSON.stringify of the decoded text, with U+2028/U+2029 escaped too (property)', () => {
    const reference = (s: string): string => JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    const all = Array.from({ length: 0x80 }, (_, i) => String.fromCharCode(i)).join('') + '\u2028\u2029é\u00a0\uffff😀';
    expect(write([key('string', 'k', u(all))])).toBe(`{"db":0,"key":"k","type":"string","value":${reference(all)}}\n`);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0001', '\u001f', '\u007f', '\u2028', 'é', '😀'), maxLength: 80 }), (s1, s2) => {
        const s = s1 + s2;
        expect(write([key('string', s2, u(s))])).toBe(`{"db":0,"key":${reference(s2)},"type":"string","value":${reference(s)}}\n`);
      }),
      { numRuns: 3000 },
    );
  });

  it('long strings (word-at-a-time scan) escape exactly at any alignment', () => {
    for (let off = 0; off < 8; off++) {
      for (const special of ['"', '\\', '\n', '\u0000', '\u007f', 'é', '\u2028']) {
        const s = 'x'.repeat(off) + 'abcdefgh'.repeat(8) + special + 'ijklmnop'.repeat(5) + special;
        const buf = new Uint8Array(3 + u(s).length);
        buf.set(u(s), 3); // an unaligned view
        expect(JSON.parse(write([key('string', 'k', buf.subarray(3))])).value).toBe(s);
      }
    }
  });

  it('base64 equals Buffer base64 at every length (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(write([key('string', 'k', b)], { bytes: 'base64' })).toBe(
          `{"db":0,"bytes":"base64","key":"aw==","type":"string","value":"${Buffer.from(b).toString('base64')}"}\n`,
        );
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------
// Numbers

describe('numbers', () => {
  const scoreText = (v: number): string => {
    const line = write([key('zset', 'z', [[u('m'), v]])]);
    const m = /"value":\[\["m",(.*)\]\]\}\n$/.exec(line);
    expect(m, line).not.toBeNull();
    return m![1]!;
  };

  it('scores are the shortest round-tripping decimal (String(n)), -0 as -0, inf/-inf/nan as strings (property)', () => {
    expect(scoreText(-0)).toBe('-0');
    expect(scoreText(0)).toBe('0');
    expect(scoreText(Infinity)).toBe('"inf"');
    expect(scoreText(-Infinity)).toBe('"-inf"');
    expect(scoreText(NaN)).toBe('"nan"');
    for (const v of [1.5, 0.1, 0.001, 0.0001, 1e-7, 123456789012.345, 999999999999.999, 1e12, 1e21, 2 ** 53, -(2 ** 53) - 2, 5e-324, Number.MAX_VALUE, 0.30000000000000004, 100, -42.125]) {
      expect(scoreText(v), String(v)).toBe(String(v));
    }
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -1e9, max: 1e9 }).map((k) => k / 1000), fc.integer().map((k) => k / 8)), (v) => {
        const t = scoreText(v);
        expect(t).toBe(Object.is(v, -0) ? '-0' : String(v));
        expect(Object.is(JSON.parse(t), v)).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it('integers past 2^53 - 1 are decimal strings, safe ones are numbers', () => {
    const v: StreamValue = {
      entries: [], length: Number.MAX_SAFE_INTEGER, lastId: { ms: 2n ** 64n - 1n, seq: 2n ** 53n }, firstId: { ms: 0, seq: 0 }, maxDeletedId: null,
      entriesAdded: 5n, nodes: 0,
      groups: [{ name: u('g'), lastId: { ms: 1, seq: 1 }, entriesRead: -(2n ** 63n), pending: [{ id: { ms: 1, seq: 1 }, consumer: null, deliveryTime: 2n ** 60n, deliveryCount: -1 }], consumers: [] }],
    };
    const line = write([key('stream', 's', v, { expireAt: 2 ** 60 })]);
    expect(line).toContain('"expireAt":"1152921504606846976"');
    expect(line).toContain('"length":9007199254740991,"lastId":"18446744073709551615-9007199254740992","firstId":"0-0"');
    expect(line).toContain('"entriesAdded":5,');
    expect(line).toContain('"entriesRead":"-9223372036854775808"');
    expect(line).toContain('"pending":[{"id":"1-1","consumer":null,"deliveryTime":"1152921504606846976","deliveryCount":-1}]');
    expect(write([key('hash', 'h', [[u('f'), u('v')]], { fieldExpireAt: [2 ** 53] })])).toContain('"fieldExpireAt":{"f":"9007199254740992"}');
  });
});

// ---------------------------------------------------------------------------
// Record shapes

describe('record shapes', () => {
  it('field order: db, bytes, key, type, expireAt, value, fieldExpireAt', () => {
    const ev = key('hash', new Uint8Array([0xff]), [[u('a'), u('1')], [u('b'), u('2')]], { db: 7, expireAt: 1, fieldExpireAt: [5, null] });
    expect(write([ev])).toBe('{"db":7,"bytes":"base64","key":"/w==","type":"hash","expireAt":1,"value":{"YQ==":"MQ==","Yg==":"Mg=="},"fieldExpireAt":{"YQ==":5}}\n');
    expect(write([key('hash', 'h', [[u('a'), u('1')]], { fieldExpireAt: [null] })])).toBe('{"db":0,"key":"h","type":"hash","value":{"a":"1"}}\n');
  });

  it('streams: every byte string of the record goes base64 together (group and consumer names too)', () => {
    const v: StreamValue = {
      entries: [{ id: { ms: 1, seq: 2 }, fields: [u('f'), u('v')], deleted: false }], length: 1, lastId: { ms: 1, seq: 2 },
      firstId: { ms: 1, seq: 2 }, maxDeletedId: { ms: 0, seq: 0 }, entriesAdded: 1, nodes: 1,
      groups: [{ name: raw('g\xff'), lastId: { ms: 1, seq: 2 }, entriesRead: 1,
        pending: [{ id: { ms: 1, seq: 2 }, consumer: u('c'), deliveryTime: 10, deliveryCount: 1 }],
        consumers: [{ name: u('c'), seenTime: 11, activeTime: 12, pending: [{ ms: 1, seq: 2 }] }] }],
    };
    expect(write([key('stream', 's', v)])).toBe(
      '{"db":0,"bytes":"base64","key":"cw==","type":"stream","value":{"entries":[["1-2",["Zg==","dg=="]]],"length":1,"lastId":"1-2","firstId":"1-2","maxDeletedId":"0-0","entriesAdded":1,' +
        '"groups":[{"name":"Z/8=","lastId":"1-2","entriesRead":1,"pending":[{"id":"1-2","consumer":"Yw==","deliveryTime":10,"deliveryCount":1}],"consumers":[{"name":"Yw==","seenTime":11,"activeTime":12,"pending":["1-2"]}]}]}}\n',
    );
  });

  it('module payloads are base64 in text records too', () => {
    const ev = key('module', 'm', { module: 'MBbloom--', encver: 4, moduleId: 1n, payload: raw('\x00\xff\x10') });
    expect(write([ev])).toBe('{"db":0,"key":"m","type":"module","value":{"module":"MBbloom--","encver":4,"payload":"AP8Q"}}\n');
  });
});

// ---------------------------------------------------------------------------
// Streamed records

/** Writes `events`, mutating every byte string of each event after it was written (as a decoder reusing buffers might). */
function writeClobbering(events: RdbEvent[], opts: ConstructorParameters<typeof JsonlWriter>[0] = {}): string {
  const w = new JsonlWriter(opts);
  const out: Uint8Array[] = [];
  for (const e of events) {
    const copy = structuredClone(e);
    w.write(copy);
    out.push(...w.take().map((c) => c.slice()));
    if (copy.type === 'keyChunk' && copy.dataType === 'hash') for (const [f, v] of copy.value) { f.fill(0x21); v.fill(0x21); }
  }
  w.end();
  out.push(...w.take());
  return Buffer.concat(out).toString('utf8');
}

describe('streamed records, more', () => {
  it('field expiries of a streamed hash survive the decoder reusing its buffers', () => {
    const ev = key('hash', 'h', Array.from({ length: 40 }, (_, i) => [u(`field-${i}`), u(`v${i}`)] as HashEntry), {
      fieldExpireAt: Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 1700000000000 + i : null)),
    });
    const whole = write([ev]);
    expect(whole).toContain('"fieldExpireAt":{"field-0":1700000000000,"field-3":1700000000003,');
    for (const per of [1, 4, 40]) expect(writeClobbering(streamed(ev, per))).toBe(whole);
    expect(writeClobbering(streamed(ev, 7), { bytes: 'base64' })).toBe(write([ev], { bytes: 'base64' }));
  });

  it('empty streamed values and expiries give the whole-record line', () => {
    for (const ev of [
      key('string', 's', u(''), { expireAt: 5 }), key('list', 'l', []), key('set', 's', []), key('zset', 'z', []), key('hash', 'h', []),
      key('stream', 'st', { entries: [], length: 0, lastId: { ms: 0, seq: 0 }, firstId: null, maxDeletedId: null, entriesAdded: null, nodes: 0, groups: [] }),
      key('stream', 'st', { entries: [{ id: { ms: 1, seq: 0 }, fields: [u('x')], deleted: true }], length: 0, lastId: { ms: 1, seq: 0 }, firstId: null, maxDeletedId: null, entriesAdded: null, nodes: 1, groups: [] }),
    ]) {
      expect(write(streamed(ev, 3))).toBe(write([ev]));
    }
  });

  it('the first chunk decides: binary in it makes the whole streamed record base64', () => {
    const ev = key('list', 'l', [u('text'), new Uint8Array([0xff]), u('more')]);
    expect(write(streamed(ev, 2))).toBe(write([ev]));
    expect(write(streamed(ev, 2))).toContain('"bytes":"base64"');
    // A first string chunk ending in bytes no continuation can fix (E0 80) is binary at once.
    const s = key('string', 'k', raw('abc\xe0\x80\x80'));
    expect(write(streamed(s, 5))).toBe(write([s]));
  });

  it('non-UTF-8 after a text first chunk, or a string ending mid-sequence, is an OUTPUT error naming the key', () => {
    const ev = key('string', 'big:1', concat(u('fine text'), raw('\xff')), { db: 3 });
    let err: unknown;
    try {
      write(streamed(ev, 4));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RdbkitError);
    expect((err as RdbkitError).code).toBe('OUTPUT');
    expect((err as RdbkitError).db).toBe(3);
    expect((err as RdbkitError).message).toMatch(/not valid UTF-8 past its first chunk.*--bytes base64.*\(db 3, key "big:1"\)/);
    const cut = key('string', 'k', raw('abc\xe4\xb8'));
    expect(() => write(streamed(cut, 3))).toThrow(/ends inside a UTF-8 sequence/);
    expect(write(streamed(cut, 3), { bytes: 'base64' })).toBe(write([cut], { bytes: 'base64' }));
  });

  it('a UTF-8 sequence may be split over many chunks', () => {
    const ev = key('string', 'k', u('😀中é'.repeat(3)));
    for (const per of [1, 2, 3, 5]) expect(write(streamed(ev, per))).toBe(write([ev]));
  });

  it('binary stream group or consumer names after a text start are an OUTPUT error, never a lossy line', () => {
    const v: StreamValue = {
      entries: [{ id: { ms: 1, seq: 0 }, fields: [u('f'), u('v')], deleted: false }], length: 1, lastId: { ms: 1, seq: 0 },
      firstId: null, maxDeletedId: null, entriesAdded: null, nodes: 1,
      groups: [{ name: raw('\xff'), lastId: { ms: 0, seq: 0 }, entriesRead: null, pending: [], consumers: [] }],
    };
    const ev = key('stream', 's', v);
    expect(() => write(streamed(ev, 1))).toThrow(/group or consumer names are not valid UTF-8/);
    expect(write(streamed(ev, 1), { bytes: 'base64' })).toBe(write([ev], { bytes: 'base64' }));
  });

  it('events out of order are OUTPUT errors', () => {
    const big = streamed(key('list', 'l', [u('a'), u('b')]), 1);
    expect(() => write([big[0]!, key('string', 'k', u('v'))])).toThrow(/inside a streamed value/);
    expect(() => write([big[0]!, big[1]!])).toThrow(/events ended inside a streamed value/);
    expect(() => write([big[1]!])).toThrow(/keyChunk without keyStart/);
    expect(() => write([big[3]!])).toThrow(/keyEnd without keyStart/);
    const wrong = { ...big[1]!, dataType: 'set' } as RdbEvent;
    expect(() => write([big[0]!, wrong])).toThrow(/set chunk inside a streamed list value/);
  });
});

// ---------------------------------------------------------------------------
// Output chunks

describe('output chunks', () => {
  it('whole records: chunks of about 64 KiB, each ending at a line end', () => {
    const w = new JsonlWriter();
    const chunks: Uint8Array[] = [];
    const events = Array.from({ length: 5000 }, (_, i) => key('string', `key:${i}`, u('x'.repeat(i % 300))));
    for (const e of events) {
      w.write(e);
      chunks.push(...w.take());
    }
    w.end();
    const last = w.take();
    expect(last).toHaveLength(1);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) {
      expect(c.length).toBeGreaterThanOrEqual(65536);
      expect(c.length).toBeLessThan(65536 + 400);
      expect(c[c.length - 1]).toBe(0x0a);
    }
    expect(Buffer.concat([...chunks, ...last]).toString()).toBe(write(events));
  });

  it('a large streamed value leaves in bounded chunks while it streams, text or base64', () => {
    const text = u('abcdefgh'.repeat(4 << 17)); // 4 MiB
    const bin = Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 131) & 255);
    for (const [ev, per] of [[key('string', 't', text), 1 << 20], [key('string', 'b', bin), (1 << 20) + 1], [key('string', 'e', u('"\n'.repeat(1 << 20))), 1 << 19]] as const) {
      const w = new JsonlWriter();
      const chunks: Uint8Array[] = [];
      for (const e of streamed(ev, per)) {
        w.write(e);
        const got = w.take();
        if (e.type === 'keyChunk') expect(got.length).toBeGreaterThan(0); // output leaves before the value ends
        chunks.push(...got);
      }
      w.end();
      chunks.push(...w.take());
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(65536 + 6 * 16384 + 8);
      expect(Buffer.concat(chunks).toString()).toBe(write([ev]));
    }
  });

  it('writeJsonl gives the same bytes from sync and async event sources', async () => {
    const events: RdbEvent[] = [
      { type: 'header', offset: 0, magic: 'REDIS', version: 11, future: false },
      ...Array.from({ length: 3000 }, (_, i) => key('list', `l${i}`, [u('a'.repeat(i % 50)), raw('\xff')])),
      ...streamed(key('string', 'big', u('z'.repeat(300000))), 65536),
    ];
    const collect = async (it: AsyncIterable<Uint8Array>): Promise<Buffer> => {
      const out: Uint8Array[] = [];
      for await (const c of it) out.push(c);
      for (const c of out) expect(c.length).toBeLessThan(2 * 65536);
      return Buffer.concat(out);
    };
    async function* gen(): AsyncGenerator<RdbEvent> {
      for (const e of events) yield e;
    }
    const expected = write(events, { meta: true });
    expect((await collect(writeJsonl(events, { meta: true }))).toString()).toBe(expected);
    expect((await collect(writeJsonl(gen(), { meta: true }))).toString()).toBe(expected);
    await expect(collect(writeJsonl(events.slice(0, -1)))).rejects.toThrow(/events ended inside a streamed value/);
  });
});

// ---------------------------------------------------------------------------
// Meta records

describe('meta records, every kind', () => {
  const events: RdbEvent[] = [
    { type: 'header', offset: 0, magic: 'VALKEY', version: 80, future: false },
    { type: 'aux', offset: 9, name: u('redis-ver'), value: u('7.0.15') },
    { type: 'aux', offset: 20, name: u('blob'), value: raw('\x00\xff') },
    { type: 'selectDb', offset: 30, db: 2 },
    { type: 'resizeDb', offset: 32, db: 2, keys: 12, expires: 3 },
    { type: 'slotInfo', offset: 35, db: 0, slot: 16383, keys: 4, expires: 1 },
    { type: 'slotImport', offset: 40, job: u('job-1'), ranges: [[0, 100], [200, 300]] },
    { type: 'function', offset: 50, opcode: 246, code: u('return 1'), name: u('lib'), engine: u('LUA'), description: null },
    { type: 'function', offset: 60, opcode: 245, code: u('#!lua name=x\nreturn "1"'), name: null, engine: null, description: null },
    { type: 'moduleAux', offset: 70, module: 'ReJSON-RL', encver: 3, moduleId: 5n, when: 2, payload: raw('\x01\x02\x03\x04') },
    { type: 'eof', offset: 80, storedChecksum: null, computedChecksum: null, verified: false, end: 81 },
    { type: 'trailing', offset: 81, length: 7 },
  ];

  it('have fixed shapes, the bytes rule applied per record', () => {
    expect(write(events, { meta: true }).split('\n')).toEqual([
      '{"type":"header","magic":"VALKEY","version":80}',
      '{"type":"aux","name":"redis-ver","value":"7.0.15"}',
      '{"type":"aux","bytes":"base64","name":"YmxvYg==","value":"AP8="}',
      '{"type":"selectDb","db":2}',
      '{"type":"resizeDb","db":2,"keys":12,"expires":3}',
      '{"type":"slotInfo","db":0,"slot":16383,"keys":4,"expires":1}',
      '{"type":"slotImport","job":"job-1","ranges":[[0,100],[200,300]]}',
      '{"type":"function","name":"lib","engine":"LUA","description":null,"code":"return 1"}',
      '{"type":"function","code":"#!lua name=x\\nreturn \\"1\\""}',
      '{"type":"moduleAux","module":"ReJSON-RL","encver":3,"when":2,"payload":"AQIDBA=="}',
      '{"type":"eof","checksum":null,"verified":false}',
      '{"type":"trailing","length":7}',
      '',
    ]);
    expect(write(events)).toBe('');
  });

  it('forced base64 applies to them too; none has a key field', () => {
    const lines = write(events, { meta: true, bytes: 'base64' }).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[1]).toEqual({ type: 'aux', bytes: 'base64', name: 'cmVkaXMtdmVy', value: 'Ny4wLjE1' });
    expect(lines[7]).toEqual({ type: 'function', bytes: 'base64', name: 'bGli', engine: 'TFVB', description: null, code: 'cmV0dXJuIDE=' });
    for (const l of lines) expect(l).not.toHaveProperty('key');
  });
});

// ---------------------------------------------------------------------------
// Every type, random bytes: lossless, whole and streamed

const bytesArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }).map(u) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 10 }) },
  { weight: 1, arbitrary: edgyBytes },
);
const idArb = fc.record({ ms: fc.oneof(fc.nat(), fc.bigInt({ min: 2n ** 53n, max: 2n ** 64n - 1n })), seq: fc.nat() });
const groupArb: fc.Arbitrary<StreamGroup> = fc.record({
  name: bytesArb, lastId: idArb, entriesRead: fc.option(fc.integer({ min: -1, max: 1000 })),
  pending: fc.array(fc.record({ id: idArb, consumer: fc.option(bytesArb), deliveryTime: fc.nat(), deliveryCount: fc.nat() }), { maxLength: 2 }),
  consumers: fc.array(fc.record({ name: bytesArb, seenTime: fc.nat(), activeTime: fc.option(fc.nat()), pending: fc.array(idArb, { maxLength: 2 }) }), { maxLength: 2 }),
});
const keyEventArb: fc.Arbitrary<KeyEvent> = fc.oneof(
  bytesArb.map((v) => ['string', v] as const),
  fc.array(bytesArb, { maxLength: 6 }).map((v) => ['list', v] as const),
  fc.array(bytesArb, { maxLength: 6 }).map((v) => ['set', v] as const),
  fc.array(fc.tuple(bytesArb, fc.double()), { maxLength: 6 }).map((v) => ['zset', v as ZsetEntry[]] as const),
  fc.array(fc.tuple(bytesArb, bytesArb, fc.option(fc.nat())), { maxLength: 6 }).map((v) => ['hash', v] as const),
  fc.record({
    entries: fc.array(fc.record({ id: idArb, fields: fc.array(bytesArb, { maxLength: 4 }), deleted: fc.boolean() }), { maxLength: 5 }),
    groups: fc.array(groupArb, { maxLength: 2 }), lastId: idArb, firstId: fc.option(idArb), entriesAdded: fc.option(fc.nat()),
  }).map((v) => ['stream', v] as const),
).chain(([dataType, value]) =>
  fc.record({ k: bytesArb, db: fc.nat({ max: 15 }), expireAt: fc.option(fc.nat()) }).map(({ k, db, expireAt }) => {
    if (dataType === 'hash') {
      const h = value as Array<[Uint8Array, Uint8Array, number | null]>;
      return key('hash', k, h.map(([f, v]) => [f, v] as HashEntry), { db, expireAt, fieldExpireAt: h.some((e) => e[2] !== null) ? h.map((e) => e[2]) : null });
    }
    if (dataType === 'stream') {
      const s = value as { entries: StreamEntry[]; groups: StreamGroup[]; lastId: StreamValue['lastId']; firstId: StreamValue['firstId']; entriesAdded: number | null };
      const v: StreamValue = { ...s, length: s.entries.filter((e) => !e.deleted).length, maxDeletedId: null, nodes: 1 };
      return key('stream', k, v, { db, expireAt });
    }
    return key(dataType, k, value, { db, expireAt });
  }),
);

/** Every byte string of a key event, in any order. */
function byteStrings(ev: KeyEvent): Uint8Array[] {
  const out = [ev.key];
  switch (ev.dataType) {
    case 'string': out.push(ev.value); break;
    case 'list': case 'set': out.push(...ev.value); break;
    case 'zset': out.push(...ev.value.map((e) => e[0])); break;
    case 'hash': for (const [f, v] of ev.value) out.push(f, v); break;
    case 'stream':
      for (const e of ev.value.entries) if (!e.deleted) out.push(...e.fields);
      for (const g of ev.value.groups) {
        out.push(g.name, ...g.consumers.map((c) => c.name));
        for (const p of g.pending) if (p.consumer) out.push(p.consumer);
      }
      break;
    case 'module': break;
  }
  return out;
}

function checkRecord(line: string, ev: KeyEvent, forced: boolean): void {
  expect(line.endsWith('\n')).toBe(true);
  expect(line.indexOf('\n')).toBe(line.length - 1);
  const rec = JSON.parse(line);
  const b64 = forced || !byteStrings(ev).every(decodes);
  expect(rec.bytes === 'base64').toBe(b64);
  const dec = (s: unknown): Buffer => {
    expect(typeof s).toBe('string');
    return b64 ? Buffer.from(s as string, 'base64') : Buffer.from(s as string, 'utf8');
  };
  const same = (s: unknown, b: Uint8Array): void => expect(dec(s).equals(Buffer.from(b))).toBe(true);
  const id = (i: { ms: unknown; seq: unknown }): string => `${i.ms}-${i.seq}`;
  expect(rec.db).toBe(ev.db);
  same(rec.key, ev.key);
  expect(rec.type).toBe(ev.dataType);
  expect(rec.expireAt).toBe(ev.expireAt ?? undefined);
  switch (ev.dataType) {
    case 'string': same(rec.value, ev.value); break;
    case 'list': case 'set':
      expect(rec.value).toHaveLength(ev.value.length);
      ev.value.forEach((b, i) => same(rec.value[i], b));
      break;
    case 'zset':
      expect(rec.value).toHaveLength(ev.value.length);
      ev.value.forEach(([m, sc], i) => {
        same(rec.value[i][0], m);
        const got = rec.value[i][1];
        if (Number.isNaN(sc)) expect(got).toBe('nan');
        else if (sc === Infinity || sc === -Infinity) expect(got).toBe(sc > 0 ? 'inf' : '-inf');
        else expect(Object.is(got, sc)).toBe(true);
      });
      break;
    case 'hash': {
      // Fields may repeat in random data; JSON.parse keeps the last, so compare the raw key order via entries.
      const entries = Object.entries(rec.value as Record<string, unknown>);
      const distinct = new Map<string, Uint8Array>();
      for (const [f, v] of ev.value) distinct.set(Buffer.from(f).toString('hex'), v);
      expect(entries).toHaveLength(distinct.size);
      for (const [f, v] of entries) same(v, distinct.get(dec(f).toString('hex'))!);
      const withTtl = ev.fieldExpireAt?.some((t) => t !== null) ?? false;
      expect(rec.fieldExpireAt !== undefined).toBe(withTtl);
      break;
    }
    case 'stream': {
      const live = ev.value.entries.filter((e) => !e.deleted);
      expect(rec.value.entries).toHaveLength(live.length);
      live.forEach((e, i) => {
        expect(rec.value.entries[i][0]).toBe(id(e.id));
        e.fields.forEach((f, k) => same(rec.value.entries[i][1][k], f));
      });
      ev.value.groups.forEach((g, i) => {
        const rg = rec.value.groups[i];
        same(rg.name, g.name);
        expect(rg.lastId).toBe(id(g.lastId));
        g.consumers.forEach((c, k) => same(rg.consumers[k].name, c.name));
        g.pending.forEach((p, k) => (p.consumer === null ? expect(rg.pending[k].consumer).toBeNull() : same(rg.pending[k].consumer, p.consumer)));
      });
      break;
    }
    case 'module': break;
  }
}

describe('every type, random byte strings (property)', () => {
  it('each line parses and gives back the exact bytes; streamed lines equal whole lines or fail loudly', () => {
    fc.assert(
      fc.property(keyEventArb, fc.integer({ min: 1, max: 4 }), fc.boolean(), (ev, per, forced) => {
        const opts = forced ? { bytes: 'base64' as const } : {};
        const whole = write([ev], opts);
        checkRecord(whole, ev, forced);
        try {
          expect(write(streamed(ev, per), opts)).toBe(whole);
        } catch (e) {
          // Only a text first chunk followed by non-UTF-8 may refuse; never a different line.
          if (!(e instanceof RdbkitError)) throw e;
          expect(e.code).toBe('OUTPUT');
          expect(forced).toBe(false);
          expect(whole).toContain('"bytes":"base64"');
        }
      }),
      { numRuns: 4000 },
    );
  });
});
