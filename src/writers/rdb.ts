/**
 * RDB writer (design.md section 7): a new RDB file of a chosen version (6–12)
 * from decoder events, with the encodings that version supports, expiries,
 * LRU/LFU prefixes, aux fields, function libraries, module aux data, and a
 * correct CRC-64. Data the version cannot hold is an error, or with `lossy` a
 * reported drop.
 *
 * Large strings stream straight through. Other values larger than the
 * decoder's chunk size are gathered whole before encoding (their element
 * count comes first in the file): memory grows with such a value.
 */
import { RdbkitError } from '../errors.js';
import type { HashEntry, KeyEvent, KeyStartEvent, RdbEvent, StreamEntry, StreamMeta, ZsetEntry } from '../events.js';
import { RDB_OPCODE } from '../rdb/constants.js';
import { Crc64 } from '../rdb/crc64.js';
import { ValueWriter, encodeValue } from '../rdb/encoder.js';
import { ChunkedOutput } from '../io/byte-writer.js';

/** Writer options. */
export interface RdbWriterOptions {
  /** RDB version to write (6–12). Default: the input's. */
  version?: number;
  /** Drop what the version cannot hold instead of failing; each drop goes to `onDrop`. */
  lossy?: boolean;
  onDrop?: (what: string, db: number | null, key: Uint8Array | null) => void;
}

/** Synchronous RDB writer: `write()` events, `take()` output chunks, `end()` writes EOF and the checksum. */
export class RdbWriter extends ChunkedOutput {
  private readonly wanted: number | null;
  private readonly lossy: boolean;
  private readonly onDrop: (what: string, db: number | null, key: Uint8Array | null) => void;
  private version = 0;
  private started = false;
  private db = -1;
  private readonly crc = new Crc64();
  private open: { start: KeyStartEvent; items: unknown[]; ttls: Array<number | null> | null; stream: StreamEntry[] } | null = null;
  /** Number of drops in lossy mode. */
  dropped = 0;

  constructor(options: RdbWriterOptions = {}) {
    super();
    this.wanted = options.version ?? null;
    if (this.wanted !== null && (this.wanted < 6 || this.wanted > 12)) throw new RdbkitError('USAGE', `RDB version ${this.wanted} is not supported for writing (6–12)`);
    this.lossy = options.lossy === true;
    this.onDrop = options.onDrop ?? ((): void => undefined);
  }

  private cannotHold(what: string, db: number | null, key: Uint8Array | null): void {
    if (!this.lossy) {
      throw new RdbkitError('OUTPUT', `${what}: RDB version ${this.version} cannot hold it (pass --lossy to drop it)`, { db: db ?? undefined, key: key ?? undefined });
    }
    this.dropped++;
    this.onDrop(what, db, key);
  }

  /** Moves buffered bytes out, checksumming them on the way. */
  protected override flushBuffer(): void {
    this.crc.update(this.buf, 0, this.pos);
    super.flushBuffer();
  }

  private record(b: Uint8Array): void {
    this.bytes(b);
    this.maybeFlush();
  }

  private startFile(version: number): void {
    this.version = this.wanted ?? Math.min(Math.max(version, 6), 12);
    this.ascii(`REDIS${String(this.version).padStart(4, '0')}`);
    this.started = true;
  }

  private keyHeader(db: number, key: Uint8Array, type: number, expireAt: number | null, lruIdle: number | null, lfuFreq: number | null): void {
    const w = new ValueWriter();
    if (db !== this.db) {
      w.u8(RDB_OPCODE.SELECTDB);
      w.len(db);
      this.db = db;
    }
    if (expireAt !== null) {
      w.u8(RDB_OPCODE.EXPIRETIME_MS);
      w.i64le(expireAt);
    }
    if (this.version >= 9 && lruIdle !== null) {
      w.u8(RDB_OPCODE.IDLE);
      w.len(lruIdle);
    }
    if (this.version >= 9 && lfuFreq !== null) {
      w.u8(RDB_OPCODE.FREQ);
      w.u8(lfuFreq);
    }
    w.u8(type);
    w.str(key);
    this.record(w.result());
  }

