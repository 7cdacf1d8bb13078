/**
 * The `info` report: what is in a dump, at a glance. Consumes decoder events
 * (it never looks at bytes) and produces a plain object and a text rendering.
 */
import type { AofEvent, KeyInfo } from '../events.js';
import type { ValueSink } from '../rdb/sink.js';
import { AofCommand } from '../aof/reader.js';
import { isLoneRdb } from '../aof/parse.js';
import type { DataType } from '../rdb/constants.js';

/** Per-database counts. */
export interface DbInfo {
  db: number;
  keys: number;
  expires: number;
  /** RESIZEDB hints as stored, when present. */
  resizeHint: { keys: number; expires: number } | null;
}

/** One of the largest keys. */
export interface LargeKey {
  db: number;
  key: string;
  type: DataType;
  encoding: string;
  /** Serialized size in the file (type byte to end of value), in bytes. */
  size: number;
}

/** One file of an AOF. */
export interface AofPartInfo {
  file: string | null;
  role: 'base' | 'incr' | 'single';
  format: 'rdb' | 'resp';
  commands: number;
}

/** The AOF part of the report: present when the input has commands or AOF parts. */
export interface AofInfo {
  parts: AofPartInfo[];
  commands: number;
  /** Commands by upper-cased name (at most 1,000 names; the rest count under `(other)`). */
  byName: Record<string, number>;
  /** Commands by the database they run in. */
  byDb: Record<string, number>;
  /** MULTI…EXEC blocks. */
  transactions: number;
  annotations: number;
  /** The first and last `#TS:` times (Unix seconds). */
  tsFirst: number | null;
  tsLast: number | null;
  /** Where a broken tail was cut (load-truncated reading), or reading stopped at `until`. */
  truncated: { file: string | null; offset: number; size: number | null; reason: string } | null;
}

/** The report `rdbkit info --json` prints. */
export interface InfoReport {
  /** AOF facts, or null for a lone RDB. */
  aof: AofInfo | null;
  magic: string | null;
  version: number | null;
  aux: Record<string, string>;
  dbs: DbInfo[];
  keys: number;
  expires: number;
  types: Record<string, number>;
  encodings: Record<string, number>;
  functions: Array<{ name: string | null; engine: string | null; opcode: number }>;
  modules: Array<{ module: string; encver: number; when: number }>;
  moduleValues: Record<string, number>;
  slotInfo: number;
  checksum: { stored: string | null; computed: string | null; ok: boolean | null; disabled: boolean };
  trailingBytes: number;
  /** Offset just after the RDB (after the checksum). */
  end: number | null;
  size: number | null;
  largestKeys: LargeKey[];
}

const lossyText = new TextDecoder('utf-8', { fatal: false });
/** Text for display only (invalid UTF-8 becomes U+FFFD); never used for data output. */
const text = (b: Uint8Array): string => lossyText.decode(b);

const hex64 = (v: bigint | null): string | null => (v === null ? null : v.toString(16).padStart(16, '0'));

/** Library name from a FUNCTION2 shebang line (`#!lua name=mylib`). */
function functionName(code: Uint8Array): { name: string | null; engine: string | null } {
  let end = code.indexOf(0x0a);
  if (end < 0) end = code.length;
  const line = text(code.subarray(0, Math.min(end, 1024)));
  const m = /^#!(\S+)(?:.*?\bname=(\S+))?/.exec(line);
  return { engine: m?.[1] ?? null, name: m?.[2] ?? null };
}

/** Collects the info report from events. */
/**
 * Collects the report from events. It is also a `ValueSink`: as the
 * decoder's `sink` it takes plain values without their elements being built
 * (they are still read and checked), which is how `rdbkit info` and `verify`
 * run.
 */
export class InfoCollector implements ValueSink {
  private readonly r: InfoReport = {
    aof: null,
    magic: null,
    version: null,
    aux: {},
    dbs: [],
    keys: 0,
    expires: 0,
    types: {},
    encodings: {},
    functions: [],
    modules: [],
    moduleValues: {},
    slotInfo: 0,
    checksum: { stored: null, computed: null, ok: null, disabled: false },
    trailingBytes: 0,
    end: null,
    size: null,
    largestKeys: [],
  };
  private readonly dbs = new Map<number, DbInfo>();
  private readonly top: LargeKey[] = [];
  private readonly topN: number;
  private open: { db: number; key: Uint8Array; type: DataType; encoding: string; offset: number } | null = null;

  constructor(topN = 10) {
    this.topN = topN;
  }

