/**
 * JSON Lines writer: the contract of design.md section 5, checked on
 * hand-built events, and its byte handling checked against independent
 * implementations (TextDecoder's strict UTF-8, Buffer's base64, JSON.parse).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JsonlWriter, RdbkitError } from '../../src/index.js';
import type { KeyEvent, RdbEvent, StreamValue } from '../../src/events.js';
import { streamed } from '../helpers/events.js';

const te = new TextEncoder();
const u = (s: string): Uint8Array => te.encode(s);

function key(dataType: KeyEvent['dataType'], k: string | Uint8Array, value: unknown, extra: Partial<KeyEvent> = {}): KeyEvent {
  return {
    type: 'key', offset: 0, end: 0, db: 0, key: typeof k === 'string' ? u(k) : k,
    expireAt: null, lruIdle: null, lfuFreq: null, rdbType: 0, encoding: 'string', dataType,
    value, ...(dataType === 'hash' ? { fieldExpireAt: null } : {}), ...extra,
  } as KeyEvent;
}

function write(events: RdbEvent[], opts: ConstructorParameters<typeof JsonlWriter>[0] = {}): string {
  const w = new JsonlWriter(opts);
  const out: Uint8Array[] = [];
  for (const e of events) {
    w.write(e);
    out.push(...w.take());
  }
  w.end();
  out.push(...w.take());
  return Buffer.concat(out).toString('utf8');
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
    const strict = new TextDecoder('utf-8', { fatal: true });
    const isUtf8 = (b: Uint8Array): boolean => {
      try {
        strict.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ unit: 'binary' }).map(u)), { minLength: 1, maxLength: 6 }), (parts) => {
        const rec = JSON.parse(write([key('list', parts[0]!, parts.slice(1))]));
        const allText = parts.every(isUtf8);
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
