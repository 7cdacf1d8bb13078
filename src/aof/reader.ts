/**
 * The AOF command reader: RESP multi-bulk commands and `#` annotation lines,
 * read from pushed chunks with byte offsets, the way `redis-server` loads an
 * AOF file and `redis-check-aof` checks one (format.md section 15).
 *
 * Arguments are views into the input (copied only when a command straddles
 * two chunks). Commands between `MULTI` and its `EXEC` are held back and
 * released together when the `EXEC` arrives, so an unfinished transaction at
 * the end of a file can be dropped whole.
 *
 * `validUpTo` follows `redis-check-aof`'s `ok_up_to`: the end of the last
 * complete command or annotation line that is not inside a MULTI block.
 */
import { RdbkitError } from '../errors.js';
import type { AnnotationEvent, CommandEvent } from '../events.js';
import { plainView } from '../io/byte-reader.js';
import type { ElementReceiver } from '../rdb/sink.js';

const STAR = 0x2a;
const DOLLAR = 0x24;
const HASH = 0x23;
const CR = 0x0d;
const LF = 0x0a;

/** Longest `*N` / `$N` header line accepted (digits and sign), before its CRLF. */
const MAX_HEADER = 20;
/**
 * The loaders read annotation lines with `fgets` into 1024 bytes: a line
 * ends after 1023 bytes (`#` and line end included) even without its `\n`,
 * and what follows is read as the next line.
 */
const ANNOTATION_LINE = 1023;
/** Largest argument accepted (Redis's proto-max-bulk-len ceiling). */
const MAX_BULK = 2 ** 32;

/** Events this reader yields. */
export type AofReaderEvent = CommandEvent | AnnotationEvent;

/** How the input of one part ended. */
export interface AofEnding {
  /** True when the input ended inside a command, or inside a MULTI block. */
  broken: boolean;
  reason: 'eof' | 'multi' | null;
  /** End of the valid prefix (redis-check-aof's ok_up_to). */
  validUpTo: number;
  /** Where the incomplete command (or the open MULTI) starts. */
  faultAt: number;
  /** Total bytes read. */
  size: number;
}

