/**
 * Stream nodes walked element by element (walkStreamNode), on both of the
 * decoder's paths: events (decodeStreamNode) and a sink with `streamEntry`
 * (RespWriter writes each XADD as the entry comes, or a whole node in its
 * WebAssembly kernel). Input: streams built here
 * by hand from a model — master IDs and deltas up to 2^64 (IDs past 2^53 are
 * bigints), entries with and without SAMEFIELDS, tombstones, integer and big
 * integer values — and the truth is the model: the entries it holds, and the
 * RESP a reader of Redis's AOF rewrite expects for them, written here from
 * the model. Damaged nodes fail the same way on both paths.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RdbDecoder } from '../../src/rdb/decoder.js';
import { RespWriter } from '../../src/writers/resp.js';
import { RdbkitError } from '../../src/errors.js';
import { resetKernels } from '../../src/rdb/kernels.js';
import type { KeyEvent, StreamEntry } from '../../src/events.js';
import { prng } from '../../scripts/shared.mjs';
import { listpack, rdbLen, type LpElement } from '../helpers/hand-bytes.js';
import { bytewise, random, whole, writeThrough } from '../helpers/pieces.js';

const U64 = 1n << 64n;

interface ModelEntry {
  ms: bigint;
  seq: bigint;
  deleted: boolean;
  same: boolean;
  fields: string[]; // field, value, …
}

interface Model {
  key: string;
  masterMs: bigint;
  masterSeq: bigint;
  masterFields: string[];
  entries: ModelEntry[];
}

/** A listpack element for text: an integer where Redis would store one (canonical int64 text), else a string. */
function el(text: string): LpElement {
  if (/^(0|-?[1-9][0-9]{0,18})$/.test(text)) {
    const v = BigInt(text);
    if (v >= -(1n << 63n) && v < 1n << 63n) return { i: v };
  }
  return { s: Buffer.from(text, 'latin1') };
}

function rdbStr(b: Buffer): Buffer {
  return Buffer.concat([rdbLen(b.length), b]);
}

/** The node's listpack, as t_stream.c lays it out (format.md 8.1). */
function nodeListpack(m: Model, wide: boolean[], tamper?: (els: LpElement[]) => void): Buffer {
  const els: LpElement[] = [];
  const live = m.entries.filter((e) => !e.deleted).length;
  els.push({ i: BigInt(live) }, { i: BigInt(m.entries.length - live) }, { i: BigInt(m.masterFields.length) });
  for (const f of m.masterFields) els.push(el(f));
  els.push({ i: 0n });
  for (const e of m.entries) {
    els.push({ i: BigInt((e.deleted ? 1 : 0) | (e.same ? 2 : 0)) });
    els.push({ i: BigInt.asIntN(64, e.ms - m.masterMs) }, { i: BigInt.asIntN(64, e.seq - m.masterSeq) });
    if (e.same) {
      for (let k = 1; k < e.fields.length; k += 2) els.push(el(e.fields[k]!));
      els.push({ i: BigInt(m.masterFields.length + 3) });
    } else {
      els.push({ i: BigInt(e.fields.length / 2) });
      for (const f of e.fields) els.push(el(f));
      els.push({ i: BigInt(e.fields.length + 4) });
    }
  }
  tamper?.(els);
  return listpack(els, wide);
}

/** An RDB 9 file with the model as one stream (type 15: no metadata past the last ID, no groups). */
function streamFile(m: Model, wide: boolean[] = [false], tamper?: (els: LpElement[]) => void): Uint8Array {
  const id = Buffer.alloc(16);
  id.writeBigUInt64BE(m.masterMs, 0);
  id.writeBigUInt64BE(m.masterSeq, 8);
  const last = m.entries.length > 0 ? m.entries[m.entries.length - 1]! : { ms: 0n, seq: 0n };
  const len = (v: bigint): Buffer => {
    if (v < 1n << 32n) return rdbLen(Number(v), '32');
    const b = Buffer.alloc(9);
    b[0] = 0x81;
    b.writeBigUInt64BE(v, 1);
    return b;
  };
  return new Uint8Array(
    Buffer.concat([
      Buffer.from('REDIS0009', 'latin1'),
      Buffer.from([0xfe, 0x00, 0x0f]),
      rdbStr(Buffer.from(m.key, 'latin1')),
      rdbLen(1),
      rdbStr(id),
      rdbStr(nodeListpack(m, wide, tamper)),
      len(BigInt(m.entries.filter((e) => !e.deleted).length)),
      len(last.ms),
      len(last.seq),
      rdbLen(0),
      Buffer.from([0xff]),
      Buffer.alloc(8), // checksum 0: not verified
    ]),
  );
}

function bulk(s: string): string {
  return `$${Buffer.byteLength(s, 'latin1')}\r\n${s}\r\n`;
}