  /** Keys taken as a sink. */
  sinkKeys = 0;
  begin(): void {}
  str(): void {}
  int(): void {}
  score(): void {}
  done(info: KeyInfo, offset: number, end: number): void {
    this.sinkKeys++;
    this.countKey(info.db, info.dataType, info.rdbType, info.encoding, info.expireAt);
    this.consider(info.db, info.key, info.dataType, info.encoding, end - offset);
  }

  private dbInfo(db: number): DbInfo {
    let d = this.dbs.get(db);
    if (!d) {
      d = { db, keys: 0, expires: 0, resizeHint: null };
      this.dbs.set(db, d);
    }
    return d;
  }

  /** Report names of encodings, by type byte and encoding (built once each). */
  private readonly encNames: Array<Map<string, string> | undefined> = [];

  private countKey(db: number, type: DataType, rdbType: number, encoding: string, expireAt: number | null): void {
    const d = this.dbInfo(db);
    d.keys++;
    this.r.keys++;
    if (expireAt !== null) {
      d.expires++;
      this.r.expires++;
    }
    this.r.types[type] = (this.r.types[type] ?? 0) + 1;
    let byEnc = this.encNames[rdbType];
    if (byEnc === undefined) byEnc = this.encNames[rdbType] = new Map();
    let enc = byEnc.get(encoding);
    if (enc === undefined) byEnc.set(encoding, (enc = `${type}/${encoding} (type ${rdbType})`));
    this.r.encodings[enc] = (this.r.encodings[enc] ?? 0) + 1;
  }

  private consider(db: number, key: Uint8Array, type: DataType, encoding: string, size: number): void {
    const top = this.top;
    if (top.length === this.topN && size <= top[top.length - 1]!.size) return;
    const entry: LargeKey = { db, key: text(key), type, encoding, size };
    let i = top.length;
    while (i > 0 && top[i - 1]!.size < size) i--;
    top.splice(i, 0, entry);
    if (top.length > this.topN) top.pop();
  }

  private aof(): AofInfo {
    if (this.r.aof === null) {
      this.r.aof = { parts: [], commands: 0, byName: {}, byDb: {}, transactions: 0, annotations: 0, tsFirst: null, tsLast: null, truncated: null };
    }
    return this.r.aof;
  }

  private aofPart(): AofPartInfo {
    const a = this.aof();
    if (a.parts.length === 0) a.parts.push({ file: null, role: 'single', format: this.r.magic !== null ? 'rdb' : 'resp', commands: 0 });
    return a.parts[a.parts.length - 1]!;
  }

  private names = 0;

