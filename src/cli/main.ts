/**
 * The `rdbkit` command. Exit status: 0 on success, 1 when the input is
 * corrupt or unsupported (one line on stderr naming the problem and the
 * offset), 2 on a usage error.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { RdbkitError, describeKey } from '../errors.js';
import { parseAofBatches, type ParseAofOptions } from '../aof/parse.js';
import { sinkTakes, type RdbDecoderOptions } from '../rdb/decoder.js';
import type { ValueSink } from '../rdb/sink.js';
import type { AofEvent } from '../events.js';
import { assertNotInput, openAof, OutputSink, type OpenedAof } from '../node/index.js';
import { JsonlWriter } from '../writers/jsonl.js';
import { RespWriter } from '../writers/resp.js';
import { FileChecksum } from './checksum.js';
import { RdbWriter } from '../writers/rdb.js';
import { InfoCollector, isMultiPart, rdbFormatName, renderInfo } from '../writers/info.js';
import { makeKeyFilter, type KeyFilterOptions } from '../filters.js';
import type { DataType } from '../rdb/constants.js';
import { Progress } from './progress.js';

const VERSION = '0.1.0';
const DATA_TYPES: readonly DataType[] = ['string', 'list', 'set', 'zset', 'hash', 'stream', 'module'];

class UsageError extends Error {}

function intArg(name: string) {
  return (value: string, prev: number[] | undefined): number[] => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return [...(prev ?? []), Number(value)];
  };
}

function collect(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), value];
}

function typeArg(value: string, prev: DataType[] | undefined): DataType[] {
  if (!(DATA_TYPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`--type must be one of ${DATA_TYPES.join(', ')}`);
  return [...(prev ?? []), value as DataType];
}

interface FilterFlags {
  db?: number[];
  key?: string[];
  keyRegex?: string;
  type?: DataType[];
  expired?: boolean;
}

function filterOptions(o: FilterFlags): KeyFilterOptions {
  const f: KeyFilterOptions = {};
  if (o.db) f.dbs = o.db;
  if (o.key) f.keyGlobs = o.key.map((g) => new Uint8Array(Buffer.from(g, 'utf8')));
  if (o.keyRegex !== undefined) {
    try {
      f.keyRegex = new RegExp(o.keyRegex);
    } catch (e) {
      throw new UsageError(`--key-regex: ${(e as Error).message}`);
    }
  }
  if (o.type) f.types = o.type;
  if (o.expired === false) f.noExpired = { now: Date.now() };
  return f;
}

function addFilterFlags(cmd: Command): Command {
  return cmd
    .option('--db <n>', 'only this database (repeatable)', intArg('--db'))
    .option('--key <glob>', 'only keys matching this Redis KEYS glob, byte-wise (repeatable)', collect)
    .option('--key-regex <re>', 'only keys matching this JavaScript regular expression')
    .option('--type <type>', `only this type: ${DATA_TYPES.join('|')} (repeatable)`, typeArg)
    .option('--no-expired', 'leave out keys whose expiry is in the past');
}

function decoderOptions(o: { checksum?: boolean; future?: boolean }): RdbDecoderOptions {
  return { verifyChecksum: o.checksum !== false, allowFutureVersions: o.future === true };
}

/** A writer of output chunks: JSON Lines, RESP or RDB. */
interface EventWriter {
  write(ev: AofEvent): void;
  take(): Uint8Array[];
  /** Chunks from take() that are written out (see ChunkedOutput.recycle). */
  recycle?(chunks: Uint8Array[]): void;
  /** Mid-batch output to a synchronous sink (see ChunkedOutput.drainTo). */
  drainTo?(drain: ((chunks: Uint8Array[]) => boolean) | null): void;
  end(): void;
}

function untilArg(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('--until must be Unix seconds (a non-negative integer)');
  return Number(v);
}

/** The stderr line for a cut AOF tail or an --until stop. */
function reportCut(ev: Extract<AofEvent, { type: 'aofTruncated' }>, input: string): void {
  const file = ev.file ?? input;
  if (ev.reason === 'until') {
    process.stderr.write(`rdbkit: stopped at the #TS annotation at offset ${ev.offset} of ${file} (--until)\n`);
    return;
  }
  const inside = ev.reason === 'multi' ? 'an unfinished MULTI block' : 'a command';
  process.stderr.write(
    `rdbkit: warning: ${file} ends inside ${inside}; read up to offset ${ev.offset} of ${ev.size} (ok_up_to=${ev.offset}), as redis-server does with aof-load-truncated yes\n`,
  );
}

