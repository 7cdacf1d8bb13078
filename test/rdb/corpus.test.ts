/**
 * Conformance over the shared corpus (../shared/corpus, see its MANIFEST.md):
 * every dump with an expectation file gives the asserted outcome and facts;
 * every other RDB in it decodes, or fails the way its byte-identical twin is
 * expected to.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { corpusDir, listCorpusFiles } from '../helpers/corpus.js';
import { checkExpected, decodeAll } from '../helpers/expected.js';
import { RdbDecoder, type ModuleValueReader, type RdbEvent } from '../../src/index.js';

const files = corpusDir ? listCorpusFiles() : [];
const bytesOf = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const sha1 = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex');

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * Every field of the `rdb-corpus-expected/1` schema, by level. A field missing
 * here fails the file's test, so a fact is never silently left unchecked.
 * Fields that are not the decoder's business are in `NOT_DECODER`.
 */
const SCHEMA: Record<string, string[]> = {
  top: ['schema', 'file', 'origin', 'asserted_by', 'format', 'rdb_version', 'complete', 'outcome', 'error', 'counts', 'aux', 'checksum', 'functions', 'dbs', 'absent_dbs', 'record_offsets', 'slot_info_per_key_in_order'],
  counts: ['keys', 'records_including_duplicates', 'records_by_type', 'keys_by_rdb_type', 'aux', 'functions'],
  checksum: ['stored_hex', 'stored_as_signed_int64', 'note'],
  function: ['opcode', 'code', 'name', 'engine', 'description'],
  db: ['key_count', 'keys', 'absent_keys', 'key_order'],
  key: ['type', 'rdb_type', 'value', 'length', 'contains', 'elements_at', 'value_length', 'value_lengths', 'value_substrings', 'field_value_substrings', 'element_substrings', 'score_tolerance', 'expire_ms', 'lru_idle_s', 'lfu_freq', 'field_expire_ms', 'module', 'stream'],
  module: ['name', 'encver', 'values', 'values_with_hellotype_parser'],
  stream: ['length', 'last_id', 'first_id', 'max_deleted_id', 'entries_added', 'node_count', 'group_count', 'groups', 'deleted_rule', 'entry_has_field', 'entry_field_rule', 'all_consumers_active_time_positive', 'entries'],
  group: ['pel_count', 'consumer_count', 'consumer_pel_counts', 'entries_read', 'last_id', 'pending', 'consumers'],
};
/** AOF facts, writer test vectors and prose: checked elsewhere or not at all. */
const NOT_DECODER = new Set(['notes', 'commands', 'ts_annotations', 'command_offsets', 'commands_at', 'dump_payloads', 'writer_test', 'shipped_outputs']);

function unknownFields(exp: any): string[] {
  const out: string[] = [];
  const check = (level: string, obj: any, where: string): void => {
    if (obj === null || typeof obj !== 'object') return;
    for (const k of Object.keys(obj)) if (!SCHEMA[level]!.includes(k) && !NOT_DECODER.has(k)) out.push(`${where}.${k}`);
  };
  check('top', exp, '');
  check('counts', exp.counts, 'counts');
  check('checksum', exp.checksum, 'checksum');
  for (const f of exp.functions ?? []) check('function', f, 'functions[]');
  for (const [dn, db] of Object.entries((exp.dbs ?? {}) as Record<string, any>)) {
    check('db', db, `dbs.${dn}`);
    for (const [kn, ke] of Object.entries((db.keys ?? {}) as Record<string, any>)) {
      check('key', ke, `dbs.${dn}.keys.${kn}`);
      check('module', ke.module, `dbs.${dn}.keys.${kn}.module`);
      check('stream', ke.stream, `dbs.${dn}.keys.${kn}.stream`);
      for (const g of Object.values((ke.stream?.groups ?? {}) as Record<string, any>)) check('group', g, `dbs.${dn}.keys.${kn}.stream.groups[]`);
    }
  }
  return out;
}

