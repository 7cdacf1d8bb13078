/**
 * rdbkit: read Redis and Valkey persistence files as typed events, and write
 * them as JSON Lines (more writers follow). This entry point is isomorphic:
 * it imports nothing from Node.
 */
export { RdbkitError, type RdbkitErrorCode } from './errors.js';
export type * from './events.js';
export { RdbDecoder, type RdbDecoderOptions, type ModuleValueReader } from './rdb/decoder.js';
export type { ValueSink, ElementReceiver } from './rdb/sink.js';
export { parseRdb, parseRdbSync, parseRdbBatches, type ParseRdbOptions } from './rdb/parse.js';
export { parseAof, parseAofBatches, type ParseAofOptions, type AofPartInput } from './aof/parse.js';
export { AofReader } from './aof/reader.js';
export { parseManifest, type ManifestEntry } from './aof/manifest.js';
export { RDB_TYPE, RDB_OPCODE, describeType, type DataType, type EncodingName } from './rdb/constants.js';
export type { ByteSource } from './io/source.js';
export { JsonlWriter, writeJsonl, type JsonlOptions } from './writers/jsonl.js';
export { RespWriter, writeResp, type RespOptions } from './writers/resp.js';
export { RdbWriter, type RdbWriterOptions } from './writers/rdb.js';
export { encodeValue, dumpPayload } from './rdb/encoder.js';
export { InfoCollector, renderInfo, type InfoReport } from './writers/info.js';
export { makeKeyFilter, filterEvents, filterEventsSync, EventFilter, keyText, type KeyFilterOptions } from './filters.js';
export { globMatch, compileGlob } from './glob.js';
export { Crc64, crc64 } from './rdb/crc64.js';