  private key(ev: KeyEvent): void {
    if (this.version < 12 && ev.dataType === 'hash' && ev.fieldExpireAt && ev.fieldExpireAt.some((t) => t !== null)) {
      this.cannotHold('hash field expiries', ev.db, ev.key);
      ev = { ...ev, fieldExpireAt: null };
    }
    if (ev.dataType === 'stream' && this.version < 10) {
      const m = ev.value;
      if (m.entriesAdded !== null || m.maxDeletedId !== null || m.groups.some((g) => g.entriesRead !== null)) {
        this.cannotHold('stream metadata (entries added, max deleted ID, entries read)', ev.db, ev.key);
      }
    }
    const enc = encodeValue(ev, this.version);
    if (!enc) {
      this.cannotHold(`a ${ev.dataType} value`, ev.db, ev.key);
      return;
    }
    this.keyHeader(ev.db, ev.key, enc.type, ev.expireAt, ev.lruIdle, ev.lfuFreq);
    this.record(enc.bytes);
  }

  /** Writes one event. */
  write(ev: RdbEvent): void {
    if (!this.started) {
      if (ev.type !== 'header') throw new RdbkitError('USAGE', 'the first event must be the header');
      this.startFile(ev.version);
      return;
    }
    switch (ev.type) {
      case 'aux': {
        const w = new ValueWriter();
        w.u8(RDB_OPCODE.AUX);
        w.str(ev.name);
        w.str(ev.value);
        this.record(w.result());
        return;
      }
      case 'function': {
        if (this.version < 10) return this.cannotHold('a function library', null, null);
        const w = new ValueWriter();
        w.u8(RDB_OPCODE.FUNCTION2);
        w.str(ev.code);
        this.record(w.result());
        return;
      }
      case 'moduleAux': {
        if (this.version < 9) return this.cannotHold(`module aux data of ${ev.module}`, null, null);
        this.u8(RDB_OPCODE.MODULE_AUX);
        this.record(ev.payload);
        return;
      }
      case 'key':
        this.key(ev);
        return;
      case 'keyStart':
        if (ev.dataType === 'string') {
          // Strings stream: the length is known, the bytes follow as they come.
          this.keyHeader(ev.db, ev.key, 0, ev.expireAt, ev.lruIdle, ev.lfuFreq);
          const w = new ValueWriter();
          w.len(ev.length ?? 0);
          this.record(w.result());
        }
        this.open = { start: ev, items: [], ttls: null, stream: [] };
        return;
      case 'keyChunk': {
        const o = this.open;
        if (!o) throw new RdbkitError('OUTPUT', 'keyChunk without keyStart', { db: ev.db, key: ev.key });
        if (ev.dataType === 'string') this.record(ev.value);
        else if (ev.dataType === 'stream') o.stream.push(...ev.value);
        else {
          for (const it of ev.value) o.items.push(it);
          if (ev.dataType === 'hash' && ev.fieldExpireAt) o.ttls = [...(o.ttls ?? []), ...ev.fieldExpireAt];
        }
        return;
      }
      case 'keyEnd': {
        const o = this.open;
        if (!o) throw new RdbkitError('OUTPUT', 'keyEnd without keyStart', { db: ev.db, key: ev.key });
        this.open = null;
        if (ev.dataType === 'string') return;
        const s = o.start;
        const base = { type: 'key' as const, offset: s.offset, end: ev.end, db: s.db, key: s.key, expireAt: s.expireAt, lruIdle: s.lruIdle, lfuFreq: s.lfuFreq, rdbType: s.rdbType, encoding: s.encoding };
        let whole: KeyEvent;
        switch (ev.dataType) {
          case 'list':
          case 'set':
            whole = { ...base, dataType: ev.dataType, value: o.items as Uint8Array[] };
            break;
          case 'zset':
            whole = { ...base, dataType: 'zset', value: o.items as ZsetEntry[] };
            break;
          case 'hash':
            whole = { ...base, dataType: 'hash', value: o.items as HashEntry[], fieldExpireAt: o.ttls };
            break;
          case 'stream':
            whole = { ...base, dataType: 'stream', value: { ...(ev.stream as StreamMeta), entries: o.stream } };
            break;
          default:
            throw new RdbkitError('OUTPUT', `cannot write a streamed ${ev.dataType} value`, { db: ev.db, key: ev.key });
        }
        this.key(whole);
        return;
      }
      default:
        return;
    }
  }

  /** Writes EOF and the CRC-64, and releases the last output. */
  end(): void {
    if (!this.started) throw new RdbkitError('USAGE', 'no header was written');
    if (this.open) throw new RdbkitError('OUTPUT', 'events ended inside a streamed value', { db: this.open.start.db, key: this.open.start.key });
    this.u8(RDB_OPCODE.EOF);
    this.crc.update(this.buf, 0, this.pos);
    const tail = new DataView(new ArrayBuffer(8));
    tail.setUint32(0, this.crc.lo, true);
    tail.setUint32(4, this.crc.hi, true);
    this.bytes(new Uint8Array(tail.buffer));
    super.flushBuffer();
  }
}