  /** Feeds one event. */
  add(ev: AofEvent): void {
    switch (ev.type) {
      case 'aofPart':
        // A lone RDB file is an RDB until commands follow it.
        if (!isLoneRdb(ev)) this.aof().parts.push({ file: ev.file, role: ev.role, format: ev.format, commands: 0 });
        return;
      case 'command': {
        const part = this.aofPart();
        const a = this.aof();
        part.commands++;
        a.commands++;
        let name: string;
        if (ev instanceof AofCommand) name = ev.name;
        else {
          const n0 = ev.args[0]!;
          name = String.fromCharCode(...n0.subarray(0, 64)).toUpperCase();
        }
        if (a.byName[name] === undefined) {
          if (this.names >= 1000) name = '(other)';
          else this.names++;
        }
        a.byName[name] = (a.byName[name] ?? 0) + 1;
        if (name === 'MULTI') a.transactions++;
        a.byDb[ev.db] = (a.byDb[ev.db] ?? 0) + 1;
        return;
      }
      case 'annotation': {
        this.aofPart();
        const a = this.aof();
        a.annotations++;
        if (ev.ts !== null) {
          if (a.tsFirst === null || ev.ts < a.tsFirst) a.tsFirst = ev.ts;
          if (a.tsLast === null || ev.ts > a.tsLast) a.tsLast = ev.ts;
        }
        return;
      }
      case 'aofPartEnd':
        if (ev.counted && ev.commands > 0) {
          const part = this.aofPart();
          part.commands += ev.commands;
          this.aof().commands += ev.commands;
        }
        return;
      case 'aofTruncated':
        this.aofPart();
        this.aof().truncated = { file: ev.file, offset: ev.offset, size: ev.size, reason: ev.reason };
        return;
      case 'header':
        this.r.magic = ev.magic;
        this.r.version = ev.version;
        return;
      case 'aux':
        this.r.aux[text(ev.name)] = text(ev.value);
        return;
      case 'selectDb':
        this.dbInfo(ev.db);
        return;
      case 'resizeDb':
        this.dbInfo(ev.db).resizeHint = { keys: ev.keys, expires: ev.expires };
        return;
      case 'slotInfo':
        this.r.slotInfo++;
        return;
      case 'function': {
        if (ev.opcode === 246) {
          this.r.functions.push({ name: ev.name ? text(ev.name) : null, engine: ev.engine ? text(ev.engine) : null, opcode: 246 });
        } else {
          this.r.functions.push({ ...functionName(ev.code), opcode: 245 });
        }
        return;
      }
      case 'moduleAux':
        this.r.modules.push({ module: ev.module, encver: ev.encver, when: ev.when });
        return;
      case 'key':
        this.countKey(ev.db, ev.dataType, ev.rdbType, ev.encoding, ev.expireAt);
        if (ev.dataType === 'module') this.r.moduleValues[ev.value.module] = (this.r.moduleValues[ev.value.module] ?? 0) + 1;
        this.consider(ev.db, ev.key, ev.dataType, ev.encoding, ev.end - ev.offset);
        return;
      case 'keySkipped':
        this.countKey(ev.db, ev.dataType, ev.rdbType, ev.encoding, ev.expireAt);
        this.consider(ev.db, ev.key, ev.dataType, ev.encoding, ev.end - ev.offset);
        return;
      case 'keyStart':
        this.countKey(ev.db, ev.dataType, ev.rdbType, ev.encoding, ev.expireAt);
        this.open = { db: ev.db, key: ev.key, type: ev.dataType, encoding: ev.encoding, offset: ev.offset };
        return;
      case 'keyEnd':
        if (this.open) this.consider(this.open.db, this.open.key, this.open.type, this.open.encoding, ev.end - this.open.offset);
        this.open = null;
        return;
      case 'eof':
        this.r.end = ev.end;
        this.r.checksum = {
          stored: hex64(ev.storedChecksum),
          computed: hex64(ev.computedChecksum),
          ok: ev.storedChecksum === null || ev.storedChecksum === 0n ? null : ev.verified || ev.storedChecksum === ev.computedChecksum,
          disabled: ev.storedChecksum === 0n,
        };
        return;
      case 'trailing':
        this.r.trailingBytes = ev.length;
        return;
      default:
        return;
    }
  }