/** What RespWriter must write for the model (design.md 7: XADD per live entry, then XSETID; a stream with no live entry is created and trimmed first). */
function expectedResp(m: Model): string {
  let out = '*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n';
  const live = m.entries.filter((e) => !e.deleted);
  for (const e of live) {
    out += `*${3 + e.fields.length}\r\n` + bulk('XADD') + bulk(m.key) + bulk(`${e.ms}-${e.seq}`);
    for (const f of e.fields) out += bulk(f);
  }
  if (live.length === 0) out += '*7\r\n' + ['XADD', m.key, 'MAXLEN', '0', '0-1', 'x', 'y'].map(bulk).join('');
  const last = m.entries.length > 0 ? m.entries[m.entries.length - 1]! : { ms: 0n, seq: 0n };
  out += '*3\r\n' + bulk('XSETID') + bulk(m.key) + bulk(`${last.ms}-${last.seq}`);
  return out;
}

function randomModel(rnd: () => number, n: number): Model {
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)]!;
  const big = (): bigint => BigInt(Math.floor(rnd() * 2 ** 32)) * (1n << 32n) + BigInt(Math.floor(rnd() * 2 ** 32));
  const text = (): string =>
    pick([
      () => '',
      () => String(Math.floor(rnd() * 1000)),
      () => String(-Math.floor(rnd() * 1e6)),
      () => String(BigInt.asIntN(64, big())), // int64 text, often past 2^53
      () => '007', // digits, but not an integer Redis would store as one
      () => Array.from({ length: Math.floor(rnd() * 70) }, () => String.fromCharCode(32 + Math.floor(rnd() * 95))).join(''),
    ])();
  const masterMs = pick([() => 1700000000000n, () => (1n << 53n) - 3n, () => U64 - 5n, () => big()])();
  const masterSeq = pick([() => 0n, () => U64 - 2n, () => BigInt(Math.floor(rnd() * 100))])();
  const masterFields = Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => pick(['event', 'n', String(i), `f${i}`]));
  const entries: ModelEntry[] = [];
  let ms = masterMs;
  let seq = masterSeq;
  for (let i = 0; i < n; i++) {
    ms = (ms + BigInt(Math.floor(rnd() * 3)) * (rnd() < 0.1 ? 1n << 40n : 1n)) % U64;
    seq = (seq + 1n) % U64;
    const same = rnd() < 0.6;
    const fields: string[] = [];
    if (same) for (const f of masterFields) fields.push(f, text());
    else for (let k = Math.floor(rnd() * 4); k > 0; k--) fields.push(pick(['event', 'user', text()]), text());
    entries.push({ ms, seq, deleted: rnd() < 0.2, same, fields });
  }
  return { key: `stream:${n}`, masterMs, masterSeq, masterFields, entries };
}

function entriesOf(bytes: Uint8Array, tombstones: boolean): StreamEntry[] {
  const d = new RdbDecoder({ tombstones });
  d.push(bytes);
  d.end();
  const out: StreamEntry[] = [];
  for (let ev; (ev = d.read()) !== undefined; ) if (ev.type === 'key') out.push(...(ev as KeyEvent & { dataType: 'stream' }).value.entries);
  return out;
}

afterEach(() => resetKernels());

/** Stream nodes RespWriter's kernel wrote (streamNode), counted across calls. */
let kernelNodes = 0;
const streamNode = RespWriter.prototype.streamNode;
RespWriter.prototype.streamNode = function (this: RespWriter, nodeKey: Uint8Array, lp: Uint8Array): number {
  const n = streamNode.call(this, nodeKey, lp);
  if (n >= 0) kernelNodes++;
  return n;
};

/** RESP of the stream: through the sink (with the WebAssembly kernel, or `js`: the JavaScript walker) or as events. */
function respOf(pieces: Iterable<Uint8Array>, sink: boolean, js = false): string {
  resetKernels(js);
  const w = new RespWriter();
  const out = writeThrough(pieces, w, { sink: sink ? w : null }).toString('latin1');
  // The stream went the way asked: through the sink, or as events.
  expect(w.sinkKeys).toBe(sink ? 1 : 0);
  return out;
}

/** `ok` and the RESP of the whole input (as respOf), or the RdbkitError's code, message and offset. */
function outcomeOf(bytes: Uint8Array, sink: boolean, js: boolean): string {
  try {
    return 'ok ' + respOf(whole(bytes), sink, js);
  } catch (e) {
    if (!(e instanceof RdbkitError)) throw e;
    return `${e.code} ${e.message} @${e.offset}`;
  }
}

const id = (v: bigint): number | bigint => (v < 1n << 53n ? Number(v) : v);

