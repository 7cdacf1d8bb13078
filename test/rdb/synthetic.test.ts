/**
 * What no real dump in the corpus covers, built byte by byte here from
 * format.md: RDB version 1, the seconds EXPIRETIME opcode, keys before any
 * SELECTDB, the empty key, Valkey's SLOT_IMPORT and HASH_2, Redis
 * Enterprise opcodes, newer versions (refused, or best effort), large
 * values arriving in chunks.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { RdbkitError, parseRdbSync, parseRdb } from '../../src/index.js';
import { crc64 } from '../../src/rdb/crc64.js';
import type { KeyEvent, RdbEvent } from '../../src/events.js';

const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const str = (s: string): number[] => [s.length, ...ascii(s)]; // lengths < 64 only
const le64 = (v: bigint): number[] => [...Array(8)].map((_, i) => Number((BigInt.asUintN(64, v) >> BigInt(8 * i)) & 0xffn));

/** A file: header + body + EOF (+ CRC from version 5). */
function rdb(header: string, body: number[], withCrc = true): Uint8Array {
  const b = [...ascii(header), ...body, 0xff];
  if (withCrc) b.push(...le64(crc64(new Uint8Array(b))));
  return new Uint8Array(b);
}

const keys = (bytes: Uint8Array, opts = {}): KeyEvent[] => [...parseRdbSync(bytes, opts)].filter((e): e is KeyEvent => e.type === 'key');
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

function errorOf(fn: () => void): RdbkitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RdbkitError);
    return e as RdbkitError;
  }
  throw new Error('expected an error');
}

describe('synthetic dumps', () => {
  it('version 1: no checksum, seconds EXPIRETIME, keys before any SELECTDB go to db 0, the empty key', () => {
    const file = rdb('REDIS0001', [
      0xfd, ...[0x00, 0x5e, 0xd0, 0xb2].reverse().reverse(), 0x00, ...str('k'), ...str('v'), // EXPIRETIME 0xb2d05e00 = 3000000000 s (i32: negative!)
      0x00, ...str(''), ...str('empty key'),
      0xfe, 0x02, 0x01, ...str('l'), 0x02, ...str('a'), ...str('b'),
    ], false);
    const ks = keys(file);
    expect(ks.map((k) => [k.db, text(k.key)])).toEqual([[0, 'k'], [0, ''], [2, 'l']]);
    // EXPIRETIME is a signed 32-bit count of seconds
    expect(ks[0]!.expireAt).toBe(new DataView(new Uint8Array([0x00, 0x5e, 0xd0, 0xb2]).buffer).getInt32(0, true) * 1000);
    expect((ks[2]!.value as Uint8Array[]).map(text)).toEqual(['a', 'b']);
    const eof = [...parseRdbSync(file)].find((e) => e.type === 'eof')!;
    expect(eof).toMatchObject({ storedChecksum: null, verified: false });
  });

  it('VALKEY080: SLOT_IMPORT and HASH_2 with -1 = no TTL and 0 = a real (past) TTL', () => {
    const file = rdb('VALKEY080', [
      0xf3, ...str('j'.repeat(40)), 0x02, 0x00, 0x40, 0x64, 0x41, 0x00, 0x41, 0x01, // 2 ranges: 0-100, 256-257
      0xfe, 0x00,
      0x16, ...str('h'), 0x02, ...str('f1'), ...str('v1'), ...le64(-1n), ...str('f2'), ...str('v2'), ...le64(0n),
    ]);
    const evs = [...parseRdbSync(file)];
    const imp = evs.find((e) => e.type === 'slotImport')!;
    expect(imp.type === 'slotImport' && imp.ranges).toEqual([[0, 100], [256, 257]]);
    const h = evs.find((e) => e.type === 'key') as KeyEvent & { dataType: 'hash' };
    expect(h.dataType).toBe('hash');
    expect(h.fieldExpireAt).toEqual([null, 0]);
    // the same type byte in a REDIS file means HASH_METADATA_PRE_GA (TTL before the field)
    const redis = rdb('REDIS0012', [0xfe, 0x00, 0x16, ...str('h'), 0x01, 0x05, ...str('f'), ...str('v')]);
    const r = keys(redis)[0] as KeyEvent & { dataType: 'hash' };
    expect(r.fieldExpireAt).toEqual([5]);
    // types 23–25 mean nothing to Valkey 9
    expect(errorOf(() => keys(rdb('VALKEY080', [0x19, ...str('h')]))).code).toBe('UNKNOWN_TYPE');
  });

  it('Redis Enterprise opcodes 107 and 121 are skipped', () => {
    const file = rdb('REDIS0012', [0xfe, 0x00, 0x6b, 0x05, 0x79, 0x40, 0x10, 0x00, ...str('k'), ...str('v')]);
    expect(keys(file).map((k) => text(k.key))).toEqual(['k']);
  });

  it('newer versions are refused by default and read best-effort on request, stopping at the first unknown tag', () => {
    const known = rdb('REDIS0013', [0xfe, 0x00, 0x00, ...str('k'), ...str('v')]);
    const e = errorOf(() => keys(known));
    expect(e.code).toBe('UNSUPPORTED_VERSION');
    expect(e.message).toMatch(/newer/);
    expect(keys(known, { allowFutureVersions: true }).map((k) => text(k.key))).toEqual(['k']);
    const unknown = rdb('REDIS0013', [0xfe, 0x00, 0x00, ...str('k'), ...str('v'), 0x1a, ...str('s')]);
    const u = errorOf(() => keys(unknown, { allowFutureVersions: true }));
    expect(u.code).toBe('UNKNOWN_TYPE');
    expect(u.offset).toBe(9 + 2 + 5);
    expect(errorOf(() => keys(rdb('VALKEY081', [])).length).code).toBe('UNSUPPORTED_VERSION');
    expect(keys(rdb('VALKEY081', [0xfe, 0x00, 0x00, ...str('k'), ...str('v')]), { allowFutureVersions: true }).length).toBe(1);
    expect(errorOf(() => keys(rdb('REDIS0080', []))).code).toBe('UNSUPPORTED_VERSION');
    expect(errorOf(() => keys(rdb('VALKEY011', []))).code).toBe('UNSUPPORTED_VERSION');
    expect(errorOf(() => keys(new Uint8Array(ascii('HELLO0011')))).code).toBe('BAD_MAGIC');
  });

  it('a pre-GA module value needs a parser; a MODULE_2 value is kept whole', () => {
    const id = [0x81, 0x85, 0xe9, 0x65, 0xa2, 0xdc, 0xa9, 0x78, 0x00]; // "hellotype", encver 0
    const e = errorOf(() => keys(rdb('REDIS0008', [0xfe, 0x00, 0x06, ...str('m'), ...id, 0x01, 0x05])));
    expect(e.code).toBe('MODULE_NEEDS_PARSER');
    expect(e.message).toContain('hellotype');
    const m = keys(rdb('REDIS0009', [0xfe, 0x00, 0x07, ...str('m'), ...id, 0x02, 0x05, 0x05, ...str('x'), 0x00]))[0]!;
    expect(m.dataType).toBe('module');
    expect(m.dataType === 'module' && [m.value.module, m.value.encver, Buffer.from(m.value.payload).toString('hex')]).toEqual([
      'hellotype', 0, Buffer.from([...id, 0x02, 0x05, 0x05, ...str('x'), 0x00]).toString('hex'),
    ]);
  });
});