/** Decodes `input` (an RDB, AOF file, AOF directory or manifest) and streams what `writer` makes of it to `-o` or stdout. */
async function convert(
  input: string,
  o: FilterFlags & { output?: string; checksum?: boolean; future?: boolean; until?: number; rawValues?: boolean; sink?: (ValueSink & { sinkKeys: number }) | undefined },
  writer: EventWriter,
  onEvent?: (ev: AofEvent) => void,
  atomic = false,
): Promise<void> {
  const filter = makeKeyFilter(filterOptions(o));
  const dbs = o.db ?? null;
  const src = await openAof(input);
  assertNotInput(input, src.manifest, o.output ?? null);
  const sink = await OutputSink.open(o.output ?? null, atomic);
  let keys = 0;
  const progress = new Progress(() => src.position, src.size, () => keys + (o.sink?.sinkKeys ?? 0));
  // The writers copy what they keep, and each batch is written before the next is read: the input's memory can be reused.
  const options: ParseAofOptions = { ...decoderOptions(o), keyFilter: filter, rawValues: o.rawValues === true, sink: o.sink ?? null, reuseInput: true };
  if (o.until !== undefined) options.until = o.until;
  const crc = checksumFor(src, options);
  // A file or descriptor is written as the output comes, a few chunks at a time (ChunkedOutput.drainTo).
  if (sink.synchronous) {
    writer.drainTo?.((chunks) => sink.writeNow(chunks));
    // A pipe or socket writes on the thread pool and gives the chunks back once written.
    sink.giveBackTo((chunks) => writer.recycle?.(chunks));
  }
  try {
    for await (const batch of parseAofBatches(src.parts, options)) {
      for (const ev of batch) {
        if (ev.type === 'key' || ev.type === 'keyStart' || ev.type === 'command') keys++;
        else if (ev.type === 'aofTruncated') reportCut(ev, input);
        onEvent?.(ev);
        if (ev.type === 'command' && dbs !== null && !dbs.includes(ev.db)) continue;
        writer.write(ev);
      }
      const chunks = writer.take();
      // Written out when writeAll says so: the writer may reuse them.
      if (await sink.writeAll(chunks)) writer.recycle?.(chunks);
      if (sink.closed) break;
    }
    if (!sink.closed) {
      writer.end();
      for (const chunk of writer.take()) await sink.write(chunk);
    }
  } catch (e) {
    sink.abort();
    throw e;
  } finally {
    crc?.close();
    progress.stop();
  }
  await sink.close();
}

/**
 * For a lone regular file of 64 MiB or more whose checksum is verified: a
 * low-priority worker thread that runs the CRC-64 over the file while this
 * thread decodes (see checksum.ts), set as the decoder's `checksumOf`.
 * Smaller files are checksummed on this thread as they are read: with the
 * WebAssembly CRC (2.7 GB/s) that costs less than starting the worker
 * (measured: resp of the 1 MB sample 0.20 -> 0.14 s).
 */
const WORKER_CRC_MIN = 64 << 20;
function checksumFor(src: OpenedAof, options: ParseAofOptions): FileChecksum | null {
  if (src.kind !== 'single' || src.size === null || src.size < WORKER_CRC_MIN || src.name === '-' || options.verifyChecksum === false) return null;
  const crc = new FileChecksum(src.name, src.size);
  options.checksumOf = crc.of;
  return crc;
}

