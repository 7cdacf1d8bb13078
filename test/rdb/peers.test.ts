/**
 * Agreement with a peer: HDT3213/rdb's own expected JSON outputs for its
 * test dumps (complete for the files they cover; schema in MANIFEST.md).
 * Text the peer could not represent (invalid UTF-8 becomes U+FFFD in Go's
 * JSON) is skipped; everything else must match exactly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';
import { decodeAll } from '../helpers/expected.js';
import type { KeyEvent, StreamId } from '../../src/events.js';

const dir = corpusDir ? path.join(corpusDir, 'hdt3213-rdb') : null;
const files = dir
  ? readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.expected.json') && existsSync(path.join(dir, f.replace(/\.json$/, '.rdb'))))
  : [];

const s = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const id = (i: StreamId): string => `${i.ms}-${i.seq}`;

/* eslint-disable @typescript-eslint/no-explicit-any */
function compare(peer: any, ev: KeyEvent): void {
  expect(ev.dataType, `${peer.key} type`).toBe(peer.type);
  if (peer.expiration !== undefined) expect(ev.expireAt, `${peer.key} expiry`).toBe(Date.parse(peer.expiration));
  else expect(ev.expireAt, `${peer.key} has no expiry`).toBeNull();
  switch (ev.dataType) {
    case 'string':
      expect(s(ev.value)).toBe(peer.value);
      break;
    case 'list':
      expect(ev.value.map(s)).toEqual(peer.values);
      break;
    case 'set':
      expect(ev.value.map(s).sort()).toEqual([...peer.members].sort());
      break;
    case 'zset':
      expect(Object.fromEntries(ev.value.map(([m, sc]) => [s(m), sc]))).toEqual(Object.fromEntries(peer.entries.map((e: any) => [e.member, e.score])));
      break;
    case 'hash':
      expect(Object.fromEntries(ev.value.map(([f, v]) => [s(f), s(v)]))).toEqual(peer.hash);
      if (peer.expire) {
        // The peer writes 0 for "no TTL".
        const ttl = Object.fromEntries(ev.value.map(([f], i) => [s(f), ev.fieldExpireAt?.[i] ?? 0]));
        expect(ttl).toEqual(peer.expire);
      }
      break;
    case 'stream': {
      const v = ev.value;
      const peerEntries = peer.entries.flatMap((n: any) => n.msgs).filter((m: any) => !m.deleted);
      expect(v.entries.map((e) => [id(e.id), Object.fromEntries(e.fields.flatMap((f, i) => (i % 2 === 0 ? [[s(f), s(e.fields[i + 1]!)]] : [])))])).toEqual(
        peerEntries.map((m: any) => [m.id, m.fields]),
      );
      expect(Number(v.length)).toBe(peer.len);
      expect(id(v.lastId)).toBe(peer.lastId);
      if (peer.firstId !== undefined) expect(v.firstId && id(v.firstId)).toBe(peer.firstId);
      if (peer.maxDeletedId !== undefined) expect(v.maxDeletedId && id(v.maxDeletedId)).toBe(peer.maxDeletedId);
      if (peer.addedEntriesCount !== undefined) expect(Number(v.entriesAdded)).toBe(peer.addedEntriesCount);
      expect(v.groups.map((g) => ({
        name: s(g.name),
        lastId: id(g.lastId),
        pending: g.pending.map((p) => ({ id: id(p.id), deliveryTime: Number(p.deliveryTime), deliveryCount: Number(p.deliveryCount) })),
        consumers: g.consumers.map((c) => ({ name: s(c.name), seenTime: Number(c.seenTime), pending: c.pending.map(id) })),
      }))).toEqual((peer.groups ?? []).map((g: any) => ({
        name: g.name,
        lastId: g.lastId,
        pending: (g.pending ?? []).map((p: any) => ({ id: p.id, deliveryTime: p.deliveryTime, deliveryCount: p.deliveryCount })),
        consumers: (g.consumers ?? []).map((c: any) => ({ name: c.name, seenTime: c.seenTime, pending: c.pending ?? [] })),
      })));
      break;
    }
  }
}

describe.skipIf(!dir)('HDT3213/rdb expected outputs', () => {
  for (const f of files) {
    it(f, () => {
      const peer: any[] = JSON.parse(readFileSync(path.join(dir!, f), 'utf8'));
      const d = decodeAll(new Uint8Array(readFileSync(path.join(dir!, f.replace(/\.json$/, '.rdb')))));
      expect(d.error).toBeNull();
      const keyRecords = peer.filter((p) => p.type !== 'aux' && p.type !== 'functions');
      expect(d.records.length, 'key count').toBe(keyRecords.length);
      for (const p of keyRecords) {
        if (JSON.stringify(p).includes('\ufffd')) continue;
        const ev = d.records.find((r) => r.db === p.db && s(r.key) === p.key);
        expect(ev, `${p.db}:${p.key}`).toBeDefined();
        compare(p, ev!);
      }
    });
  }

  it('covers the peer files', () => {
    expect(files.length).toBeGreaterThan(30);
  });
});