describe('stream nodes, element by element', () => {
  it('give the entries of the model on the event path, tombstones only when asked', () => {
    const rnd = prng(7);
    for (let t = 0; t < 200; t++) {
      const m = randomModel(rnd, 1 + Math.floor(rnd() * 12));
      const bytes = streamFile(m, [rnd() < 0.5, false, rnd() < 0.3]);
      for (const tombstones of [false, true]) {
        const want = m.entries
          .filter((e) => tombstones || !e.deleted)
          .map((e) => ({ id: { ms: id(e.ms), seq: id(e.seq) }, deleted: e.deleted, fields: e.fields }));
        const got = entriesOf(bytes, tombstones).map((e) => ({ id: e.id, deleted: e.deleted, fields: e.fields.map((f) => Buffer.from(f).toString('latin1')) }));
        expect(got).toEqual(want);
      }
    }
  });

  it('give the RESP of the model through the sink and as events: whole, byte by byte, random splits', () => {
    const rnd = prng(11);
    for (let t = 0; t < 120; t++) {
      const m = randomModel(rnd, Math.floor(rnd() * 10));
      if (m.entries.length === 0) continue; // a node has at least its master entry and one entry in real files
      const bytes = streamFile(m, [rnd() < 0.5]);
      const want = expectedResp(m);
      expect(respOf(whole(bytes), false)).toBe(want);
      expect(respOf(whole(bytes), true)).toBe(want);
      expect(respOf(whole(bytes), true, true)).toBe(want);
      expect(respOf(random(bytes, t + 1), true)).toBe(want);
      if (t % 10 === 0) expect(respOf(bytewise(bytes), true)).toBe(want);
    }
    // The kernel wrote most nodes (it leaves flags beyond 3 and such to JavaScript).
    expect(kernelNodes).toBeGreaterThan(200);
  });

  it('damaged nodes: the same RdbkitError (code, message, offset) through the sink as on the event path', () => {
    const rnd = prng(13);
    let failures = 0;
    for (let t = 0; t < 400; t++) {
      const m = randomModel(rnd, 1 + Math.floor(rnd() * 6));
      const bytes = streamFile(m);
      // Damage a byte of the node's listpack region (after the header, key and node key).
      const lpStart = 9 + 3 + 1 + m.key.length + 1 + 17;
      const at = lpStart + Math.floor(rnd() * (bytes.length - 9 - lpStart - 20));
      const bad = bytes.slice();
      bad[at] = rnd() < 0.5 ? bad[at]! ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
      const outcome = (sink: boolean, js = false): string => outcomeOf(bad, sink, js);
      const events = outcome(false);
      expect(outcome(true)).toBe(events);
      expect(outcome(true, true), 'without WebAssembly').toBe(events);
      if (!events.startsWith('ok')) failures++;
    }
    // Most damage is caught (the rest changes a value or an ID, which both paths then write).
    expect(failures).toBeGreaterThan(150);
  });

  it('nodes whose layout is off by one element or one count: the same outcome with the kernel, the JavaScript walker and events', () => {
    const rnd = prng(17);
    const bump = (els: LpElement[], i: number, by: bigint): void => {
      const e = els[i]!;
      if ('i' in e) els[i] = { i: e.i + by };
    };
    const tampers: Array<[string, (els: LpElement[]) => void]> = [
      ['live count + 1', (els) => bump(els, 0, 1n)],
      ['live count - 1', (els) => bump(els, 0, -1n)],
      ['deleted count + 1', (els) => bump(els, 1, 1n)],
      ['master field count + 1', (els) => bump(els, 2, 1n)],
      ['last back-count + 1', (els) => bump(els, els.length - 1, 1n)],
      ['last element gone', (els) => void els.pop()],
      ['a trailing element', (els) => void els.push({ i: 1n })],
      ['first flags 4', (els) => (els[3 + Number((els[2] as { i: bigint }).i) + 1] = { i: 4n })],
      ['first entry deleted or not', (els) => {
        const at = 3 + Number((els[2] as { i: bigint }).i) + 1;
        els[at] = { i: (els[at] as { i: bigint }).i ^ 1n };
      }],
      ['live count as text', (els) => (els[0] = { s: Buffer.from(String((els[0] as { i: bigint }).i)) })],
    ];
    const seen = new Set<string>();
    for (let t = 0; t < 60; t++) {
      const m = randomModel(rnd, 1 + Math.floor(rnd() * 8));
      for (const [what, tamper] of tampers) {
        const bytes = streamFile(m, [false], tamper);
        const outcome = (sink: boolean, js: boolean): string => outcomeOf(bytes, sink, js);
        const events = outcome(false, false);
        expect(outcome(true, false), what).toBe(events);
        expect(outcome(true, true), `${what}, without WebAssembly`).toBe(events);
        seen.add(events.startsWith('CORRUPT') ? events.replace(/ @\d+$/, '') : 'written');
      }
    }
    // Each check of the node's layout was met at least once.
    for (const m of ['stream node says', 'back-count does not match', 'listpack ends early', 'trailing elements', 'written']) {
      expect([...seen].some((s) => s.includes(m)), m).toBe(true);
    }
  });
});
