/**
 * Every AOF of the shared corpus (../shared/corpus, skipped when absent)
 * read with parseAof:
 *
 * - files with `<file>.expected.json` (format `aof` / `rdb-preamble-aof`):
 *   the peers' assertions — counts.commands, counts.ts_annotations,
 *   commands_at, command_offsets, preamble keys — and the facts in their
 *   notes that can be checked (commands in a #TS range, SET test_* count, the
 *   module command, the binary Java objects);
 * - HDT3213's `.aof` files (the peer's RDB→AOF output): replaying their
 *   commands rebuilds the peer's own `.json` for the same dump (keys,
 *   values, expiries, field TTLs);
 * - librdb's `.resp` outputs and every file above parse without error;
 * - redis-check-aof (when installed) agrees each file is valid;
 * - the library's decoder bar: identical events whole, byte by byte (files up
 *   to 64 KiB) and at random chunk splits; truncation at every offset (files
 *   up to 16 KiB, sampled above) gives an aofTruncated event (load mode) at
 *   the valid prefix or a clean RdbkitError — never a hang or a TypeError.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAof, RdbkitError } from '../../src/index.js';
import type { AofEvent } from '../../src/index.js';
import { splitResp } from '../../scripts/make-aof-fixtures.mjs';
import { prng } from '../../scripts/shared.mjs';
import { chunks, cleanupTemp, collectAll, normEvent, redisCheckAof, redisCheckAofPath, tempDir } from '../helpers/aof.js';
import { corpusDir, listCorpusFiles } from '../helpers/corpus.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

const aofFiles = listCorpusFiles().filter((f) => f.rel.endsWith('.aof'));
const respFiles =
  corpusDir === null
    ? []
    : (() => {
        try {
          return readdirSync(path.join(corpusDir, 'librdb'))
            .filter((f) => f.endsWith('.resp'))
            .map((f) => ({ path: path.join(corpusDir!, 'librdb', f), rel: `librdb/${f}`, expectedPath: null }));
        } catch {
          return [];
        }
      })();
const allFiles = [...aofFiles, ...respFiles];

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

const norm = normEvent;

function collect(input: Parameters<typeof parseAof>[0], options: Parameters<typeof parseAof>[1] = {}): Promise<AofEvent[]> {
  return collectAll(parseAof(input, options));
}

const commandsOf = (evs: AofEvent[]) => evs.filter((e): e is Extract<AofEvent, { type: 'command' }> => e.type === 'command');

const describeCorpus = corpusDir === null ? describe.skip : describe;

describeCorpus('corpus AOFs: the peers’ assertions', () => {
  const withExpected = aofFiles.filter((f) => f.expectedPath !== null);
  it('the corpus holds AOFs with expected files', () => {
    expect(withExpected.length).toBeGreaterThanOrEqual(6);
  });

  for (const f of withExpected) {
    it(`${f.rel} matches ${path.basename(f.expectedPath!)}`, async () => {
      const exp = JSON.parse(readFileSync(f.expectedPath!, 'utf8'));
      expect(['aof', 'rdb-preamble-aof']).toContain(exp.format);
      const bytes = readFileSync(f.path);
      const evs = await collect(bytes);
      expect(evs.filter((e) => e.type === 'aofTruncated')).toEqual([]);
      const parts = evs.filter((e) => e.type === 'aofPart');
      expect(parts.map((p: any) => [p.role, p.format])).toEqual([['single', exp.format === 'aof' ? 'resp' : 'rdb']]);
      const cmds = commandsOf(evs);
      if (exp.counts?.commands !== undefined) expect(cmds.length, 'counts.commands').toBe(exp.counts.commands);
      if (exp.counts?.ts_annotations !== undefined) {
        expect(evs.filter((e) => e.type === 'annotation' && e.ts !== null).length, 'counts.ts_annotations').toBe(exp.counts.ts_annotations);
      }
      for (const [i, args] of Object.entries(exp.commands_at ?? {})) {
        expect(cmds[Number(i)]!.args.map(text), `commands_at[${i}]`).toEqual(args);
      }
      for (const [i, range] of Object.entries(exp.command_offsets ?? {}) as [string, [number, number]][]) {
        if (i === '<end>') {
          // The end-of-stream position: after the last command, at the end of the file.
          expect(cmds.at(-1)!.end).toBe(range[0]);
          expect(bytes.length).toBe(range[1]);
        } else {
          expect([cmds[Number(i)]!.offset, cmds[Number(i)]!.end], `command_offsets[${i}]`).toEqual(range);
        }
      }
      if (exp.format === 'rdb-preamble-aof') {
        const eof = evs.find((e) => e.type === 'eof') as any;
        expect(eof).toBeDefined();
        // The tail's commands follow the preamble's checksum.
        expect(cmds[0]!.offset).toBeGreaterThanOrEqual(eof.end);
        for (const [db, spec] of Object.entries(exp.dbs ?? {}) as [string, any][]) {
          const keys = evs.filter((e: any) => e.type === 'key' && e.db === Number(db)) as any[];
          for (const [k, ke] of Object.entries(spec.keys) as [string, any][]) {
            const ev = keys.find((e) => text(e.key) === k);
            expect(ev, `preamble key ${k}`).toBeDefined();
            if (ke.type) expect(ev.dataType).toBe(ke.type);
            if (typeof ke.value === 'string') expect(text(ev.value)).toBe(ke.value);
          }
          if (exp.complete) expect(keys.length).toBe(Object.keys(spec.keys).length);
        }
      }
    });
  }

  const byName = (name: string) => aofFiles.find((f) => f.rel === `redis-replicator/${name}`);

  it('appendonly-with-ts.aof: 43 commands under a #TS annotation in [1643689192, 1643691222] (notes)', async () => {
    const f = byName('appendonly-with-ts.aof');
    if (!f) return;
    const cmds = commandsOf(await collect(readFileSync(f.path)));
    expect(cmds.filter((c) => c.ts !== null && c.ts >= 1643689192 && c.ts <= 1643691222).length).toBe(43);
  });

  it('appendonly-with-ts.aof: until stops at the first #TS after the time', async () => {
    const f = byName('appendonly-with-ts.aof');
    if (!f) return;
    const bytes = readFileSync(f.path);
    const all = await collect(bytes);
    const anns = all.filter((e) => e.type === 'annotation' && e.ts !== null) as Extract<AofEvent, { type: 'annotation' }>[];
    for (const T of [anns[0]!.ts! - 1, anns[10]!.ts!, anns[30]!.ts! + 1, anns.at(-1)!.ts!]) {
      const stopAt = anns.find((a) => a.ts! > T);
      const got = commandsOf(await collect(bytes, { until: T }));
      const want = commandsOf(all).filter((c) => stopAt === undefined || c.offset < stopAt.offset);
      expect(got.map((c) => c.offset), `until ${T}`).toEqual(want.map((c) => c.offset));
    }
  });

  it('appendonly2.aof: exactly 48000 SET commands on test_* keys (notes)', async () => {
    const f = byName('appendonly2.aof');
    if (!f) return;
    let n = 0;
    for await (const ev of parseAof(readFileSync(f.path))) {
      if (ev.type === 'command' && text(ev.args[0]!).toUpperCase() === 'SET' && text(ev.args[1]!).startsWith('test_')) n++;
    }
    expect(n).toBe(48000);
  });

  it('appendonly6.aof: the module command hellotype.insert <key> 12123123112 (notes)', async () => {
    const f = byName('appendonly6.aof');
    if (!f) return;
    const cmds = commandsOf(await collect(readFileSync(f.path))).filter((c) => text(c.args[0]!).toLowerCase() === 'hellotype.insert');
    expect(cmds.length).toBe(1);
    expect(text(cmds[0]!.args[2]!)).toBe('12123123112');
  });

  it('appendonly7.aof: binary Java objects, the same as binarydump.rdb asserts (notes)', async () => {
    const f = byName('appendonly7.aof');
    if (!f) return;
    const cmds = commandsOf(await collect(readFileSync(f.path)));
    expect(cmds.map((c) => text(c.args[0]!).toUpperCase())).toEqual(['SELECT', 'SET', 'HMSET', 'SADD']);
    const javaMagic = 'aced0005';
    const blobs = [cmds[1]!.args[2]!, cmds[2]!.args[3]!, cmds[3]!.args[2]!];
    for (const b of blobs) expect(Buffer.from(b).subarray(0, 4).toString('hex')).toBe(javaMagic);
    expect(text(cmds[2]!.args[2]!)).toBe('field2');
    // binarydump.rdb.expected.json's substrings of the same objects.
    const dumpExp = path.join(path.dirname(f.path), 'binarydump.rdb.expected.json');
    let subs = ['中文测试wuqioewqoi jdklsajf jslaj djsldfjlsjqweajdslfdl3019fjdsf9034930', '中文测试12131', '中文测试jfskdfjslf'];
    try {
      const d = JSON.parse(readFileSync(dumpExp, 'utf8')).dbs['0'].keys;
      subs = [d.seri1.value_substrings[0], d.seri2.field_value_substrings.field2, d.seri3.element_substrings['0']];
    } catch {
      /* keep the transcribed strings */
    }
    blobs.forEach((b, i) => expect(Buffer.from(b).includes(Buffer.from(subs[i]!, 'utf8')), subs[i]).toBe(true));
  });
});

