/**
 * The event model: what the decoders yield and the writers consume.
 *
 * Every event carries `offset`, the absolute byte position in the input where
 * its record starts. Byte strings are `Uint8Array` views; a view stays valid
 * for as long as the caller keeps it (rdbkit never writes into a buffer after
 * handing out views of it).
 */
import type { DataType, EncodingName } from './rdb/constants.js';
import type { ElementReceiver } from './rdb/sink.js';

/** A 64-bit integer: a number when it is a safe integer, else a bigint. */
export type Int64 = number | bigint;

/** A stream entry ID. */
export interface StreamId {
  ms: Int64;
  seq: Int64;
}

/** `REDIS0011` or `VALKEY080`. */
export interface HeaderEvent {
  type: 'header';
  offset: number;
  magic: 'REDIS' | 'VALKEY';
  version: number;
  /** True when the version is newer than this library knows and was read in best-effort mode. */
  future: boolean;
}

/** An AUX field (opcode 250). */
export interface AuxEvent {
  type: 'aux';
  offset: number;
  name: Uint8Array;
  value: Uint8Array;
}

/** SELECTDB (254). */
export interface SelectDbEvent {
  type: 'selectDb';
  offset: number;
  db: number;
}

/** RESIZEDB (251): sizing hints for the current database. */
export interface ResizeDbEvent {
  type: 'resizeDb';
  offset: number;
  db: number;
  keys: number;
  expires: number;
}

/** SLOT_INFO (244): sizing hints for a cluster hash slot. */
export interface SlotInfoEvent {
  type: 'slotInfo';
  offset: number;
  db: number;
  slot: number;
  keys: number;
  expires: number;
}

/** Valkey SLOT_IMPORT (243 in VALKEY080 files). */
export interface SlotImportEvent {
  type: 'slotImport';
  offset: number;
  job: Uint8Array;
  ranges: Array<[number, number]>;
}

/** A function library: FUNCTION2 (245) or FUNCTION_PRE_GA (246). */
export interface FunctionEvent {
  type: 'function';
  offset: number;
  opcode: 245 | 246;
  /** Library source code (for 245, including its `#!engine name=…` shebang line). */
  code: Uint8Array;
  /** FUNCTION_PRE_GA only: library name, engine, description. */
  name: Uint8Array | null;
  engine: Uint8Array | null;
  description: Uint8Array | null;
}

/** MODULE_AUX (247), kept as raw bytes. */
export interface ModuleAuxEvent {
  type: 'moduleAux';
  offset: number;
  module: string;
  encver: number;
  moduleId: bigint;
  /** 1 = before the keyspace, 2 = after. */
  when: number;
  /** The record's bytes after the opcode byte: type id, when, opcode stream, EOF. */
  payload: Uint8Array;
}

/** End of the RDB body. */
export interface EofEvent {
  type: 'eof';
  offset: number;
  /** The stored checksum (null before version 5). 0n means checksumming was disabled. */
  storedChecksum: bigint | null;
  /** The CRC-64 computed over the bytes (null when not computed). */
  computedChecksum: bigint | null;
  /** True when the stored checksum was compared with the computed one and matched. */
  verified: boolean;
  /** Offset just after the checksum (or after the EOF byte): where an AOF tail would start. */
  end: number;
}

/** Bytes found after the end of the RDB (counted, not parsed). */
export interface TrailingEvent {
  type: 'trailing';
  offset: number;
  length: number;
}

/** What is known about a key before its value. */
export interface KeyInfo {
  db: number;
  key: Uint8Array;
  /** Absolute expiry in Unix milliseconds, or null. */
  expireAt: number | null;
  /** IDLE prefix: seconds since last access, or null. */
  lruIdle: number | null;
  /** FREQ prefix: LFU counter 0–255, or null. */
  lfuFreq: number | null;
  /** The RDB object type byte. */
  rdbType: number;
  encoding: EncodingName;
  dataType: DataType;
}

/** A zset member and its score. */
export type ZsetEntry = [member: Uint8Array, score: number];
/** A hash field and its value. */
export type HashEntry = [field: Uint8Array, value: Uint8Array];

/** One stream entry: its ID and its fields as a flat list `[f1, v1, f2, v2, …]`. */
export interface StreamEntry {
  id: StreamId;
  fields: Uint8Array[];
  /** True for a tombstone (only present with the `tombstones` option). */
  deleted: boolean;
}

