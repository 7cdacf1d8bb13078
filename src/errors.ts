/**
 * The one error class rdbkit throws. Every failure caused by input carries a
 * machine-readable `code`, the absolute byte `offset` where the fault was
 * found, and the database and key when they are known.
 */

/** Every error code rdbkit uses. */
export type RdbkitErrorCode =
  /** The input ended before a record was complete. */
  | 'TRUNCATED'
  /** An AOF is malformed (a bad RESP prefix or length, a bad manifest, a MULTI/EXEC out of place). */
  | 'AOF_FORMAT'
  /** A structure is inconsistent (bad length, bad encoding byte, bad blob). */
  | 'CORRUPT'
  /** The input does not start with a known magic (`REDIS` / `VALKEY`). */
  | 'BAD_MAGIC'
  /** The header names a version this library does not read by default. */
  | 'UNSUPPORTED_VERSION'
  /** An object type byte this library does not know for this version. */
  | 'UNKNOWN_TYPE'
  /** An opcode this library does not know for this version. */
  | 'UNKNOWN_OPCODE'
  /** The stored CRC-64 does not match the bytes. */
  | 'CHECKSUM_MISMATCH'
  /** A pre-GA module value (type 6) cannot be skipped without its module's parser. */
  | 'MODULE_NEEDS_PARSER'
  /** A length or count exceeds a configured limit. */
  | 'LIMIT_EXCEEDED'
  /** A JSON Lines record could not be written losslessly in the chosen bytes mode. */
  | 'OUTPUT'
  /** A caller error (bad option, bad argument). */
  | 'USAGE'
  /** An input/output failure reported by the environment. */
  | 'IO';

/** Construction options for {@link RdbkitError}. */
export interface RdbkitErrorDetails {
  offset?: number | undefined;
  /** The file of a multi-part input (AOF directory) the offset is in. */
  file?: string | undefined;
  /** For AOF input: where the valid prefix of `file` ends (redis-check-aof's ok_up_to). */
  validUpTo?: number | undefined;
  db?: number | undefined;
  key?: Uint8Array | undefined;
  cause?: unknown;
}

/** Renders a key for a message: printable ASCII as is, anything else escaped. */
export function describeKey(key: Uint8Array): string {
  const max = 64;
  let s = '';
  const n = Math.min(key.length, max);
  for (let i = 0; i < n; i++) {
    const b = key[i]!;
    if (b === 0x22 || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\x' + b.toString(16).padStart(2, '0');
  }
  if (key.length > max) s += `…(${key.length} bytes)`;
  return `"${s}"`;
}

/** The error rdbkit throws for bad input, unsupported input and bad usage. */
export class RdbkitError extends Error {
  override readonly name = 'RdbkitError';
  readonly code: RdbkitErrorCode;
  /** Absolute byte offset of the fault in the input, when known. */
  readonly offset: number | undefined;
  /** For multi-file input (AOF parts): the file the offset is in. */
  readonly file: string | undefined;
  /** For AOF input: where the valid prefix of `file` ends (redis-check-aof's `ok_up_to`). */
  readonly validUpTo: number | undefined;
  /** Database number in force at the fault, when known. */
  readonly db: number | undefined;
  /** Key whose record holds the fault, when known. */
  readonly key: Uint8Array | undefined;
  /** The message without the location suffix. */
  readonly detail: string;

  constructor(code: RdbkitErrorCode, detail: string, details: RdbkitErrorDetails = {}) {
    let where = '';
    if (details.offset !== undefined) where += ` at offset ${details.offset}`;
    if (details.file !== undefined) where += ` of ${details.file}`;
    if (details.validUpTo !== undefined) where += ` (ok_up_to=${details.validUpTo})`;
    const ctx: string[] = [];
    if (details.db !== undefined) ctx.push(`db ${details.db}`);
    if (details.key !== undefined) ctx.push(`key ${describeKey(details.key)}`);
    if (ctx.length > 0) where += ` (${ctx.join(', ')})`;
    super(detail + where, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.offset = details.offset;
    this.file = details.file;
    this.validUpTo = details.validUpTo;
    this.db = details.db;
    this.key = details.key;
    this.detail = detail;
  }

  /** A copy of this error located in `file`, with `offset` moved by `base` (an RDB preamble read from the start of an AOF part needs none). */
  inFile(file: string | undefined, base = 0): RdbkitError {
    if (file === undefined && base === 0) return this;
    return new RdbkitError(this.code, this.detail, {
      offset: this.offset === undefined ? undefined : this.offset + base,
      file: this.file ?? file,
      validUpTo: this.validUpTo === undefined ? undefined : this.validUpTo + base,
      db: this.db,
      key: this.key,
      cause: this.cause,
    });
  }

  /** A copy of this error with the db and key filled in where missing. */
  withContext(db: number | undefined, key: Uint8Array | undefined): RdbkitError {
    if ((this.db !== undefined || db === undefined) && (this.key !== undefined || key === undefined)) return this;
    const e = new RdbkitError(this.code, this.detail, {
      offset: this.offset,
      file: this.file,
      validUpTo: this.validUpTo,
      db: this.db ?? db,
      key: this.key ?? key,
      cause: this.cause,
    });
    return e;
  }
}

/** Shorthand for a `CORRUPT` error. */
export function corrupt(detail: string, offset: number): RdbkitError {
  return new RdbkitError('CORRUPT', detail, { offset });
}