/**
 * The Redis example module's values ("hellotype"): an unsigned count, then
 * that many signed integers. Pre-GA values (type 6) are bare LENs, read here
 * through the decoder's ModuleValueReader.
 */
function hellotypeParser(into: Array<Array<number | bigint>>) {
  return {
    hellotype: (r: ModuleValueReader): void => {
      const n = Number(r.readUnsigned());
      const vals: Array<number | bigint> = [];
      for (let i = 0; i < n; i++) vals.push(r.readSigned());
      into.push(vals);
    },
  };
}

/**
 * The same layout inside a MODULE_2 (type 7) payload, read independently of
 * the decoder: LEN module id, then each value as opcode UINT (2) + LEN, then
 * the EOF opcode (0). Signed values are LEN bit patterns (format.md 9.2).
 */
function hellotypeFromPayload(payload: Uint8Array): bigint[] {
  let p = 0;
  const len = (): bigint => {
    const b = payload[p]!;
    const t = b >> 6;
    if (t === 0) return BigInt(payload[p++]! & 0x3f);
    if (t === 1) {
      const v = ((b & 0x3f) << 8) | payload[p + 1]!;
      p += 2;
      return BigInt(v);
    }
    const dv = new DataView(payload.buffer, payload.byteOffset + p + 1);
    if (b === 0x80) {
      p += 5;
      return BigInt(dv.getUint32(0, false));
    }
    if (b === 0x81) {
      p += 9;
      return dv.getBigUint64(0, false);
    }
    throw new Error(`bad LEN byte ${b} in module payload`);
  };
  const uint = (): bigint => {
    const op = len();
    if (op !== 2n) throw new Error(`expected module opcode UINT (2), found ${op}`);
    return len();
  };
  len(); // module type id
  const n = Number(uint());
  const vals: bigint[] = [];
  for (let i = 0; i < n; i++) vals.push(BigInt.asIntN(64, uint()));
  if (len() !== 0n || p !== payload.length) throw new Error('module payload does not end with its EOF opcode');
  return vals;
}

const asBig = (xs: Array<number | bigint>): string[] => xs.map((x) => BigInt(x).toString());

/** RESP encoding of one command, for the AOF tail of an RDB-preamble AOF. */
function resp(args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
}

/** Outcome ("ok" or the expected error code family) of every dump content that has an expectation. */
const outcomeByContent = new Map<string, { from: string; error: string | null }>();
const ERROR_CODE: Record<string, string[]> = {
  'unsupported-version': ['UNSUPPORTED_VERSION'],
  'checksum-mismatch': ['CHECKSUM_MISMATCH'],
  corrupt: ['CORRUPT', 'TRUNCATED'],
  'module-needs-parser': ['MODULE_NEEDS_PARSER'],
};