/** A pending entry of a consumer group. */
export interface StreamPendingEntry {
  id: StreamId;
  consumer: Uint8Array | null;
  deliveryTime: Int64;
  deliveryCount: Int64;
}

/** A consumer of a group. */
export interface StreamConsumer {
  name: Uint8Array;
  seenTime: Int64;
  /** null before stream v3. */
  activeTime: Int64 | null;
  /** IDs of this consumer's pending entries. */
  pending: StreamId[];
}

/** A consumer group. */
export interface StreamGroup {
  name: Uint8Array;
  lastId: StreamId;
  /** null before stream v2, -1 when the server marked it unknown. */
  entriesRead: Int64 | null;
  pending: StreamPendingEntry[];
  consumers: StreamConsumer[];
}

/** Stream metadata stored after the entries. Fields the version does not store are null. */
export interface StreamMeta {
  length: Int64;
  lastId: StreamId;
  firstId: StreamId | null;
  maxDeletedId: StreamId | null;
  entriesAdded: Int64 | null;
  groups: StreamGroup[];
  /** Number of listpack nodes. */
  nodes: number;
}

/** A whole stream value. */
export interface StreamValue extends StreamMeta {
  entries: StreamEntry[];
}

/** A module value, kept as its serialised bytes. */
export interface ModuleValue {
  module: string;
  encver: number;
  moduleId: bigint;
  /** The serialised value: module type id LEN, opcode stream, EOF (what RESTORE needs after the type byte). */
  payload: Uint8Array;
}

interface KeyBase extends KeyInfo {
  type: 'key';
  offset: number;
  /** Offset just after the record. */
  end: number;
  /**
   * With the decoder's `rawValues` option: the value as stored in the file,
   * every byte after the key name (the type byte is `rdbType`). Valid while
   * the event is.
   */
  raw?: Uint8Array;
}

/** A whole key with its value (values below the streaming threshold). */
export type KeyEvent =
  | (KeyBase & { dataType: 'string'; value: Uint8Array })
  | (KeyBase & { dataType: 'list'; value: Uint8Array[] })
  | (KeyBase & { dataType: 'set'; value: Uint8Array[] })
  | (KeyBase & { dataType: 'zset'; value: ZsetEntry[] })
  | (KeyBase & { dataType: 'hash'; value: HashEntry[]; fieldExpireAt: Array<number | null> | null })
  | (KeyBase & { dataType: 'stream'; value: StreamValue })
  | (KeyBase & { dataType: 'module'; value: ModuleValue });

/** Start of a large value, which follows as `keyChunk` events and ends with `keyEnd`. */
export interface KeyStartEvent extends KeyInfo {
  type: 'keyStart';
  offset: number;
  /** Strings: total byte length. Collections: element count when the encoding states it, else null. */
  length: number | null;
  /**
   * Quicklist lists (types 14 and 18, whose file states a node count, not an
   * element count): the number of nodes. Each `keyChunk` of the value then
   * holds whole nodes and lists their element counts in `nodes`.
   */
  nodes?: number;
}

interface ChunkBase {
  type: 'keyChunk';
  offset: number;
  db: number;
  key: Uint8Array;
}

/** A piece of a large value, in order. */
export type KeyChunkEvent =
  | (ChunkBase & { dataType: 'string'; value: Uint8Array })
  | (ChunkBase & { dataType: 'list'; value: Uint8Array[]; /** Quicklist sources: element count of each node in this chunk, in order. */ nodes?: number[] })
  | (ChunkBase & { dataType: 'set'; value: Uint8Array[] })
  | (ChunkBase & { dataType: 'zset'; value: ZsetEntry[] })
  | (ChunkBase & { dataType: 'hash'; value: HashEntry[]; fieldExpireAt: Array<number | null> | null })
  | (ChunkBase & { dataType: 'stream'; value: StreamEntry[] });

/** End of a large value. Streams carry their metadata here (it follows the entries in the file). */
export interface KeyEndEvent {
  type: 'keyEnd';
  offset: number;
  end: number;
  db: number;
  key: Uint8Array;
  dataType: DataType;
  stream: StreamMeta | null;
}