describeCorpus('corpus AOFs: HDT3213 RDB→AOF outputs replay into the peer’s JSON for the same dump', () => {
  const hdt = aofFiles.filter((f) => f.rel.startsWith('hdt3213-rdb/'));
  for (const f of hdt) {
    const jsonPath = f.path.replace(/\.aof$/, '.json');
    it(`${f.rel} ↔ ${path.basename(jsonPath)}`, async () => {
      let peer: any[];
      try {
        peer = JSON.parse(readFileSync(jsonPath, 'utf8'));
      } catch {
        return; // no peer JSON for this one: parsing is checked below
      }
      type Val = { type: string; value: any; expireAt: number | null; fieldExpire: Record<string, number> };
      const state = new Map<string, Val>();
      const get = (k: string, type: string): Val => {
        let v = state.get(k);
        if (!v) {
          v = { type, value: type === 'list' || type === 'set' ? [] : type === 'string' ? '' : {}, expireAt: null, fieldExpire: {} };
          state.set(k, v);
        }
        return v;
      };
      for (const c of commandsOf(await collect(readFileSync(f.path)))) {
        const a = c.args.map(text);
        const name = a[0]!.toUpperCase();
        if (name === 'SET') get(a[1]!, 'string').value = a[2];
        else if (name === 'HMSET' || name === 'HSET') for (let i = 2; i + 1 < a.length; i += 2) get(a[1]!, 'hash').value[a[i]!] = a[i + 1];
        else if (name === 'RPUSH') get(a[1]!, 'list').value.push(...a.slice(2));
        else if (name === 'SADD') get(a[1]!, 'set').value.push(...a.slice(2));
        else if (name === 'ZADD') for (let i = 2; i + 1 < a.length; i += 2) get(a[1]!, 'zset').value[a[i + 1]!] = Number(a[i]);
        else if (name === 'PEXPIREAT') state.get(a[1]!)!.expireAt = Number(a[2]);
        else if (name === 'HPEXPIREAT') {
          const n = Number(a[4]);
          for (let i = 0; i < n; i++) state.get(a[1]!)!.fieldExpire[a[5 + i]!] = Number(a[2]);
        } else if (name === 'HPERSIST' || name === 'SELECT') {
          /* no TTL: nothing to record */
        } else throw new Error(`unexpected command ${name} in ${f.rel}`);
      }
      const records = peer.filter((r) => r.key !== undefined);
      expect([...state.keys()].sort()).toEqual(records.map((r) => r.key).sort());
      for (const r of records) {
        const v = state.get(r.key)!;
        expect(v.type, r.key).toBe(r.type);
        if (r.type === 'string') expect(v.value).toBe(r.value);
        if (r.type === 'list') expect(v.value).toEqual(r.values);
        if (r.type === 'set') expect([...v.value].sort()).toEqual([...r.members].sort());
        if (r.type === 'hash') expect(v.value).toEqual(r.hash);
        if (r.type === 'zset') expect(v.value).toEqual(Object.fromEntries(r.entries.map((e: any) => [e.member, e.score])));
        expect(v.expireAt, `${r.key} expiry`).toBe(r.expiration ? Date.parse(r.expiration) : null);
        if (r.expire) {
          const want = Object.fromEntries(Object.entries(r.expire as Record<string, number>).filter(([, ms]) => ms !== 0));
          expect(v.fieldExpire, `${r.key} field TTLs`).toEqual(want);
        }
      }
    });
  }
});

