/**
 * Checks a decoded dump against an expectation file in the corpus schema
 * `rdb-corpus-expected/1` (../shared/corpus/MANIFEST.md). Used for the
 * corpus and for the project's own fixtures (same schema).
 */
import { expect } from 'vitest';
import { RdbkitError, parseRdbSync, type ParseRdbOptions } from '../../src/index.js';
import type { KeyEvent, RdbEvent, StreamId, StreamValue, FunctionEvent, SlotInfoEvent } from '../../src/events.js';

/** What a decode produced, gathered for checking. */
export interface Decoded {
  error: RdbkitError | null;
  events: RdbEvent[];
  /** Key events by `db` then key hex; the last record wins for duplicate keys. */
  dbs: Map<number, Map<string, KeyEvent>>;
  /** Key records in file order. */
  records: KeyEvent[];
  /** The SLOT_INFO in force at each key record. */
  slotAtKey: Array<SlotInfoEvent | null>;
  aux: Array<[Buffer, Buffer]>;
  functions: FunctionEvent[];
  version: number | null;
  storedChecksum: bigint | null;
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** Decodes `bytes` whole and gathers the result; errors are caught into `error`. */
export function decodeAll(bytes: Uint8Array, options: ParseRdbOptions = {}): Decoded {
  const d: Decoded = { error: null, events: [], dbs: new Map(), records: [], slotAtKey: [], aux: [], functions: [], version: null, storedChecksum: null };
  let slot: SlotInfoEvent | null = null;
  try {
    for (const ev of parseRdbSync(bytes, options)) {
      d.events.push(ev);
      switch (ev.type) {
        case 'header':
          d.version = ev.version;
          break;
        case 'aux':
          d.aux.push([Buffer.from(ev.name), Buffer.from(ev.value)]);
          break;
        case 'function':
          d.functions.push(ev);
          break;
        case 'slotInfo':
          slot = ev;
          break;
        case 'eof':
          d.storedChecksum = ev.storedChecksum;
          break;
        case 'key': {
          let m = d.dbs.get(ev.db);
          if (!m) d.dbs.set(ev.db, (m = new Map()));
          m.set(hex(ev.key), ev);
          d.records.push(ev);
          d.slotAtKey.push(slot);
          break;
        }
        case 'keyStart':
          throw new Error('test decodes expect whole key events; raise chunkBytes');
      }
    }
  } catch (e) {
    if (!(e instanceof RdbkitError)) throw e;
    d.error = e;
  }
  return d;
}

type ExpBytes = string | { hex: string };

/** Bytes of an expected string: UTF-8 text or `{"hex": …}`. */
export function expBytes(v: ExpBytes): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.hex, 'hex');
}

/** Bytes of an expected object key: UTF-8 text, or `hex:<hex>`. */
export function expKey(k: string): Buffer {
  return k.startsWith('hex:') ? Buffer.from(k.slice(4), 'hex') : Buffer.from(k, 'utf8');
}

