/** Event-building helpers shared by the writer tests. */
import type { KeyEvent, RdbEvent } from '../../src/events.js';

/** Splits a whole key event into keyStart, chunks of `per` items (or bytes) and keyEnd. */
export function streamed(ev: KeyEvent, per: number): RdbEvent[] {
  const { type: _t, end, value, ...info } = ev as KeyEvent & { fieldExpireAt?: Array<number | null> | null };
  const base = { type: 'keyChunk' as const, offset: 0, db: ev.db, key: ev.key, dataType: ev.dataType };
  const length = ev.dataType === 'string' ? ev.value.length : null;
  const out: RdbEvent[] = [{ ...info, type: 'keyStart', length } as RdbEvent];
  if (ev.dataType === 'string') {
    for (let i = 0; i < ev.value.length; i += per) out.push({ ...base, dataType: 'string', value: ev.value.subarray(i, i + per) });
  } else if (ev.dataType === 'stream') {
    for (let i = 0; i < ev.value.entries.length; i += per) out.push({ ...base, dataType: 'stream', value: ev.value.entries.slice(i, i + per) });
  } else {
    const items = ev.value as unknown[];
    for (let i = 0; i < items.length; i += per) {
      const c = { ...base, value: items.slice(i, i + per) } as Record<string, unknown>;
      if (ev.dataType === 'hash') c.fieldExpireAt = ev.fieldExpireAt ? ev.fieldExpireAt.slice(i, i + per) : null;
      out.push(c as unknown as RdbEvent);
    }
  }
  const stream = ev.dataType === 'stream' ? (({ entries: _e, ...m }) => m)(ev.value) : null;
  out.push({ type: 'keyEnd', offset: 0, end, db: ev.db, key: ev.key, dataType: ev.dataType, stream });
  return out;
}

/** A writer with the push interface of the library's writers (write, take, end). */
export interface PushWriter<E> {
  write(ev: E): void;
  take(): Uint8Array[];
  end(): void;
}

/** Feeds `events` through `w`, taking its output after each write and after end; returns all of it. */
export function runWriter<E>(w: PushWriter<E>, events: Iterable<E>): Buffer {
  const parts: Uint8Array[] = [];
  for (const ev of events) {
    w.write(ev);
    parts.push(...w.take());
  }
  w.end();
  parts.push(...w.take());
  return Buffer.concat(parts);
}