describeCorpus('corpus AOFs: parse, redis-check-aof agreement, chunking, truncation', () => {
  afterAll(() => cleanupTemp());

  it('the corpus has AOF files', () => {
    expect(allFiles.length).toBeGreaterThanOrEqual(10);
  });

  for (const f of allFiles) {
    it(`${f.rel}: parses; redis-check-aof agrees it is whole`, async () => {
      const bytes = readFileSync(f.path);
      const evs = await collect(bytes);
      expect(evs.filter((e) => e.type === 'aofTruncated')).toEqual([]);
      expect(commandsOf(evs).length).toBeGreaterThan(0);
      if (redisCheckAofPath !== null) {
        const copy = path.join(tempDir(), path.basename(f.path));
        writeFileSync(copy, bytes);
        const chk = redisCheckAof(copy);
        expect(chk.status, chk.stdout).toBe(0);
      }
      // Independent count of the RESP part.
      const eof = evs.find((e) => e.type === 'eof') as any;
      const split = splitResp(bytes, eof ? eof.end : 0);
      expect(split.error).toBeNull();
      expect(commandsOf(evs).map((c) => [c.offset, c.end])).toEqual(split.commands.map((c) => [c.offset, c.end]));
    });

    it(`${f.rel}: identical events whole, byte by byte, at random chunk splits`, { timeout: 60_000 }, async () => {
      const bytes = readFileSync(f.path);
      const whole = (await collect(bytes)).map(norm);
      if (bytes.length <= 64 * 1024) {
        expect((await collect(chunks(bytes, () => 1))).map(norm)).toEqual(whole);
      }
      for (const seed of [1, 2, 3]) {
        const rng = prng(seed * 7919 + bytes.length);
        const max = bytes.length > 1 << 20 ? 65536 : 64;
        expect((await collect(chunks(bytes, () => 1 + Math.floor(rng() * max)))).map(norm), `seed ${seed}`).toEqual(whole);
      }
    });

    it(`${f.rel}: truncated at ${readFileSync(f.path).length <= 16384 ? 'every offset' : 'sampled offsets'}: aofTruncated at the valid prefix or a clean RdbkitError`, { timeout: 60_000 }, async () => {
      const bytes = readFileSync(f.path);
      const whole = await collect(bytes);
      const eof = whole.find((e) => e.type === 'eof') as any;
      const tailStart: number = eof ? eof.end : 0;
      const offsets: number[] = [];
      if (bytes.length <= 16384) for (let k = 0; k < bytes.length; k++) offsets.push(k);
      else {
        const rng = prng(bytes.length);
        for (let i = 0; i < 40; i++) offsets.push(Math.floor(rng() * bytes.length));
      }
      for (const k of offsets) {
        const cut = bytes.subarray(0, k);
        let evs: AofEvent[] = [];
        let err: unknown = null;
        try {
          evs = await collect(cut);
        } catch (e) {
          err = e;
        }
        if (k > 0 && k < tailStart) expect(err, `cut at ${k}, inside the RDB preamble: an error`).toBeInstanceOf(RdbkitError);
        if (err !== null) {
          expect(err, `cut at ${k}: ${String(err)}`).toBeInstanceOf(RdbkitError);
          // A RESP tail that is merely cut short is loaded up to its valid prefix, not refused.
          // (k = 0, an empty input, may be refused cleanly too; test/aof/fixtures.test.ts holds
          // the separate check that an empty AOF is valid, as redis-check-aof says.)
          expect(k === 0 || k < tailStart, `cut at ${k} (tail starts at ${tailStart}): ${String(err)}`).toBe(true);
          continue;
        }
        const t = evs.filter((e) => e.type === 'aofTruncated') as Extract<AofEvent, { type: 'aofTruncated' }>[];
        const split = splitResp(Buffer.from(cut), tailStart);
        if (k === 0 || split.error === null) expect(t, `cut at ${k}`).toEqual([]);
        else expect(t.map((x) => [x.offset, x.size]), `cut at ${k}`).toEqual([[split.okUpTo, k]]);
      }
    });
  }
});