describe.skipIf(!corpusDir)('corpus conformance', () => {
  for (const f of files.filter((x) => x.expectedPath)) {
    const exp = JSON.parse(readFileSync(f.expectedPath!, 'utf8'));
    const format = exp.format ?? 'rdb';
    // Plain AOF files are checked against their expectations in test/aof/corpus.test.ts.
    if (format === 'aof') continue;
    if (format === 'rdb') outcomeByContent.set(sha1(bytesOf(f.path)), { from: f.rel, error: exp.outcome === 'error' ? exp.error : null });
    it(f.rel, () => {
      expect(unknownFields(exp), 'expectation fields this suite does not check').toEqual([]);
      const bytes = bytesOf(f.path);
      // Deleted stream entries are seen only with tombstones, and the rules
      // that count entries "including tombstones" need them.
      const text = JSON.stringify(exp);
      const tombstones = text.includes('deleted_rule') || text.includes('entry_field_rule');
      const afterEnd = format === 'rdb-preamble-aof' ? 'stop' : 'count';
      const d = decodeAll(bytes, { afterEnd, tombstones });
      checkExpected(exp, d, { idleTolerance: 0 });
      if (exp.outcome !== 'ok') {
        expect(d.events.some((e) => e.type === 'eof'), 'a failed decode never reaches EOF').toBe(false);
      }

      if (exp.checksum?.stored_as_signed_int64 !== undefined) {
        // A JSON number: compared after the same rounding to a double.
        expect(Number(BigInt.asIntN(64, d.storedChecksum!))).toBe(exp.checksum.stored_as_signed_int64);
      }

      if (format === 'rdb-preamble-aof') {
        // The RDB part stops at its checksum; the AOF tail follows untouched.
        const dec = new RdbDecoder({ afterEnd: 'stop' });
        dec.push(bytes);
        dec.end();
        const evs: RdbEvent[] = [];
        let ev: RdbEvent | undefined;
        while ((ev = dec.read()) !== undefined) evs.push(ev);
        const eof = evs.find((e) => e.type === 'eof');
        expect(eof?.type === 'eof' ? eof.end : -1).toBeGreaterThan(0);
        expect(evs.some((e) => e.type === 'trailing')).toBe(false);
        const rest = dec.remainder();
        expect(rest.offset).toBe(eof?.type === 'eof' ? eof.end : -1);
        const tail = Buffer.concat(rest.chunks);
        expect(tail.length).toBe(bytes.length - rest.offset);
        if (exp.commands_at?.['0']) expect(tail.subarray(0, resp(exp.commands_at['0']).length).toString()).toBe(resp(exp.commands_at['0']).toString());
      }

      // Module values with the example module's parser.
      for (const [dbName, db] of Object.entries((exp.dbs ?? {}) as Record<string, any>)) {
        for (const [keyName, ke] of Object.entries((db.keys ?? {}) as Record<string, any>)) {
          const mod = ke.module;
          if (!mod || (mod.values === undefined && mod.values_with_hellotype_parser === undefined)) continue;
          if (mod.values_with_hellotype_parser !== undefined) {
            // MODULE_2: the value is kept as its payload; read it with the module's layout.
            const ev = d.dbs.get(Number(dbName))!.get(Buffer.from(keyName).toString('hex'))!;
            expect(ev.dataType).toBe('module');
            if (ev.dataType !== 'module') continue;
            expect(asBig(hellotypeFromPayload(ev.value.payload))).toEqual(asBig(mod.values_with_hellotype_parser));
          }
          if (mod.values !== undefined) {
            // Pre-GA MODULE (type 6): not skippable; with the parser the whole file reads.
            const values: Array<Array<number | bigint>> = [];
            const d2 = decodeAll(bytes, { moduleParsers: hellotypeParser(values), afterEnd });
            expect(d2.error, 'with the hellotype parser').toBeNull();
            checkExpected({ ...exp, outcome: 'ok' }, d2, { idleTolerance: 0 });
            // The parser ran once per module record, in file order.
            const modRecords = d2.records.filter((r) => r.dataType === 'module');
            expect(values.length).toBe(modRecords.length);
            const i = modRecords.findIndex((r) => r.db === Number(dbName) && Buffer.from(r.key).toString() === keyName);
            expect(i, `module key ${keyName}`).toBeGreaterThanOrEqual(0);
            expect(asBig(values[i]!)).toEqual(asBig(mod.values));
          }
        }
      }
    });
  }

  it('every RDB without an expectation decodes (or fails like its byte-identical twin)', () => {
    let n = 0;
    for (const f of files) {
      if (f.expectedPath || !f.rel.endsWith('.rdb')) continue;
      const bytes = bytesOf(f.path);
      const twin = outcomeByContent.get(sha1(bytes));
      const d = decodeAll(bytes);
      if (twin?.error) {
        expect(d.error, `${f.rel} (same bytes as ${twin.from})`).not.toBeNull();
        expect(ERROR_CODE[twin.error], `${f.rel}: ${d.error?.message}`).toContain(d.error!.code);
      } else {
        expect(d.error, `${f.rel}: ${d.error?.message}`).toBeNull();
        expect(d.events.at(-1)?.type, f.rel).toMatch(/^(eof|trailing)$/);
      }
      n++;
    }
    expect(n).toBeGreaterThan(80);
  });

  it('the corpus is there in full', () => {
    expect(files.filter((f) => f.rel.endsWith('.rdb')).length).toBeGreaterThanOrEqual(180);
    expect(files.filter((f) => f.expectedPath).length).toBeGreaterThanOrEqual(110);
  });
});