function expScore(v: number | string): number {
  if (v === 'inf' || v === '+inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return Number(v);
}

const idText = (id: StreamId): string => `${id.ms}-${id.seq}`;
const b = (x: Uint8Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.length);

const ERROR_CODES: Record<string, string[]> = {
  'unsupported-version': ['UNSUPPORTED_VERSION'],
  'checksum-mismatch': ['CHECKSUM_MISMATCH'],
  corrupt: ['CORRUPT', 'TRUNCATED'],
  'module-needs-parser': ['MODULE_NEEDS_PARSER'],
};

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Asserts every fact of `exp` (a parsed expected.json) about `d`. */
export interface CheckOptions {
  ignoreOutcome?: boolean;
  /**
   * Allowed difference for `lru_idle_s`, in seconds. Default 1: the fixtures
   * record OBJECT IDLETIME, which can drift by a second from what SAVE wrote.
   * The corpus transcribes exact values and passes 0.
   */
  idleTolerance?: number;
}

export function checkExpected(exp: any, d: Decoded, opts: CheckOptions = {}): void {
  if (!opts.ignoreOutcome) {
    if (exp.outcome === 'error') {
      expect(d.error, 'decoding must fail').not.toBeNull();
      expect(ERROR_CODES[exp.error] ?? [], `error code for ${exp.error}`).toContain(d.error!.code);
      return;
    }
    if (d.error) throw d.error;
  }
  if (exp.rdb_version !== undefined) expect(d.version).toBe(exp.rdb_version);
  const c = exp.counts ?? {};
  const distinct = [...d.dbs.values()].reduce((n, m) => n + m.size, 0);
  if (c.keys !== undefined) expect(distinct, 'distinct keys').toBe(c.keys);
  if (c.records_including_duplicates !== undefined) expect(d.records.length).toBe(c.records_including_duplicates);
  if (c.aux !== undefined) expect(d.aux.length, 'aux records').toBe(c.aux);
  if (c.functions !== undefined) expect(d.functions.length, 'functions').toBe(c.functions);
  if (c.keys_by_rdb_type !== undefined) {
    const by: Record<string, number> = {};
    for (const m of d.dbs.values()) for (const k of m.values()) by[k.rdbType] = (by[k.rdbType] ?? 0) + 1;
    // Only the listed types are asserted.
    for (const [t, n] of Object.entries(c.keys_by_rdb_type as Record<string, number>)) expect(by[t] ?? 0, `keys of rdb type ${t}`).toBe(n);
  }
  if (c.records_by_type !== undefined) {
    const by: Record<string, number> = {};
    for (const k of d.records) by[k.dataType] = (by[k.dataType] ?? 0) + 1;
    for (const [t, n] of Object.entries(c.records_by_type as Record<string, number>)) {
      expect(by[t === 'sortedset' ? 'zset' : t] ?? 0, `records of type ${t}`).toBe(n);
    }
  }
  if (exp.aux) {
    for (const [name, value] of Object.entries(exp.aux as Record<string, ExpBytes>)) {
      const found = d.aux.filter(([n]) => n.equals(Buffer.from(name)));
      expect(found.length, `aux ${name}`).toBeGreaterThan(0);
      expect(found.some(([, v]) => v.equals(expBytes(value))), `aux ${name} value`).toBe(true);
    }
  }
  if (exp.checksum?.stored_hex !== undefined) {
    expect(d.storedChecksum?.toString(16).padStart(16, '0')).toBe(exp.checksum.stored_hex);
  }
  if (exp.functions) {
    expect(d.functions.length).toBe(exp.functions.length);
    exp.functions.forEach((f: any, i: number) => {
      const got = d.functions[i]!;
      if (f.opcode !== undefined) expect(got.opcode).toBe(f.opcode);
      if (f.code !== undefined) expect(b(got.code).toString()).toBe(f.code);
      if (f.name !== undefined && got.opcode === 246) expect(b(got.name!).toString()).toBe(f.name);
      if (f.engine !== undefined && got.opcode === 246) expect(b(got.engine!).toString()).toBe(f.engine);
      if (f.description !== undefined && got.opcode === 246) expect(got.description ? b(got.description).toString() : null).toBe(f.description);
    });
  }
  for (const db of exp.absent_dbs ?? []) expect(d.dbs.has(Number(db)), `db ${db} absent`).toBe(false);
  if (exp.complete && exp.dbs) {
    // A complete expectation lists every database that holds keys.
    expect([...d.dbs.keys()].sort((x, y) => x - y), 'databases holding keys').toEqual(Object.keys(exp.dbs).map(Number).sort((x, y) => x - y));
  }
  for (const [dbName, dbExp] of Object.entries((exp.dbs ?? {}) as Record<string, any>)) {
    const m = d.dbs.get(Number(dbName)) ?? new Map<string, KeyEvent>();
    if (dbExp.key_count !== undefined) expect(m.size, `db ${dbName} key count`).toBe(dbExp.key_count);
    if (exp.complete && dbExp.keys) expect(m.size, `db ${dbName} is complete`).toBe(Object.keys(dbExp.keys).length);
    for (const k of dbExp.absent_keys ?? []) expect(m.has(expKey(k).toString('hex')), `key ${k} absent`).toBe(false);
    if (dbExp.key_order) {
      const order = d.records.filter((r) => r.db === Number(dbName)).map((r) => hex(r.key));
      expect(order).toEqual(dbExp.key_order.map((k: string) => expKey(k).toString('hex')));
    }
    for (const [keyName, ke] of Object.entries((dbExp.keys ?? {}) as Record<string, any>)) {
      const ev = m.get(expKey(keyName).toString('hex'));
      expect(ev, `db ${dbName} key ${keyName} present`).toBeDefined();
      checkKey(`db ${dbName} key ${keyName}`, ke, ev!, opts.idleTolerance ?? 1);
    }
  }
  if (exp.record_offsets) {
    for (const [name, [start, end]] of Object.entries(exp.record_offsets as Record<string, [number, number]>)) {
      if (name === '<EOF+checksum>') {
        // The EOF opcode and the checksum after it.
        const eof = d.events.find((e) => e.type === 'eof');
        expect(eof && eof.type === 'eof' ? [eof.offset, eof.end] : null, 'offsets of EOF + checksum').toEqual([start, end]);
        continue;
      }
      if (name.startsWith('<')) throw new Error(`unknown pseudo-record ${name} in record_offsets`);
      const r = d.records.find((k) => b(k.key).equals(expKey(name)));
      expect(r, `record ${name}`).toBeDefined();
      expect([r!.offset, r!.end], `offsets of ${name}`).toEqual([start, end]);
    }
  }
  if (exp.slot_info_per_key_in_order) {
    const got = d.slotAtKey.map((s) => (s ? { slot: s.slot, size: s.keys, expires_size: s.expires } : null));
    expect(got).toEqual(exp.slot_info_per_key_in_order);
  }
}

function checkKey(what: string, ke: any, ev: KeyEvent, idleTolerance: number): void {
  if (ke.type !== undefined) expect(ev.dataType, `${what} type`).toBe(ke.type);
  if (ke.rdb_type !== undefined) expect(ev.rdbType, `${what} rdb type`).toBe(ke.rdb_type);
  if (ke.expire_ms !== undefined) expect(ev.expireAt, `${what} expiry`).toBe(ke.expire_ms);
  if (ke.lru_idle_s !== undefined) {
    expect(ev.lruIdle, `${what} idle`).not.toBeNull();
    expect(Math.abs(ev.lruIdle! - ke.lru_idle_s), `${what} idle ${ev.lruIdle} vs ${ke.lru_idle_s}`).toBeLessThanOrEqual(idleTolerance);
  }
  if (ke.lfu_freq !== undefined) expect(ev.lfuFreq, `${what} freq`).toBe(ke.lfu_freq);
  const tol: number = ke.score_tolerance ?? 0;
  const scoreEq = (got: number, want: number): void => {
    if (tol > 0 && Number.isFinite(want)) expect(Math.abs(got - want), `${what} score`).toBeLessThanOrEqual(tol);
    else expect(Object.is(got, want) || (got === want && want !== 0), `${what} score ${got} vs ${want}`).toBe(true);
  };
  switch (ev.dataType) {
    case 'string': {
      const v = b(ev.value);
      if (ke.value !== undefined) expect(v.equals(expBytes(ke.value)), `${what} value`).toBe(true);
      if (ke.length !== undefined) expect(v.length).toBe(ke.length);
      if (ke.value_length !== undefined) expect(v.length).toBe(ke.value_length);
      for (const s of ke.value_substrings ?? []) expect(v.includes(expBytes(s)), `${what} substring`).toBe(true);
      break;
    }
    case 'list':
    case 'set': {
      const els = ev.value.map(b);
      if (ke.value !== undefined) {
        const want = (ke.value as ExpBytes[]).map(expBytes);
        if (ev.dataType === 'list') expect(els.map((e) => e.toString('hex'))).toEqual(want.map((e) => e.toString('hex')));
        else expect(els.map((e) => e.toString('hex')).sort()).toEqual(want.map((e) => e.toString('hex')).sort());
      }
      if (ke.length !== undefined) expect(els.length, `${what} length`).toBe(ke.length);
      if (ke.contains !== undefined) {
        const have = new Set(els.map((e) => e.toString('hex')));
        for (const c of ke.contains as ExpBytes[]) expect(have.has(expBytes(c).toString('hex')), `${what} contains`).toBe(true);
      }
      for (const [i, v] of Object.entries((ke.elements_at ?? {}) as Record<string, ExpBytes>)) {
        expect(els[Number(i)]?.equals(expBytes(v)), `${what}[${i}]`).toBe(true);
      }
      for (const [i, v] of Object.entries((ke.element_substrings ?? {}) as Record<string, ExpBytes>)) {
        expect(els[Number(i)]?.includes(expBytes(v)), `${what}[${i}] substring`).toBe(true);
      }
      break;
    }
    case 'zset': {
      const got = new Map(ev.value.map(([m, s]) => [b(m).toString('hex'), s]));
      if (ke.value !== undefined) {
        const want = Object.entries(ke.value as Record<string, number | string>);
        expect(got.size, `${what} size`).toBe(want.length);
        for (const [m, s] of want) {
          const h = expKey(m).toString('hex');
          expect(got.has(h), `${what} member ${m}`).toBe(true);
          scoreEq(got.get(h)!, expScore(s));
        }
      }
      if (ke.length !== undefined) expect(ev.value.length).toBe(ke.length);
      if (ke.contains !== undefined) {
        for (const [m, s] of Object.entries(ke.contains as Record<string, number | string>)) {
          const h = expKey(m).toString('hex');
          expect(got.has(h), `${what} member ${m}`).toBe(true);
          scoreEq(got.get(h)!, expScore(s));
        }
      }
      break;
    }
    case 'hash': {
      const got = new Map(ev.value.map(([f, v]) => [b(f).toString('hex'), b(v)]));
      const ttl = new Map(ev.value.map(([f], i) => [b(f).toString('hex'), ev.fieldExpireAt?.[i] ?? null]));
      if (ke.value !== undefined) {
        const want = Object.entries(ke.value as Record<string, ExpBytes>);
        expect(got.size, `${what} size`).toBe(want.length);
        for (const [f, v] of want) expect(got.get(expKey(f).toString('hex'))?.equals(expBytes(v)), `${what} field ${f}`).toBe(true);
      }
      if (ke.length !== undefined) expect(ev.value.length).toBe(ke.length);
      for (const [f, v] of Object.entries((ke.contains ?? {}) as Record<string, ExpBytes>)) {
        expect(got.get(expKey(f).toString('hex'))?.equals(expBytes(v)), `${what} field ${f}`).toBe(true);
      }
      for (const [f, n] of Object.entries((ke.value_lengths ?? {}) as Record<string, number>)) {
        expect(got.get(expKey(f).toString('hex'))?.length, `${what} field ${f} length`).toBe(n);
      }
      for (const [f, s] of Object.entries((ke.field_value_substrings ?? {}) as Record<string, ExpBytes>)) {
        expect(got.get(expKey(f).toString('hex'))?.includes(expBytes(s)), `${what} field ${f} substring`).toBe(true);
      }
      for (const [f, t] of Object.entries((ke.field_expire_ms ?? {}) as Record<string, number | null>)) {
        expect(ttl.get(expKey(f).toString('hex')), `${what} field ${f} expiry`).toBe(t);
      }
      break;
    }
    case 'stream':
      checkStream(what, ke, ev.value);
      break;
    case 'module':
      if (ke.module?.name !== undefined) expect(ev.value.module).toBe(ke.module.name);
      if (ke.module?.encver !== undefined) expect(ev.value.encver).toBe(ke.module.encver);
      break;
  }
}

function checkStream(what: string, ke: any, v: StreamValue): void {
  const s = ke.stream;
  if (ke.length !== undefined) expect(Number(v.length)).toBe(ke.length);
  if (!s) return;
  if (s.length !== undefined) expect(Number(v.length), `${what} length`).toBe(s.length);
  if (s.last_id !== undefined) expect(idText(v.lastId)).toBe(s.last_id);
  if (s.first_id !== undefined) expect(v.firstId ? idText(v.firstId) : null).toBe(s.first_id);
  if (s.max_deleted_id !== undefined) expect(v.maxDeletedId ? idText(v.maxDeletedId) : null).toBe(s.max_deleted_id);
  if (s.entries_added !== undefined) expect(v.entriesAdded === null ? null : Number(v.entriesAdded)).toBe(s.entries_added);
  if (s.node_count !== undefined) expect(v.nodes).toBe(s.node_count);
  if (s.group_count !== undefined) expect(v.groups.length).toBe(s.group_count);
  const live = v.entries.filter((e) => !e.deleted);
  if (s.entries !== undefined) {
    expect(live.map((e) => [idText(e.id), e.fields.map((f) => b(f).toString('hex'))])).toEqual(
      (s.entries as [string, ExpBytes[]][]).map(([id, fs]) => [id, fs.map((f) => expBytes(f).toString('hex'))]),
    );
  }
  for (const [i, field] of Object.entries((s.entry_has_field ?? {}) as Record<string, string>)) {
    const e = v.entries[Number(i)]!;
    const names = e.fields.filter((_, k) => k % 2 === 0).map((f) => b(f).toString());
    expect(names, `${what} entry ${i}`).toContain(field);
  }
  if (s.entry_field_rule !== undefined) {
    // The rule is text; the one form the corpus uses is implemented, any other fails loudly.
    const rule = 'entry i (in ID order, including tombstones) has a field named "field<i>"';
    if (s.entry_field_rule !== rule) throw new Error(`${what}: unimplemented entry_field_rule ${JSON.stringify(s.entry_field_rule)}`);
    v.entries.forEach((e, i) => {
      const names = e.fields.filter((_, k) => k % 2 === 0).map((f) => b(f).toString());
      expect(names, `${what} entry ${i} (${idText(e.id)})`).toContain(`field${i}`);
    });
  }
  if (s.deleted_rule) {
    const all = v.entries;
    const deleted = new Set(all.filter((e) => e.deleted).map((e) => idText(e.id)));
    all.slice(0, s.deleted_rule.first_n_deleted).forEach((e) => expect(e.deleted, `${what} ${idText(e.id)} deleted`).toBe(true));
    for (const id of s.deleted_rule.also_deleted ?? []) expect(deleted.has(id), `${what} ${id} deleted`).toBe(true);
  }
  if (s.all_consumers_active_time_positive) {
    for (const g of v.groups) for (const c of g.consumers) expect(Number(c.activeTime)).toBeGreaterThan(0);
  }
  for (const [name, ge] of Object.entries((s.groups ?? {}) as Record<string, any>)) {
    const g = v.groups.find((x) => b(x.name).equals(expKey(name)));
    expect(g, `${what} group ${name}`).toBeDefined();
    if (ge.pel_count !== undefined) expect(g!.pending.length).toBe(ge.pel_count);
    if (ge.consumer_count !== undefined) expect(g!.consumers.length).toBe(ge.consumer_count);
    if (ge.last_id !== undefined) expect(idText(g!.lastId)).toBe(ge.last_id);
    if (ge.entries_read !== undefined) {
      const er = g!.entriesRead === null ? null : Number(g!.entriesRead);
      expect(er === -1 && ge.entries_read === null ? null : er).toBe(ge.entries_read);
    }
    for (const [i, n] of Object.entries((ge.consumer_pel_counts ?? {}) as Record<string, number>)) {
      expect(g!.consumers[Number(i)]?.pending.length, `${what} group ${name} consumer ${i}`).toBe(n);
    }
    if (ge.pending !== undefined) {
      expect(
        g!.pending.map((p) => ({ id: idText(p.id), consumer: p.consumer ? b(p.consumer).toString('hex') : null, delivery_time: Number(p.deliveryTime), delivery_count: Number(p.deliveryCount) })),
      ).toEqual(
        ge.pending.map((p: any) => ({ id: p.id, consumer: expBytes(p.consumer).toString('hex'), delivery_time: p.delivery_time, delivery_count: p.delivery_count })),
      );
    }
    if (ge.consumers !== undefined) {
      expect(g!.consumers.map((c) => ({ name: b(c.name).toString('hex'), pending: c.pending.map(idText) }))).toEqual(
        ge.consumers.map((c: any) => ({ name: expBytes(c.name).toString('hex'), pending: (c.pending ?? []).map((p: any) => (typeof p === 'string' ? p : p.id)) })),
      );
    }
  }
}