/** Case-insensitive comparison of `b[at, at + word.length)` with an upper-case ASCII word. */
function isWordAt(b: Uint8Array, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if ((b[at + i]! & 0xdf) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * A command event. Its argument vector is cut from the input only when
 * asked for (`args`), and `raw` is the command exactly as stored: reading
 * and verifying allocate one object per command, nothing per argument.
 */
export class AofCommand implements CommandEvent {
  readonly type = 'command' as const;
  private cached: Uint8Array[] | null = null;

  constructor(
    readonly db: number,
    readonly file: string | null,
    readonly offset: number,
    readonly end: number,
    readonly ts: number | null,
    private readonly buf: Uint8Array,
    private readonly at: number,
    /** Number of arguments. */
    readonly argc: number,
  ) {}

  /** The argument vector (views into the input), name first. */
  get args(): Uint8Array[] {
    if (this.cached !== null) return this.cached;
    const out: Uint8Array[] = [];
    this.eachArg({ str: (b, s, e) => void out.push(b.subarray(s, e)) });
    this.cached = out;
    return out;
  }

  /** Each argument, name first, as a range of the input (no view per argument). */
  eachArg(r: Pick<ElementReceiver, 'str'>): void {
    const b = this.buf;
    let p = b.indexOf(LF, this.at) + 1;
    for (let i = 0; i < this.argc; i++) {
      let n = 0;
      let q = p + 1;
      for (; b[q] !== CR; q++) n = n * 10 + (b[q]! - 0x30);
      p = q + 2;
      r.str(b, p, p + n);
      p += n + 2;
    }
  }

  /** The command's bytes as stored in the file (a valid RESP multi-bulk). */
  get raw(): Uint8Array {
    return this.buf.subarray(this.at, this.at + (this.end - this.offset));
  }

  /** The command name, upper-cased (ASCII letters only), for reports. */
  get name(): string {
    const b = this.buf;
    let p = b.indexOf(LF, this.at) + 1;
    let n = 0;
    let q = p + 1;
    for (; b[q] !== CR; q++) n = n * 10 + (b[q]! - 0x30);
    p = q + 2;
    return commandName(b, p, n);
  }
}

/** Upper-cased names of commands seen, keyed by their folded bytes (names up to 6 bytes). */
const NAMES = new Map<number, string>();

function commandName(b: Uint8Array, at: number, n: number): string {
  if (n > 0 && n <= 6) {
    let k = n;
    for (let i = 0; i < n; i++) k = k * 256 + (b[at + i]! >= 0x61 && b[at + i]! <= 0x7a ? b[at + i]! - 0x20 : b[at + i]!);
    let s = NAMES.get(k);
    if (s === undefined && NAMES.size < 4096) {
      s = String.fromCharCode(...b.subarray(at, at + n)).toUpperCase();
      NAMES.set(k, s);
    }
    if (s !== undefined) return s;
  }
  return String.fromCharCode(...b.subarray(at, at + Math.min(n, 64))).toUpperCase();
}

/** Parses ASCII decimal (optionally negative) in `b[from, to)`; NaN when not a number. */
function parseDecimal(b: Uint8Array, from: number, to: number): number {
  let i = from;
  let neg = false;
  if (i < to && b[i] === 0x2d) {
    neg = true;
    i++;
  }
  if (i === to) return NaN;
  let n = 0;
  for (; i < to; i++) {
    const d = b[i]! - 0x30;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/** `#TS:<digits>` → the seconds, else null. */
function annotationTime(text: Uint8Array): number | null {
  if (text.length < 4 || text[0] !== 0x54 || text[1] !== 0x53 || text[2] !== 0x3a) return null;
  const n = parseDecimal(text, 3, text.length);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Reads the commands of one AOF part (or of the tail after an RDB preamble).
 * Push chunks, call `end()` after the last one, and take events with
 * `read()` until it returns undefined; then `ending()` tells how the input
 * ended.
 */
export class AofReader {
  /** Unparsed input; `buf[0]` is at file offset `base`. */
  private buf: Uint8Array = new Uint8Array(0);
  private base: number;
  private pos = 0;
  /** Chunks pushed while a command is incomplete, merged once `need` bytes are there. */
  private extra: Uint8Array[] = [];
  private extraBytes = 0;
  /**
   * While a command straddles chunks: its unread start (`buf` is then a
   * bridge copy of these bytes plus a prefix of the waiting chunks, which
   * stay waiting until the command is read, and parsing goes back to the
   * chunk itself right after it: nothing is copied twice).
   */
  private bridgeRest: Uint8Array | null = null;
  /** Bytes from `pos` the incomplete item needs at least. */
  private need = 1;
  private ended = false;
  private readonly out: AofReaderEvent[] = [];
  /** The fault met while events read before it were still queued. */
  private failed: unknown = null;
  private outIndex = 0;
  /** Commands of an open MULTI block, released at its EXEC. */
  private held: CommandEvent[] | null = null;
  private inMulti = false;
  /** Commands in the open MULTI block (MULTI included). */
  private heldCount = 0;
  /** Commands read and released (a MULTI block's at its EXEC), whether yielded or only counted. */
  commands = 0;
  /** Count commands without yielding them (checking only). */
  private readonly countOnly: boolean;
  private multiAt = 0;
  private validEnd: number;
  private db = 0;
  /** The `#TS` time in force. */
  ts: number | null;
  private readonly file: string | null;
  /** Mirror redis-check-aof: a nested MULTI or an EXEC outside MULTI is an error. */
  private readonly strict: boolean;

  /**
   * @param file   name for events and errors
   * @param base   file offset of the first byte pushed (after an RDB preamble)
   * @param ts     the `#TS` time already in force (from an earlier part)
   * @param strict nested MULTI / EXEC without MULTI are errors (as in redis-check-aof) instead of commands passed on (as redis-server loads them)
   * @param countOnly check and count commands (`commands`) without yielding them; annotations are still yielded
   */
  constructor(file: string | null, base = 0, ts: number | null = null, strict = false, countOnly = false) {
    this.countOnly = countOnly;
    this.file = file;
    this.base = base;
    this.validEnd = base;
    this.ts = ts;
    this.strict = strict;
  }

  /** Feeds the next chunk. The reader keeps views into it: do not modify it afterwards. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    chunk = plainView(chunk);
    if (this.bridgeRest === null && this.pos >= this.buf.length && this.extraBytes === 0) {
      this.base += this.buf.length;
      this.buf = chunk;
      this.pos = 0;
      return;
    }
    this.extra.push(chunk);
    this.extraBytes += chunk.length;
  }

  /** Declares the input complete. */
  end(): void {
    this.ended = true;
    // One more look at what is left: an annotation line may end at the end of the file.
    this.need = 1;
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes consumed plus bytes waiting. */
  private get size(): number {
    return this.base + (this.bridgeRest ?? this.buf).length + this.extraBytes;
  }

  /** Unread bytes from `pos`. */
  private get available(): number {
    return (this.bridgeRest ?? this.buf).length - this.pos + this.extraBytes;
  }

  private fail(code: 'AOF_FORMAT' | 'LIMIT_EXCEEDED', detail: string, at: number): never {
    throw new RdbkitError(code, detail, { offset: at, file: this.file ?? undefined, validUpTo: this.validEnd });
  }

  /**
   * Makes `buf` hold at least `need` bytes from `pos`. When `buf` is used
   * up, the next chunk becomes `buf` (no copy). Otherwise the unread rest
   * starts (or widens) a bridge: a copy of the rest and of enough of the
   * waiting chunks (64 KiB more, or all at the end of input), which
   * `leaveBridge` drops as soon as the straddling item is read.
   */
  private merge(): void {
    let prev = this.buf.length;
    if (this.bridgeRest === null) {
      prev = 0;
      const rest = this.buf.length - this.pos;
      if (rest === 0) {
        this.base += this.buf.length;
        this.buf = this.extra.shift()!;
        this.extraBytes -= this.buf.length;
        this.pos = 0;
        return;
      }
      this.bridgeRest = this.buf.subarray(this.pos);
      this.base += this.pos;
      this.pos = 0;
    }
    const rest = this.bridgeRest;
    const all = rest.length + this.extraBytes;
    // Each widening takes 4 KiB more than the item is known to need.
    const want = this.ended ? all : Math.min(all, Math.max(this.need, prev) + (1 << 12));
    const bridge = new Uint8Array(want);
    bridge.set(rest, 0);
    let at = rest.length;
    for (let i = 0; at < want; i++) {
      const c = this.extra[i]!;
      const take = Math.min(c.length, want - at);
      bridge.set(take === c.length ? c : c.subarray(0, take), at);
      at += take;
    }
    this.buf = bridge;
  }

  /** After an item read from a bridge: continue in the waiting chunks, dropping what the item used. */
  private leaveBridge(): void {
    let used = this.pos - this.bridgeRest!.length;
    this.base += this.pos;
    this.bridgeRest = null;
    while (used > 0) {
      const c = this.extra[0]!;
      if (c.length <= used) {
        this.extra.shift();
        this.extraBytes -= c.length;
        used -= c.length;
      } else {
        this.extra[0] = c.subarray(used);
        this.extraBytes -= used;
        used = 0;
      }
    }
    if (this.extra.length > 0) {
      this.buf = this.extra.shift()!;
      this.extraBytes -= this.buf.length;
    } else {
      this.buf = new Uint8Array(0);
    }
    this.pos = 0;
  }

  /**
   * The next command or annotation, or undefined when more input is needed
   * or the input is finished. Throws RdbkitError (AOF_FORMAT) on bad syntax.
   */
  read(): AofReaderEvent | undefined {
    if (this.outIndex < this.out.length) return this.out[this.outIndex++];
    if (this.failed !== null) throw this.failed;
    this.out.length = 0;
    this.outIndex = 0;
    while (this.out.length === 0) {
      if (this.available < this.need) return undefined;
      if (this.extraBytes > 0 && (this.bridgeRest !== null || this.buf.length - this.pos < this.need)) this.merge();
      try {
        this.parse();
      } catch (e) {
        // What was read before the fault is delivered first, however the input was split.
        this.failed = e;
        if (this.out.length > 0) break;
        throw e;
      }
      if (this.bridgeRest !== null && this.pos > this.bridgeRest.length) this.leaveBridge();
    }
    return this.out[this.outIndex++];
  }

  /**
   * Parses items from `pos` until the buffer runs out, an item is incomplete
   * (`need` then says how many bytes from `pos` it takes at least) or enough
   * events are queued.
   */
  private parse(): void {
    this.need = 1;
    const b = this.buf;
    const len = b.length;
    let p = this.pos;
    while (p < len) {
      const first = b[p]!;
      if (first === STAR) {
        const start = p;
        // *<argc>\r\n
        let q = this.headerEnd(b, p, len, 'argument count');
        if (q < 0) return this.incomplete(start, len - start + 1);
        const argc = parseDecimal(b, p + 1, q);
        if (!(argc >= 1)) this.fail('AOF_FORMAT', `bad argument count ${JSON.stringify(String.fromCharCode(...b.subarray(p + 1, q)))}`, this.base + start);
        p = q + 2;
        // The first two arguments, for MULTI / EXEC / SELECT.
        let a0 = 0;
        let n0 = 0;
        let a1 = 0;
        let n1 = 0;
        for (let i = 0; i < argc; i++) {
          if (p >= len) return this.incomplete(start, p - start + 6 * Math.min(argc - i, 1 << 20));
          if (b[p] !== DOLLAR) this.fail('AOF_FORMAT', `expected '$' at argument ${i + 1} of ${argc}, got byte 0x${b[p]!.toString(16).padStart(2, '0')}`, this.base + p);
          q = this.headerEnd(b, p, len, 'argument length');
          if (q < 0) return this.incomplete(start, len - start + 1);
          const n = parseDecimal(b, p + 1, q);
          if (!(n >= 0) || n > MAX_BULK) this.fail('AOF_FORMAT', `bad argument length ${JSON.stringify(String.fromCharCode(...b.subarray(p + 1, q)))}`, this.base + p);
          p = q + 2;
          if (p + n + 2 > len) return this.incomplete(start, p + n + 2 - start);
          if (b[p + n] !== CR || b[p + n + 1] !== LF) this.fail('AOF_FORMAT', `expected a line end after ${n} bytes of argument ${i + 1}`, this.base + p + n);
          if (i === 0) {
            a0 = p;
            n0 = n;
          } else if (i === 1) {
            a1 = p;
            n1 = n;
          }
          p += n + 2;
        }
        this.pos = p;
        this.command(b, start, p, argc, a0, n0, a1, n1);
        if (this.out.length >= 1024 || (this.bridgeRest !== null && p > this.bridgeRest.length)) return;
      } else if (first === HASH) {
        const start = p;
        let q = p + 1;
        const lim = Math.min(len, start + ANNOTATION_LINE);
        while (q < lim && b[q] !== LF) q++;
        let textEnd: number;
        if (q < lim) {
          p = q + 1;
          textEnd = q;
        } else if (lim === start + ANNOTATION_LINE) {
          // As long as fgets reads: the line ends here, the rest is read as the next one.
          p = lim;
          textEnd = lim;
        } else {
          // An annotation cut off by the end of the file still counts (the loaders read it with fgets).
          if (!this.ended) return this.incomplete(start, len - start + 1);
          p = len;
          textEnd = len;
        }
        if (textEnd > start + 1 && b[textEnd - 1] === CR) textEnd--;
        const text = b.subarray(start + 1, textEnd);
        this.pos = p;
        const ts = annotationTime(text);
        if (ts !== null) this.ts = ts;
        if (!this.inMulti) this.validEnd = this.base + p;
        this.out.push({ type: 'annotation', text, ts, file: this.file, offset: this.base + start, end: this.base + p });
        if (this.bridgeRest !== null && p > this.bridgeRest.length) return;
      } else {
        this.fail('AOF_FORMAT', `expected '*' (a command) or '#' (an annotation), got byte 0x${first.toString(16).padStart(2, '0')}`, this.base + p);
      }
    }
    this.pos = p;
    this.need = 1;
  }

  /**
   * Where the `*N` / `$N` header line at `p` ends (its CR), or -1 when the
   * buffer ends first. A line longer than MAX_HEADER, or not ended by CRLF,
   * is an AOF_FORMAT error (`what` names the number it holds).
   */
  private headerEnd(b: Uint8Array, p: number, len: number, what: string): number {
    let q = p + 1;
    const lim = Math.min(len, q + MAX_HEADER + 1);
    while (q < lim && b[q] !== CR) q++;
    if (q >= len - 1) return -1;
    if (b[q] !== CR || b[q + 1] !== LF) this.fail('AOF_FORMAT', `expected a line end after the ${what}`, this.base + q);
    return q;
  }

  private incomplete(start: number, need: number): void {
    this.pos = start;
    this.need = need;
  }

  private command(b: Uint8Array, at: number, to: number, argc: number, a0: number, n0: number, a1: number, n1: number): void {
    if (n0 === 6 && argc === 2 && isWordAt(b, a0, 'SELECT')) {
      const db = parseDecimal(b, a1, a1 + n1);
      if (Number.isSafeInteger(db) && db >= 0) this.db = db;
    }
    const offset = this.base + at;
    const end = this.base + to;
    const ev = this.countOnly ? null : new AofCommand(this.db, this.file, offset, end, this.ts, b, at, argc);
    if (n0 === 5 && isWordAt(b, a0, 'MULTI')) {
      if (this.inMulti) {
        if (this.strict) this.fail('AOF_FORMAT', 'MULTI inside MULTI', offset);
      } else {
        this.inMulti = true;
        this.heldCount = 1;
        if (ev !== null) this.held = [ev];
        this.multiAt = offset;
        return;
      }
    } else if (n0 === 4 && isWordAt(b, a0, 'EXEC')) {
      if (!this.inMulti) {
        if (this.strict) this.fail('AOF_FORMAT', 'EXEC without MULTI', offset);
      } else {
        if (ev !== null) {
          for (const h of this.held!) this.out.push(h);
          this.out.push(ev);
        }
        this.commands += this.heldCount + 1;
        this.inMulti = false;
        this.held = null;
        this.heldCount = 0;
        this.validEnd = end;
        return;
      }
    }
    if (this.inMulti) {
      this.heldCount++;
      if (ev !== null) this.held!.push(ev);
      return;
    }
    if (ev !== null) this.out.push(ev);
    this.commands++;
    this.validEnd = end;
  }

  /** How the input ended; call after `end()` once `read()` returned undefined. */
  ending(): AofEnding {
    const size = this.size;
    const midCommand = this.available > 0;
    if (midCommand) return { broken: true, reason: 'eof', validUpTo: this.validEnd, faultAt: this.inMulti ? this.multiAt : this.offset, size };
    if (this.inMulti) return { broken: true, reason: 'multi', validUpTo: this.validEnd, faultAt: this.multiAt, size };
    return { broken: false, reason: null, validUpTo: size, faultAt: size, size };
  }
}