it('finds the corpus at ../shared/corpus (or skips the suite loudly)', () => {
  if (corpusDir === null) console.warn('*** ../shared/corpus is missing: the corpus conformance suite was SKIPPED ***');
  else expect(files.length).toBeGreaterThan(0);
});

/**
 * Agreement with librdb's own data-level outputs (`*_data.json` and the
 * other logical-value JSON files its tests compare, see MANIFEST "Schemas of
 * the peers' own expected outputs"). They are JSON fragments; librdb's test
 * wraps them (`[…]` → `{"dbs": […]}`, anything else → `{…}`) and compares
 * after sorting. Struct/raw levels, filtered variants and RESP outputs are
 * writer formats, not decoder facts, and are left out. Text the JSON cannot
 * hold (bytes that are not UTF-8) is skipped.
 */
const librdbDir = corpusDir ? `${corpusDir}/librdb` : null;

function librdbPairs(): Array<[string, string]> {
  if (!corpusDir) return [];
  const manifest = readFileSync(`${corpusDir}/MANIFEST.md`, 'utf8');
  const section = manifest.slice(manifest.indexOf('### librdb/'), manifest.indexOf('## Coverage summary'));
  const pairs: Array<[string, string]> = [];
  for (const line of section.split('\n')) {
    const m = /^\| `([^`]+\.rdb)` \|/.exec(line);
    if (!m) continue;
    const cells = line.split('|');
    for (const [, json] of cells[cells.length - 2]!.matchAll(/`([^`]+\.json)`/g)) {
      if (json!.endsWith('.expected.json') || /_(struct|raw|no_aux|2filters)\.json$|_subset_/.test(json!)) continue;
      pairs.push([m[1]!, json!]);
    }
  }
  return pairs;
}

function parseFragment(text: string): any {
  let t = text.trim().replace(/,\s*$/, '');
  if (t.startsWith('[')) t = `{"dbs": ${t}}`;
  else if (!t.startsWith('{')) t = `{${t}}`;
  return JSON.parse(t);
}

const utf8 = (b: Uint8Array): string | null => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return null;
  }
};

const librdbScore = (s: string): number => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s));