  /** The finished report. */
  report(size: number | null = null): InfoReport {
    this.r.dbs = [...this.dbs.values()].sort((a, b) => a.db - b.db);
    this.r.largestKeys = this.top.slice();
    this.r.size = size;
    return this.r;
  }
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** `REDIS0011` / `VALKEY080`, as the file's header spells it. */
export function rdbFormatName(magic: string, version: number): string {
  return `${magic}${String(version).padStart(magic === 'VALKEY' ? 3 : 4, '0')}`;
}

/** True when the AOF came from a manifest (base and incremental parts). */
export function isMultiPart(a: AofInfo): boolean {
  return a.parts.some((p) => p.role !== 'single');
}

/** Renders the report as text for a terminal. */
export function renderInfo(r: InfoReport): string {
  const out: string[] = [];
  if (r.aof !== null) renderAof(r.aof, out);
  if (r.magic === null) {
    if (r.size !== null) out.push(`size:       ${fmtBytes(r.size)} (${r.size} bytes)`);
    return out.join('\n') + '\n';
  }
  if (r.aof !== null) out.push(isMultiPart(r.aof) ? 'RDB base:' : 'RDB preamble:');
  out.push(`format:     ${r.version !== null ? rdbFormatName(r.magic, r.version) : r.magic} (RDB version ${r.version ?? '?'})`);
  if (r.size !== null) out.push(`size:       ${fmtBytes(r.size)} (${r.size} bytes)`);
  const ver = r.aux['redis-ver'] ?? r.aux['valkey-ver'];
  if (ver !== undefined) out.push(`written by: ${r.aux['valkey-ver'] !== undefined ? 'Valkey' : 'Redis'} ${ver}`);
  if (r.aux['ctime'] !== undefined) {
    const t = Number(r.aux['ctime']);
    if (Number.isFinite(t)) out.push(`created:    ${new Date(t * 1000).toISOString()}`);
  }
  out.push(`keys:       ${r.keys} (${r.expires} with expiry)`);
  if (r.dbs.length > 0) {
    out.push('databases:');
    for (const d of r.dbs) {
      const hint = d.resizeHint ? `  [hint: ${d.resizeHint.keys} keys, ${d.resizeHint.expires} expires]` : '';
      out.push(`  db ${String(d.db).padEnd(4)} ${String(d.keys).padStart(10)} keys ${String(d.expires).padStart(10)} expires${hint}`);
    }
  }
  const types = Object.entries(r.types).sort((a, b) => b[1] - a[1]);
  if (types.length > 0) {
    out.push('types:');
    for (const [t, n] of types) out.push(`  ${t.padEnd(10)} ${String(n).padStart(10)}`);
  }
  const encs = Object.entries(r.encodings).sort((a, b) => b[1] - a[1]);
  if (encs.length > 0) {
    out.push('encodings:');
    for (const [e, n] of encs) out.push(`  ${e.padEnd(34)} ${String(n).padStart(10)}`);
  }
  if (r.functions.length > 0) {
    out.push(`functions:  ${r.functions.length} librar${r.functions.length === 1 ? 'y' : 'ies'}`);
    for (const f of r.functions) out.push(`  ${f.name ?? '?'} (${f.engine ?? '?'})${f.opcode === 246 ? ' [pre-GA format]' : ''}`);
  }
  if (r.modules.length > 0) {
    out.push('module aux:');
    for (const m of r.modules) out.push(`  ${m.module} encver ${m.encver} (${m.when === 1 ? 'before' : 'after'} keyspace)`);
  }
  for (const [m, n] of Object.entries(r.moduleValues)) out.push(`module values: ${m} × ${n}`);
  if (r.slotInfo > 0) out.push(`slot info:  ${r.slotInfo} records`);
  const aux = Object.entries(r.aux);
  if (aux.length > 0) {
    out.push('aux:');
    for (const [k, v] of aux) out.push(`  ${printable(k)} = ${printable(v.length > 80 ? v.slice(0, 80) + '…' : v)}`);
  }
  const c = r.checksum;
  if (c.stored === null) out.push('checksum:   none (RDB version < 5)');
  else if (c.disabled) out.push('checksum:   disabled when saved (stored 0)' + (c.computed ? `; computed ${c.computed}` : ''));
  else out.push(`checksum:   stored ${c.stored}, computed ${c.computed ?? '?'} — ${c.ok ? 'OK' : 'MISMATCH'}`);
  if (r.trailingBytes > 0) out.push(`trailing:   ${r.trailingBytes} bytes after the checksum`);
  if (r.largestKeys.length > 0) {
    out.push(`largest keys (serialized size):`);
    for (const k of r.largestKeys) out.push(`  ${fmtBytes(k.size).padStart(10)}  db ${k.db}  ${k.type.padEnd(6)} ${printable(k.key.length > 60 ? k.key.slice(0, 60) + '…' : k.key)}`);
  }
  return out.join('\n') + '\n';
}

const isoTime = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

function renderAof(a: AofInfo, out: string[]): void {
  const multi = isMultiPart(a);
  out.push(`AOF:        ${multi ? `multi-part, ${a.parts.length} file${a.parts.length === 1 ? '' : 's'}` : a.parts[0]?.format === 'rdb' ? 'RDB preamble + commands' : 'commands (RESP)'}`);
  if (multi) for (const p of a.parts) out.push(`  ${p.role.padEnd(5)} ${(p.file ?? '?').padEnd(36)} ${p.format.padEnd(4)} ${String(p.commands).padStart(10)} commands`);
  const dbs = Object.keys(a.byDb);
  out.push(`commands:   ${a.commands} in ${dbs.length} database${dbs.length === 1 ? '' : 's'} (${dbs.map((d) => `db ${d}: ${a.byDb[d]}`).join(', ')})${a.transactions > 0 ? `, ${a.transactions} MULTI/EXEC blocks` : ''}`);
  const names = Object.entries(a.byName).sort((x, y) => y[1] - x[1]);
  for (const [n, c] of names.slice(0, 20)) out.push(`  ${printable(n).padEnd(20)} ${String(c).padStart(10)}`);
  if (names.length > 20) out.push(`  … ${names.length - 20} more command names`);
  if (a.annotations > 0) out.push(`annotations: ${a.annotations}${a.tsFirst !== null ? `; #TS from ${isoTime(a.tsFirst)} to ${isoTime(a.tsLast!)} (${a.tsFirst}–${a.tsLast})` : ''}`);
  const t = a.truncated;
  if (t !== null) {
    out.push(
      t.reason === 'until'
        ? `stopped:    at the #TS annotation at offset ${t.offset} of ${t.file ?? 'the input'} (--until)`
        : `truncated:  ${t.file ?? 'the input'} ends inside ${t.reason === 'multi' ? 'a MULTI block' : 'a command'}; read up to offset ${t.offset} of ${t.size} bytes`,
    );
  }
}