async function collectInfo(input: string, o: { checksum?: boolean; future?: boolean; strict?: boolean }) {
  const src = await openAof(input);
  const info = new InfoCollector();
  let crc: FileChecksum | null = null;
  let keys = 0;
  const progress = new Progress(() => src.position, src.size, () => keys + info.sinkKeys);
  try {
    // Plain values go to the collector as the decoder's sink: read and
    // checked, without building their elements. The rest (streams, modules,
    // hashes with field expiries) are skipped, module values excepted, to
    // name their modules; values too large for the sink stream as events.
    const skipRest = (k: { dataType: DataType; rdbType: number }): boolean => k.dataType === 'module' || sinkTakes(k.rdbType);
    // verify only counts commands (info tallies them by name and database).
    const commands = o.strict ? 'count' : 'events';
    // info reports the computed CRC-64 without failing on a mismatch.
    const options: ParseAofOptions = { ...decoderOptions(o), computeChecksum: true, keyFilter: skipRest, sink: info, truncated: o.strict ? 'strict' : 'load', commands, reuseInput: true };
    crc = checksumFor(src, options);
    for await (const batch of parseAofBatches(src.parts, options)) {
      for (const ev of batch) {
        if (ev.type === 'keySkipped' || ev.type === 'key' || ev.type === 'command') keys++;
        else if (ev.type === 'aofPartEnd' && ev.counted) keys += ev.commands;
        else if (ev.type === 'aofTruncated') reportCut(ev, input);
        info.add(ev);
      }
    }
  } finally {
    crc?.close();
    progress.stop();
  }
  return info.report(src.size);
}

async function runInfo(input: string, o: { json?: boolean; checksum?: boolean; future?: boolean }): Promise<void> {
  const report = await collectInfo(input, { ...o, checksum: false });
  const text = o.json ? JSON.stringify(report) + '\n' : renderInfo(report);
  process.stdout.write(text);
}

async function runVerify(input: string, o: { future?: boolean; quiet?: boolean; allowTrailing?: boolean }): Promise<void> {
  const report = await collectInfo(input, { future: o.future === true, checksum: true, strict: true });
  if (report.trailingBytes > 0 && !o.allowTrailing) {
    // Servers write nothing after the checksum; AOF preambles and captured
    // replication streams do, and so does damage to the version digits.
    throw new RdbkitError('CORRUPT', `${report.trailingBytes} unexpected bytes after the end of the RDB (use --allow-trailing if they are expected)`, { offset: report.end ?? undefined });
  }
  if (o.quiet) return;
  const a = report.aof;
  if (a !== null) {
    if (report.size === 0) {
      process.stdout.write(`OK ${input}: empty file (an empty AOF; an RDB is never empty)\n`);
      return;
    }
    const multi = isMultiPart(a);
    const layout = multi ? `multi-part AOF (${a.parts.length} files)` : a.parts[0]?.format === 'rdb' ? 'AOF with RDB preamble' : 'AOF';
    const rdb = report.magic !== null && report.version !== null ? `, ${multi ? 'base' : 'preamble'} ${rdbFormatName(report.magic, report.version)} with ${report.keys} keys` : '';
    process.stdout.write(`OK ${input}: ${layout}${rdb}, ${a.commands} commands, ${a.annotations} annotations\n`);
    return;
  }
  const fmt = rdbFormatName(report.magic ?? '?', report.version ?? 0);
  const c = report.checksum;
  const sum = c.stored === null ? 'no checksum (version < 5)' : c.disabled ? 'checksum disabled when saved' : `checksum ${c.stored} verified`;
  const trail = report.trailingBytes > 0 ? `, ${report.trailingBytes} trailing bytes after the checksum` : '';
  process.stdout.write(`OK ${input}: ${fmt}, ${report.keys} keys in ${report.dbs.filter((d) => d.keys > 0).length} databases, ${sum}${trail}\n`);
}

/**
 * `rdbkit rdb` writes RDB data only: an AOF's commands would need a server's
 * semantics to become keys. An AOF whose only data is its RDB base or
 * preamble (right after a rewrite, its increments are empty) converts like
 * that RDB; the first command, or a part of commands, stops the run.
 */
function refuseAofCommands(ev: AofEvent): void {
  const replay = 'rdbkit rdb turns only RDB data into an RDB (replay the AOF with `rdbkit resp INPUT | redis-cli --pipe` and SAVE)';
  if (ev.type === 'aofPart' && ev.format === 'resp' && ev.role !== 'incr') {
    throw new RdbkitError('USAGE', `this input is an AOF of commands${ev.file !== null ? ` (${ev.file})` : ''}: ${replay}`);
  }
  if (ev.type === 'command') {
    throw new RdbkitError('USAGE', `this AOF has commands after its RDB data, the first at offset ${ev.offset}${ev.file !== null ? ` of ${ev.file}` : ''}: ${replay}`);
  }
}

/** One stderr line per item dropped in --lossy mode. */
function reportDrop(what: string, db: number | null, key: Uint8Array | null): void {
  process.stderr.write(`rdbkit: dropped ${what}${db !== null ? ` (db ${db}${key ? `, key ${describeKey(key)}` : ''})` : ''}\n`);
}