/**
 * A key whose value was not decoded into memory because the decoder's
 * `keyFilter` rejected it (its structure was still read and checked).
 * Writers ignore it; reports count it.
 */
export interface KeySkippedEvent extends KeyInfo {
  type: 'keySkipped';
  offset: number;
  end: number;
}

/** Everything the RDB decoder yields. */
export type RdbEvent =
  | HeaderEvent
  | AuxEvent
  | SelectDbEvent
  | ResizeDbEvent
  | SlotInfoEvent
  | SlotImportEvent
  | FunctionEvent
  | ModuleAuxEvent
  | KeyEvent
  | KeyStartEvent
  | KeyChunkEvent
  | KeyEndEvent
  | KeySkippedEvent
  | EofEvent
  | TrailingEvent;

// ------------------------------------------------------------------- AOF

/**
 * One part of an AOF as it begins: the single file of a plain or
 * RDB-preamble AOF, or the base / an incremental file of a multi-part AOF
 * directory. Offsets of the events that follow are relative to this file.
 */
export interface AofPartEvent {
  type: 'aofPart';
  /** File name (as listed in the manifest), or null for an unnamed source. */
  file: string | null;
  /** `base` and `incr` in a manifest; `single` for a lone file or stdin. */
  role: 'base' | 'incr' | 'single';
  /** What the file starts with: an RDB (`REDIS…` / `VALKEY…`) or RESP commands. */
  format: 'rdb' | 'resp';
  offset: number;
}

/** The end of an AOF part (also when reading stopped in it at `until`). */
export interface AofPartEndEvent {
  type: 'aofPartEnd';
  file: string | null;
  /** Commands of the part (MULTI blocks whole): yielded as `command` events, or only counted when `counted`. */
  commands: number;
  /** True when `parseAof` ran with `commands: 'count'`: the commands were checked and counted, not yielded. */
  counted: boolean;
  /** Where reading of the part ended (its size, unless it was cut or stopped). */
  offset: number;
}

/** A command of the AOF: its argument vector as sent, and where it came from. */
export interface CommandEvent {
  type: 'command';
  /** Database in force (following `SELECT`); for a `SELECT` itself, the database it selects. */
  db: number;
  /** The argument vector, name first, as byte strings. */
  args: Uint8Array[];
  /**
   * Optional (commands read from a file have it): hands each argument, name
   * first, to `r.str` as a range of a buffer valid during the call, without
   * building `args`' views.
   */
  eachArg?(r: Pick<ElementReceiver, 'str'>): void;
  file: string | null;
  /** Offset of the `*` that starts the command in its file. */
  offset: number;
  /** Offset just after the command. */
  end: number;
  /** The `#TS:` time in force (Unix seconds), or null when none was seen yet in this AOF. */
  ts: number | null;
}

/** A `#…` annotation line (Redis 7 writes `#TS:<unix seconds>`). */
export interface AnnotationEvent {
  type: 'annotation';
  /** The line after `#`, without its line end. */
  text: Uint8Array;
  /** For `#TS:` lines, the time; else null. */
  ts: number | null;
  file: string | null;
  offset: number;
  end: number;
}

/**
 * The end of an AOF part was cut off (load-truncated mode): everything from
 * `offset` on was left out, the way `redis-server` with `aof-load-truncated
 * yes` truncates the last file. `offset` is what `redis-check-aof` reports as
 * `ok_up_to`.
 */
export interface AofTruncatedEvent {
  type: 'aofTruncated';
  file: string | null;
  /** End of the valid prefix: after the last complete command outside a MULTI block. */
  offset: number;
  /** Bytes of the part (where the damage ends); null when reading stopped early (`until`). */
  size: number | null;
  /**
   * Why: `'eof'` (the part ended inside a command), `'multi'` (it ended inside
   * an unfinished MULTI block), or `'until'` (a `#TS:` annotation later than
   * the `until` option: `offset` is where that annotation starts, and nothing
   * after it, in this part or later ones, was read).
   */
  reason: 'eof' | 'multi' | 'until';
}

/** Everything `parseAof` yields: the RDB events of a base or preamble, then commands. */
export type AofEvent = RdbEvent | AofPartEvent | AofPartEndEvent | CommandEvent | AnnotationEvent | AofTruncatedEvent;