describe('large values arrive in chunks, with memory bounded by the chunk size', () => {
  it('a 5 MB string and a 200k-element list come as keyStart, keyChunk…, keyEnd', async () => {
    const big = Buffer.alloc(5 << 20, 'x');
    const head = Buffer.from([...ascii('REDIS0009'), 0xfe, 0x00, 0x00, ...str('s'), 0x80, ...[0, 0x50, 0, 0]]);
    const items: number[] = [0x01, ...str('l'), 0x80, 0x00, 0x03, 0x0d, 0x40];
    for (let i = 0; i < 200_000; i++) items.push(...str(`e${i % 1000}`));
    const body = Buffer.concat([head, big, Buffer.from(items), Buffer.from([0xff])]);
    const file = Buffer.concat([body, Buffer.from(le64(crc64(body)))]);
    // Feed it in 64 KiB chunks, as a stream would.
    const chunks = function* (): Generator<Uint8Array> {
      for (let i = 0; i < file.length; i += 65536) yield new Uint8Array(file.subarray(i, i + 65536));
    };
    const seen: RdbEvent[] = [];
    let strBytes = 0;
    let elements = 0;
    let maxChunk = 0;
    for await (const ev of parseRdb(chunks(), { chunkBytes: 256 * 1024 })) {
      if (ev.type === 'keyChunk') {
        if (ev.dataType === 'string') {
          strBytes += ev.value.length;
          maxChunk = Math.max(maxChunk, ev.value.length);
        } else if (ev.dataType === 'list') elements += ev.value.length;
      } else seen.push(ev);
    }
    expect(seen.map((e) => e.type)).toEqual(['header', 'selectDb', 'keyStart', 'keyEnd', 'keyStart', 'keyEnd', 'eof']);
    expect(strBytes).toBe(big.length);
    expect(maxChunk).toBeLessThanOrEqual(256 * 1024);
    expect(elements).toBe(200_000);
  });
});

describe('fixtures read through the public API exactly like the corpus does', () => {
  it('a Node stream and a web ReadableStream give the same events as bytes', async () => {
    const file = path.resolve(__dirname, '../../fixtures/encodings-7.0.rdb');
    const bytes = new Uint8Array(readFileSync(file));
    const norm = (evs: RdbEvent[]): string => JSON.stringify(evs, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : typeof v === 'bigint' ? `${v}` : v));
    const whole = norm([...parseRdbSync(bytes)]);
    const { createReadStream } = await import('node:fs');
    const viaNode: RdbEvent[] = [];
    for await (const ev of parseRdb(createReadStream(file, { highWaterMark: 1000 }))) viaNode.push(ev);
    expect(norm(viaNode)).toBe(whole);
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 777) c.enqueue(bytes.slice(i, i + 777));
        c.close();
      },
    });
    const viaWeb: RdbEvent[] = [];
    for await (const ev of parseRdb(web)) viaWeb.push(ev);
    expect(norm(viaWeb)).toBe(whole);
  });
});