function describeError(e: RdbkitError, input: string | undefined): string {
  const where = input !== undefined && e.code !== 'USAGE' && e.code !== 'IO' ? `${input}: ` : '';
  return `rdbkit: ${where}${e.message} [${e.code}]`;
}

/** Runs the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let currentInput: string | undefined;
  const program = new Command('rdbkit')
    .description('Read Redis and Valkey RDB dumps and AOF files: convert to JSON Lines, RESP or RDB, inspect, verify.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const future = new Option('--best-effort-version', 'read RDB versions newer than this release knows, stopping cleanly at the first unknown tag').default(false);

  addFilterFlags(
    program
      .command('json')
      .description('write every key (and AOF command) as one JSON object per line (JSON Lines)')
      .argument('<input>', 'RDB file, AOF file, AOF directory or manifest, or - for stdin')
      .option('-o, --output <file>', 'write to this file instead of stdout')
      .addOption(new Option('--bytes <mode>', 'how byte strings are written').choices(['auto', 'base64']).default('auto'))
      .option('--meta', 'also write header, aux, function, module aux, eof and AOF part/annotation records')
      .option('--until <seconds>', 'AOF: stop at the first #TS annotation later than this Unix time', untilArg)
      .option('--no-checksum', 'do not verify the CRC-64 trailer')
      .addOption(future),
  ).action(async (input: string, o: FilterFlags & { output?: string; bytes: 'auto' | 'base64'; meta?: boolean; checksum?: boolean; bestEffortVersion?: boolean; until?: number }) => {
    currentInput = input;
    // The writer is the decoder's sink for strings: no value is built for them.
    const writer = new JsonlWriter({ bytes: o.bytes, meta: o.meta === true, defaultFile: input === '-' ? null : input });
    await convert(input, { ...o, future: o.bestEffortVersion === true, sink: writer }, writer);
  });

  addFilterFlags(
    program
      .command('resp')
      .description('write the commands that rebuild every key, then an AOF\'s own commands (RESP, for redis-cli --pipe)')
      .argument('<input>', 'RDB file, AOF file, AOF directory or manifest, or - for stdin')
      .option('-o, --output <file>', 'write to this file instead of stdout')
      .option('--replace', 'delete each key before writing it, so existing keys are overwritten')
      .option('--lossy', 'drop what the target version cannot hold (reported on stderr) instead of failing')
      .option('--restore', 'write RESTORE commands with DUMP payloads (streams and field TTLs still as commands)')
      .option('--target-version <n>', 'RDB version of the target server, 6-12 (default: the input\'s): payload encodings, and what it cannot hold', (v: string) => {
        if (!/^\d+$/.test(v) || Number(v) < 6 || Number(v) > 12) throw new InvalidArgumentError('--target-version must be 6 to 12');
        return Number(v);
      })
      .option('--no-functions', 'leave out function libraries')
      .option('--no-modules', 'the target has no modules: module values are data it cannot hold (an error, or dropped with --lossy)')
      .option('--until <seconds>', 'AOF: stop at the first #TS annotation later than this Unix time (point-in-time recovery)', untilArg)
      .option('--no-checksum', 'do not verify the CRC-64 trailer')
      .addOption(new Option('--best-effort-version', 'read newer RDB versions best-effort').default(false)),
  ).action(async (input: string, o: FilterFlags & { output?: string; replace?: boolean; lossy?: boolean; functions?: boolean; modules?: boolean; restore?: boolean; targetVersion?: number; checksum?: boolean; bestEffortVersion?: boolean; until?: number }) => {
    currentInput = input;
    const opts: ConstructorParameters<typeof RespWriter>[0] = {
      replace: o.replace === true,
      functions: o.functions !== false,
      restore: o.restore === true,
      lossy: o.lossy === true,
      modules: o.modules !== false,
      onDrop: reportDrop,
    };
    if (o.targetVersion !== undefined) opts.targetVersion = o.targetVersion;
    const writer = new RespWriter(opts);
    // The writer is the decoder's sink: plain commands are written element by
    // element from the input; RESTORE payloads of strings and compact blobs
    // the target holds as they are come from their raw bytes (rawValues), the
    // rest as events.
    const restore = o.restore === true;
    await convert(input, { ...o, future: o.bestEffortVersion === true, rawValues: restore, sink: writer }, writer);
    if (writer.dropped > 0) process.stderr.write(`rdbkit: ${writer.dropped} item(s) dropped${o.targetVersion !== undefined ? ` for RDB version ${o.targetVersion}` : ''}\n`);
  });

  addFilterFlags(
    program
      .command('rdb')
      .description('write a new RDB file, optionally of another version (6-12) or a subset of the keys')
      .argument('<input>', 'RDB file, AOF file, AOF directory or manifest, or - for stdin')
      .requiredOption('-o, --output <file>', 'the RDB file to write')
      .option('--rdb-version <n>', 'RDB version to write, 6-12 or valkey080 (default: the input\'s)', (v: string) => {
        if (/^valkey080$/i.test(v)) return 80;
        if (!/^\d+$/.test(v) || Number(v) < 6 || Number(v) > 12) throw new InvalidArgumentError('--rdb-version must be 6 to 12 or valkey080');
        return Number(v);
      })
      .option('--lossy', 'drop what the version cannot hold (reported on stderr) instead of failing')
      .option('--no-modules', 'the target has no modules: module values and aux data are data it cannot hold (an error, or dropped with --lossy)')
      .option('--no-checksum', 'do not verify the input\'s CRC-64 trailer')
      .addOption(new Option('--best-effort-version', 'read newer RDB versions best-effort').default(false)),
  ).action(async (input: string, o: FilterFlags & { output: string; rdbVersion?: number; lossy?: boolean; modules?: boolean; checksum?: boolean; bestEffortVersion?: boolean }) => {
    currentInput = input;
    // The source's RESIZEDB hints are copied only when every key is (no filter).
    const everyKey = makeKeyFilter(filterOptions(o)) === null;
    const opts: ConstructorParameters<typeof RdbWriter>[0] = { lossy: o.lossy === true, onDrop: reportDrop, resizeHints: everyKey, modules: o.modules !== false };
    if (o.rdbVersion !== undefined) opts.version = o.rdbVersion;
    const writer = new RdbWriter(opts);
    // Values the target version holds as they are are copied byte for byte.
    // (The writer is the decoder's sink for the strings and compact blobs it copies: no value is built for them.)
    // A partial RDB file is of no use to anyone: the file is written beside -o and renamed over it at the end.
    await convert(input, { ...o, future: o.bestEffortVersion === true, rawValues: true, sink: writer }, writer, refuseAofCommands, true);
    if (writer.dropped > 0) process.stderr.write(`rdbkit: ${writer.dropped} item(s) dropped\n`);
  });

  program
    .command('info')
    .description('summarise a dump or AOF: version, aux fields, keys per database, types, encodings, checksum, largest keys; AOF parts, commands by name, #TS range')
    .argument('<input>', 'RDB file, AOF file, AOF directory or manifest, or - for stdin')
    .option('--json', 'print one JSON object')
    .addOption(new Option('--best-effort-version', 'read newer RDB versions best-effort').default(false))
    .action(async (input: string, o: { json?: boolean; bestEffortVersion?: boolean }) => {
      currentInput = input;
      await runInfo(input, { ...o, future: o.bestEffortVersion === true });
    });

  program
    .command('verify')
    .description('check structure and checksum (AOF: like redis-check-aof); exit 0 when intact, 1 with the problem, its file and offset')
    .argument('<input>', 'RDB file, AOF file, AOF directory or manifest, or - for stdin')
    .option('-q, --quiet', 'print nothing on success')
    .option('--allow-trailing', 'accept bytes after the checksum (an AOF preamble, a captured replication stream)')
    .addOption(new Option('--best-effort-version', 'read newer RDB versions best-effort').default(false))
    .action(async (input: string, o: { quiet?: boolean; allowTrailing?: boolean; bestEffortVersion?: boolean }) => {
      currentInput = input;
      await runVerify(input, { ...o, future: o.bestEffortVersion === true });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`rdbkit: ${e.message}\n`);
      return 2;
    }
    if (e instanceof RdbkitError) {
      process.stderr.write(describeError(e, currentInput) + '\n');
      return e.code === 'USAGE' ? 2 : 1;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`rdbkit: internal error: ${msg} (please report this with the input file)\n`);
    return 1;
  }
}

// bin/rdbkit.js decides on the heap limit before this module loads (see there).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = 1;
  },
);
