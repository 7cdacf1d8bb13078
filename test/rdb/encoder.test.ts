/**
 * decode(encode(x)) = x for every value the encoder writes, at every RDB
 * version it targets: the encoded value is wrapped in a file built here
 * (header, SELECTDB, type, key, value, EOF, CRC) and read back by the decoder.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { encodeValue, dumpPayload, ValueWriter } from '../../src/rdb/encoder.js';
import { parseRdbSync } from '../../src/index.js';
import { crc64 } from '../../src/rdb/crc64.js';
import type { KeyEvent } from '../../src/events.js';

function fileWith(version: number, type: number, value: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`REDIS${String(version).padStart(4, '0')}`);
  const body = [...head, 0xfe, 0x00, type, 0x01, 0x6b, ...value, 0xff];
  const crc = crc64(new Uint8Array(body));
  const tail = [...Array(8)].map((_, i) => Number((crc >> BigInt(8 * i)) & 0xffn));
  return new Uint8Array(version >= 5 ? [...body, ...tail] : body);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
function norm(ev: KeyEvent): unknown {
  switch (ev.dataType) {
    case 'string':
      return hex(ev.value);
    case 'list':
      return ev.value.map(hex);
    case 'set':
      return ev.value.map(hex).sort();
    case 'zset':
      return ev.value.map(([m, s]) => `${hex(m)}:${Object.is(s, -0) ? '-0' : s}`).sort();
    case 'hash':
      return ev.value.map(([f, v]) => `${hex(f)}=${hex(v)}`).sort();
    default:
      return null;
  }
}

const base = { type: 'key' as const, offset: 0, end: 0, db: 0, key: new Uint8Array([0x6b]), expireAt: null, lruIdle: null, lfuFreq: null, rdbType: 0, encoding: 'string' as const };
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((b) => new TextEncoder().encode(String(b))),
  fc.integer({ min: -1000, max: 1000 }).map((n) => new TextEncoder().encode(String(n))),
  fc.uint8Array({ minLength: 8000, maxLength: 9000 }),
);
const score = fc.oneof(fc.double({ noNaN: true }), fc.integer().map(Number), fc.constantFrom(-0, Infinity, -Infinity, 0.1, 2.37));
const uniq = <T>(arb: fc.Arbitrary<T[]>, key: (t: T) => string): fc.Arbitrary<T[]> => arb.map((xs) => [...new Map(xs.map((x) => [key(x), x])).values()]);

const values: fc.Arbitrary<KeyEvent> = fc.oneof(
  bytes.map((value) => ({ ...base, dataType: 'string', value }) as KeyEvent),
  fc.array(bytes, { maxLength: 300 }).map((value) => ({ ...base, dataType: 'list', value }) as KeyEvent),
  uniq(fc.array(bytes, { maxLength: 600 }), hex).map((value) => ({ ...base, dataType: 'set', value }) as KeyEvent),
  uniq(fc.array(fc.tuple(bytes, score), { maxLength: 200 }), ([m]) => hex(m)).map((value) => ({ ...base, dataType: 'zset', value }) as KeyEvent),
  uniq(fc.array(fc.tuple(bytes, bytes), { maxLength: 200 }), ([f]) => hex(f)).map((value) => ({ ...base, dataType: 'hash', value, fieldExpireAt: null }) as KeyEvent),
);

describe('value encoder', () => {
  for (const version of [6, 7, 8, 9, 10, 11, 12]) {
    it(`round-trips through the decoder at RDB version ${version}`, () => {
      fc.assert(
        fc.property(values, (ev) => {
          const enc = encodeValue(ev, version)!;
          const back = [...parseRdbSync(fileWith(version, enc.type, enc.bytes))].find((e): e is KeyEvent => e.type === 'key')!;
          expect(back.dataType).toBe(ev.dataType);
          expect(norm(back)).toEqual(norm(ev));
        }),
        { numRuns: 150 },
      );
    });
  }

  it('picks the encodings Redis picks', () => {
    const u = (s: string): Uint8Array => new TextEncoder().encode(s);
    const t = (ev: KeyEvent, v: number): number => encodeValue(ev, v)!.type;
    const ints = { ...base, dataType: 'set', value: [u('1'), u('-5'), u('9223372036854775807')] } as KeyEvent;
    const small = { ...base, dataType: 'set', value: [u('a'), u('b')] } as KeyEvent;
    expect([t(ints, 11), t(small, 11), t(small, 10)]).toEqual([11, 20, 2]);
    const list = { ...base, dataType: 'list', value: [u('a')] } as KeyEvent;
    expect([t(list, 12), t(list, 9), t(list, 6)]).toEqual([18, 14, 1]);
    const zs = { ...base, dataType: 'zset', value: [[u('a'), 1]] } as KeyEvent;
    expect([t(zs, 10), t(zs, 9)]).toEqual([17, 12]);
    const h = { ...base, dataType: 'hash', value: [[u('f'), u('v')]], fieldExpireAt: null } as KeyEvent;
    expect([t(h, 10), t(h, 9)]).toEqual([16, 13]);
  });

  it('strings: integer encodings, LZF only when it saves 4 bytes', () => {
    const w = new ValueWriter();
    w.str(new TextEncoder().encode('-129'));
    w.str(new TextEncoder().encode('007'));
    w.str(new TextEncoder().encode('a'.repeat(100)));
    const out = hex(w.result());
    expect(out.startsWith('c17fff' + '03303037' + 'c3')).toBe(true);
  });

  it('DUMP payloads match the bytes a peer asserts (librdb module.rdb)', () => {
    // 0781b5eb2dfffadd6c01 0506 76616c756531 00 | 0b00 | crc
    const value = Buffer.from('81b5eb2dfffadd6c0105067661' + '6c75653100', 'hex');
    expect(hex(dumpPayload(7, new Uint8Array(value), 11))).toBe('0781b5eb2dfffadd6c01050676616c756531000b0003b68b8a5844b9ff');
  });
});

describe('stream encoder', () => {
  it('round-trips every stream of the fixtures at versions 9, 10 and 11', async () => {
    const { readFileSync } = await import('node:fs');
    const path = await import('node:path');
    const file = new Uint8Array(readFileSync(path.resolve(__dirname, '../../fixtures/encodings-7.0.rdb')));
    const streams = [...parseRdbSync(file)].filter((e): e is KeyEvent & { dataType: 'stream' } => e.type === 'key' && e.dataType === 'stream');
    expect(streams.length).toBeGreaterThan(3);
    const j = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v) : typeof v === 'bigint' ? `${v}` : v));
    for (const ev of streams) {
      for (const version of [9, 10, 11]) {
        const enc = encodeValue(ev, version)!;
        expect(enc.type).toBe(version === 9 ? 15 : version === 10 ? 19 : 21);
        const back = [...parseRdbSync(fileWith(version, enc.type, enc.bytes))].find((e): e is KeyEvent & { dataType: 'stream' } => e.type === 'key')!;
        const a = ev.value;
        const b = back.value;
        expect(j(b.entries)).toBe(j(a.entries));
        expect(j([b.length, b.lastId])).toBe(j([a.length, a.lastId]));
        if (version >= 10) expect(j([b.firstId, b.maxDeletedId, b.entriesAdded])).toBe(j([a.firstId, a.maxDeletedId, a.entriesAdded]));
        const groups = (g: typeof a.groups) =>
          g.map((x) => ({ ...x, entriesRead: version >= 10 ? x.entriesRead : null, consumers: x.consumers.map((c) => ({ ...c, activeTime: version >= 11 ? c.activeTime ?? c.seenTime : null })) }));
        expect(j(b.groups)).toBe(j(groups(a.groups)));
      }
    }
  });
});

describe('hashes with field expiries', () => {
  const ttlHash = fc
    .array(fc.tuple(fc.uint8Array({ maxLength: 70 }), fc.uint8Array({ maxLength: 70 }), fc.option(fc.integer({ min: 1, max: 2 ** 47 }), { nil: null })), { minLength: 1, maxLength: 200 })
    .map((rows) => [...new Map(rows.map((r) => [hex(r[0]), r])).values()])
    .filter((rows) => rows.some((r) => r[2] !== null));

  it('round-trip as types 25 and 24 at RDB 12, fields keeping their TTLs', () => {
    const seen = new Set<number>();
    fc.assert(
      fc.property(ttlHash, (rows) => {
        const ev = { ...base, dataType: 'hash', value: rows.map(([f, v]) => [f, v]), fieldExpireAt: rows.map((r) => r[2]) } as KeyEvent;
        const enc = encodeValue(ev, 12)!;
        seen.add(enc.type);
        const back = [...parseRdbSync(fileWith(12, enc.type, enc.bytes))].find((e): e is KeyEvent & { dataType: 'hash' } => e.type === 'key')!;
        const got = back.value.map(([f, v], i) => `${hex(f)}=${hex(v)}@${back.fieldExpireAt?.[i] ?? null}`).sort();
        expect(got).toEqual(rows.map(([f, v, t]) => `${hex(f)}=${hex(v)}@${t}`).sort());
        expect(encodeValue(ev, 11)).toBeNull();
      }),
      { numRuns: 300 },
    );
    expect(seen.has(25)).toBe(true);
    // A hash past the listpack limits becomes type 24 (TTLs relative to the smallest).
    const big = Array.from({ length: 150 }, (_, i) => [new TextEncoder().encode(`f${i}`), new TextEncoder().encode(`v${i}`)] as [Uint8Array, Uint8Array]);
    const ttl = big.map((_, i) => (i % 3 === 0 ? 1700000000000 + i * 1000 : null));
    const ev = { ...base, dataType: 'hash', value: big, fieldExpireAt: ttl } as KeyEvent;
    const enc = encodeValue(ev, 12)!;
    expect(enc.type).toBe(24);
    const back = [...parseRdbSync(fileWith(12, enc.type, enc.bytes))].find((e): e is KeyEvent & { dataType: 'hash' } => e.type === 'key')!;
    expect(back.fieldExpireAt).toEqual(ttl);
  });
});