function compareLibrdbValue(what: string, want: any, ev: import('../../src/index.js').KeyEvent): void {
  switch (ev.dataType) {
    case 'string': {
      const s = utf8(ev.value);
      if (s !== null) expect(s, what).toBe(want);
      break;
    }
    case 'list':
    case 'set': {
      const got = ev.value.map(utf8);
      if (got.includes(null)) break;
      if (ev.dataType === 'list') expect(got, what).toEqual(want);
      else expect([...got].sort(), what).toEqual([...want].sort());
      break;
    }
    case 'zset': {
      expect(ev.value.length, what).toBe(Object.keys(want).length);
      for (const [m, score] of ev.value) {
        const name = utf8(m);
        if (name === null) continue;
        expect(want[name], `${what} member ${name}`).toBeDefined();
        const w = librdbScore(want[name]);
        // librdb prints doubles with %.17g-style text; the same double either way.
        expect(score === w || Math.abs(score - w) <= Math.abs(w) * 1e-15, `${what} member ${name}: ${score} vs ${want[name]}`).toBe(true);
      }
      break;
    }
    case 'hash': {
      const got: Record<string, string | null> = {};
      for (const [f, v] of ev.value) got[utf8(f) ?? '\ufffd'] = utf8(v);
      if (Object.values(got).includes(null) || '\ufffd' in got) break;
      expect(got, what).toEqual(want);
      break;
    }
    case 'stream': {
      const v = ev.value;
      const id = (x: { ms: number | bigint; seq: number | bigint }): string => `${x.ms}-${x.seq}`;
      const entries = v.entries.map((e) => ({
        id: id(e.id),
        items: Object.fromEntries(e.fields.flatMap((f, i) => (i % 2 === 0 ? [[utf8(f), utf8(e.fields[i + 1]!)]] : []))),
      }));
      expect(entries, what).toEqual(want.entries);
      if (want.length !== undefined) expect(Number(v.length)).toBe(want.length);
      if (want.entriesAdded !== undefined) expect(Number(v.entriesAdded)).toBe(want.entriesAdded);
      if (want.firstID !== undefined) expect(v.firstId && id(v.firstId)).toBe(want.firstID);
      if (want.lastID !== undefined) expect(id(v.lastId)).toBe(want.lastID);
      if (want.maxDelEntryID !== undefined) expect(v.maxDeletedId && id(v.maxDeletedId)).toBe(want.maxDelEntryID);
      if (want.groups !== undefined) {
        expect(
          v.groups.map((g) => ({
            name: utf8(g.name),
            lastid: id(g.lastId),
            entriesRead: Number(g.entriesRead),
            pending: g.pending.map((p) => ({ sent: Number(p.deliveryTime), id: id(p.id), count: Number(p.deliveryCount) })),
            consumers: g.consumers.map((c) => ({
              name: utf8(c.name),
              activeTime: Number(c.activeTime),
              seenTime: Number(c.seenTime),
              ...(c.pending.length ? { pending: c.pending.map((p) => ({ id: id(p) })) } : {}),
            })),
          })),
          what,
        ).toEqual(want.groups);
      }
      break;
    }
    case 'module':
      // librdb prints a placeholder for module values.
      expect(String(want)).toMatch(/^<Content of Module '/);
      expect(String(want)).toContain(`'${ev.value.module}'`);
      break;
  }
}

describe.skipIf(!librdbDir)('librdb data outputs', () => {
  const pairs = librdbPairs();
  it('finds the mapped outputs in the MANIFEST', () => expect(pairs.length).toBeGreaterThan(20));
  for (const [dump, json] of pairs) {
    it(`librdb/${dump} vs ${json}`, () => {
      const text = readFileSync(`${librdbDir}/${json}`, 'utf8');
      if (text.trim() === '') return; // an output of a filtered run (expired keys dropped): nothing to compare
      const want = parseFragment(text);
      const d = decodeAll(bytesOf(`${librdbDir}/${dump}`));
      expect(d.error, d.error?.message).toBeNull();
      const dbOrder = [...new Set(d.records.map((r) => r.db))];
      const dbs: Array<Record<string, any>> = want.dbs ?? [want];
      expect(dbs.length, 'databases').toBe(Math.max(dbOrder.length, 1));
      dbs.forEach((db, i) => {
        const keys = d.dbs.get(dbOrder[i] ?? 0) ?? new Map();
        const names = Object.keys(db).filter((k) => !k.startsWith('__'));
        expect(keys.size, `db ${dbOrder[i]} key count`).toBe(names.length);
        for (const name of names) {
          const ev = keys.get(Buffer.from(name).toString('hex'));
          expect(ev, `key ${name}`).toBeDefined();
          compareLibrdbValue(`key ${name}`, db[name], ev!);
        }
        if (db.__aux__) {
          const aux = Object.fromEntries(d.aux.map(([n, v]) => [n.toString(), v.toString()]));
          expect(aux).toEqual(db.__aux__);
        }
        if (db.__func__) expect(d.functions.map((f) => Buffer.from(f.code).toString())).toEqual(Object.values(db.__func__));
        if (db.__dbsize__) {
          const rs = d.events.find((e) => e.type === 'resizeDb');
          expect(rs?.type === 'resizeDb' ? { size: rs.keys, expires: rs.expires } : null).toEqual(db.__dbsize__);
        }
        if (db.__slotinfo__) {
          const si = d.events.find((e) => e.type === 'slotInfo');
          expect(si?.type === 'slotInfo' ? { slotId: si.slot, slotSize: si.keys, slotSExpiresSize: si.expires } : null).toEqual(db.__slotinfo__);
        }
      });
    });
  }
});
