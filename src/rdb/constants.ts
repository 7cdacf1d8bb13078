/**
 * RDB object types and opcodes, with the names Redis gives them in
 * `src/rdb.h` (Redis unstable 2024-10; Valkey 9 for the VALKEY080 meanings).
 */

/** Object type bytes that start a key record (`RDB_TYPE_*` in rdb.h). */
export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE_PRE_GA: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
  /** Redis 7.4 release candidates; in VALKEY080 files the same byte is HASH_2. */
  HASH_METADATA_PRE_GA: 22,
  /** Redis 7.4 release candidates. */
  HASH_LISTPACK_EX_PRE_GA: 23,
  HASH_METADATA: 24,
  HASH_LISTPACK_EX: 25,
} as const;

/** Valkey 9 (`VALKEY080`): type 22 is a hash table hash with field TTLs. */
export const VALKEY_RDB_TYPE_HASH_2 = 22;

/** Opcodes (`RDB_OPCODE_*` in rdb.h). */
export const RDB_OPCODE = {
  /** Valkey ≥ 9 (VALKEY080): atomic slot migration import in progress. Redis ≥ 8.6: KEY_META. */
  SLOT_IMPORT: 243,
  SLOT_INFO: 244,
  FUNCTION2: 245,
  FUNCTION_PRE_GA: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

/** Redis Enterprise opcodes that librdb skips: each is followed by one LEN. */
export const RDB_ENTERPRISE_OPCODE = {
  RAM_LRU: 107,
  SLOT_NUMBER: 121,
} as const;

/** Special string encodings after a `11xxxxxx` length byte (`RDB_ENC_*`). */
export const RDB_ENC = {
  INT8: 0,
  INT16: 1,
  INT32: 2,
  LZF: 3,
} as const;

/** Module value opcodes inside a MODULE_2 value or MODULE_AUX record (`RDB_MODULE_OPCODE_*`). */
export const RDB_MODULE_OPCODE = {
  EOF: 0,
  SINT: 1,
  UINT: 2,
  FLOAT: 3,
  DOUBLE: 4,
  STRING: 5,
} as const;

/** Quicklist v2 node containers (`QUICKLIST_NODE_CONTAINER_*`). */
export const QUICKLIST_NODE_CONTAINER = {
  PLAIN: 1,
  PACKED: 2,
} as const;

/** Stream entry flags (`STREAM_ITEM_FLAG_*` in t_stream.c). */
export const STREAM_ITEM_FLAG = {
  NONE: 0,
  DELETED: 1,
  SAMEFIELDS: 2,
} as const;

/** The newest Redis RDB version this library reads without opt-in. */
export const RDB_VERSION_MAX_REDIS = 12;
/** The newest Valkey RDB version (magic `VALKEY`) this library reads without opt-in. */
export const RDB_VERSION_MAX_VALKEY = 80;

/** Logical data types. */
export type DataType = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream' | 'module';

/** The encoding names rdbkit reports (the `OBJECT ENCODING` vocabulary where one exists). */
export type EncodingName =
  | 'string'
  | 'int'
  | 'linkedlist'
  | 'ziplist'
  | 'quicklist'
  | 'quicklist2'
  | 'listpack'
  | 'listpackex'
  | 'hashtable'
  | 'intset'
  | 'skiplist'
  | 'zipmap'
  | 'stream'
  | 'module';

/** The logical type and encoding of an object type byte, for REDIS (≤ 12) and VALKEY (80) files. */
export function describeType(type: number, valkey: boolean): { dataType: DataType; encoding: EncodingName } | undefined {
  switch (type) {
    case 0: return { dataType: 'string', encoding: 'string' };
    case 1: return { dataType: 'list', encoding: 'linkedlist' };
    case 2: return { dataType: 'set', encoding: 'hashtable' };
    case 3: return { dataType: 'zset', encoding: 'skiplist' };
    case 4: return { dataType: 'hash', encoding: 'hashtable' };
    case 5: return { dataType: 'zset', encoding: 'skiplist' };
    case 6: return { dataType: 'module', encoding: 'module' };
    case 7: return { dataType: 'module', encoding: 'module' };
    case 9: return { dataType: 'hash', encoding: 'zipmap' };
    case 10: return { dataType: 'list', encoding: 'ziplist' };
    case 11: return { dataType: 'set', encoding: 'intset' };
    case 12: return { dataType: 'zset', encoding: 'ziplist' };
    case 13: return { dataType: 'hash', encoding: 'ziplist' };
    case 14: return { dataType: 'list', encoding: 'quicklist' };
    case 15: return { dataType: 'stream', encoding: 'stream' };
    case 16: return { dataType: 'hash', encoding: 'listpack' };
    case 17: return { dataType: 'zset', encoding: 'listpack' };
    case 18: return { dataType: 'list', encoding: 'quicklist2' };
    case 19: return { dataType: 'stream', encoding: 'stream' };
    case 20: return { dataType: 'set', encoding: 'listpack' };
    case 21: return { dataType: 'stream', encoding: 'stream' };
    case 22: return { dataType: 'hash', encoding: 'hashtable' };
    case 23: return valkey ? undefined : { dataType: 'hash', encoding: 'listpackex' };
    case 24: return valkey ? undefined : { dataType: 'hash', encoding: 'hashtable' };
    case 25: return valkey ? undefined : { dataType: 'hash', encoding: 'listpackex' };
    default: return undefined;
  }
}
