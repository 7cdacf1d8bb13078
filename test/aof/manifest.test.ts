/**
 * parseManifest: the Redis 7 / Valkey multi-part AOF manifest grammar
 * (../shared/docs/format.md §15.3), with inputs written by hand from the
 * spec: redis-cli-style tokens (double quotes with \xHH \n \r \t \b \a and
 * \<any> escapes, single quotes with \' only, a closing quote must be followed
 * by whitespace), `#` comment lines, `\r` trimmed, blank lines and empty
 * manifests rejected, key/value pairs (even count, ≥ 6 tokens, keys
 * case-insensitive, unknown keys ignored, file/seq/type required), type by
 * first character (b/h/i), at most one base, strictly increasing INCR seq,
 * plain base names, startoffset/endoffset.
 */
import { describe, expect, it } from 'vitest';
import { parseManifest, RdbkitError } from '../../src/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

async function parse(text: string | Uint8Array): Promise<unknown> {
  return await Promise.resolve().then(() => parseManifest(typeof text === 'string' ? enc(text) : text));
}

async function rejects(text: string | Uint8Array, what: string): Promise<void> {
  let err: unknown = null;
  try {
    await parse(text);
  } catch (e) {
    err = e;
  }
  expect(err, `${what}: must be rejected`).toBeInstanceOf(RdbkitError);
  expect((err as RdbkitError).code, what).toBe('AOF_FORMAT');
}

const FIELDS = ['file', 'seq', 'type', 'startOffset', 'endOffset'];

/** Entries as plain objects: the documented fields, without undefined ones (extra fields such as a line number are allowed). */
async function entries(text: string | Uint8Array): Promise<Array<Record<string, unknown>>> {
  const out = (await parse(text)) as Array<Record<string, unknown>>;
  return out.map((e) => Object.fromEntries(Object.entries(e).filter(([k, v]) => FIELDS.includes(k) && v !== undefined)));
}

describe('parseManifest: what Redis writes', () => {
  it('the format.md example: base, history, incr, startoffset/endoffset, in file order', async () => {
    const m = [
      'file appendonly.aof.2.base.rdb seq 2 type b',
      'file appendonly.aof.1.incr.aof seq 1 type h',
      'file appendonly.aof.2.incr.aof seq 2 type h',
      'file appendonly.aof.3.incr.aof seq 3 type i',
      'file appendonly.aof.4.incr.aof seq 4 type i startoffset 1024 endoffset 4096',
      '',
    ].join('\n');
    expect(await entries(m)).toEqual([
      { file: 'appendonly.aof.2.base.rdb', seq: 2, type: 'b' },
      { file: 'appendonly.aof.1.incr.aof', seq: 1, type: 'h' },
      { file: 'appendonly.aof.2.incr.aof', seq: 2, type: 'h' },
      { file: 'appendonly.aof.3.incr.aof', seq: 3, type: 'i' },
      { file: 'appendonly.aof.4.incr.aof', seq: 4, type: 'i', startOffset: 1024, endOffset: 4096 },
    ]);
  });

  it('startoffset alone (endoffset optional)', async () => {
    expect(await entries('file a.aof seq 5 type i startoffset 77\n')).toEqual([{ file: 'a.aof', seq: 5, type: 'i', startOffset: 77 }]);
  });

  it('a manifest of INCR parts only (no base) and one of a base only', async () => {
    expect(await entries('file x.1.incr.aof seq 1 type i\nfile x.2.incr.aof seq 2 type i\n')).toEqual([
      { file: 'x.1.incr.aof', seq: 1, type: 'i' },
      { file: 'x.2.incr.aof', seq: 2, type: 'i' },
    ]);
    expect(await entries('file x.1.base.aof seq 1 type b\n')).toEqual([{ file: 'x.1.base.aof', seq: 1, type: 'b' }]);
  });

  it('large sequence numbers', async () => {
    expect(await entries('file a seq 123456789012 type i\n')).toEqual([{ file: 'a', seq: 123456789012, type: 'i' }]);
  });
});

describe('parseManifest: lines and comments', () => {
  it('\\r\\n line ends: the \\r is trimmed', async () => {
    expect(await entries('file a.rdb seq 1 type b\r\nfile b.aof seq 1 type i\r\n')).toEqual([
      { file: 'a.rdb', seq: 1, type: 'b' },
      { file: 'b.aof', seq: 1, type: 'i' },
    ]);
  });

  it('lines starting with # are comments, anywhere', async () => {
    const m = '# written by a test\nfile a.rdb seq 1 type b\n#file ghost seq 9 type i\n# file b seq 2 type b\nfile b.aof seq 1 type i\n';
    expect(await entries(m)).toEqual([
      { file: 'a.rdb', seq: 1, type: 'b' },
      { file: 'b.aof', seq: 1, type: 'i' },
    ]);
  });

  it('tabs and runs of spaces separate tokens', async () => {
    expect(await entries('file\ta.aof   seq \t 3\ttype   i\n')).toEqual([{ file: 'a.aof', seq: 3, type: 'i' }]);
  });

  it('a blank line is an error (between records, at the start, whitespace-only)', async () => {
    await rejects('file a.rdb seq 1 type b\n\nfile b.aof seq 1 type i\n', 'blank line between records');
    await rejects('\nfile a.rdb seq 1 type b\n', 'blank first line');
    await rejects('file a.rdb seq 1 type b\n   \nfile b.aof seq 1 type i\n', 'whitespace-only line');
    await rejects('file a.rdb seq 1 type b\n\r\nfile b.aof seq 1 type i\n', 'a line holding only \\r');
  });

  it('an empty manifest is an error', async () => {
    await rejects('', 'empty manifest');
  });

  it('a line longer than 1024 bytes is an error', async () => {
    await rejects(`file ${'a'.repeat(1100)}.aof seq 1 type i\n`, 'long line');
  });
});

describe('parseManifest: tokens and quoting', () => {
  it('a double-quoted name with spaces', async () => {
    expect(await entries('file "my append only.aof" seq 1 type i\n')).toEqual([{ file: 'my append only.aof', seq: 1, type: 'i' }]);
  });

  it('double-quote escapes: \\xHH, \\n \\r \\t \\b \\a, \\" and \\<any>', async () => {
    // (No backslash in the result: a name holding one is not a plain base name.)
    const out = (await parse('file "a\\x41\\x7a\\n\\r\\t\\b\\a\\"\\q" seq 1 type i\n')) as Array<{ file: string }>;
    expect(out[0]!.file).toBe('aAz\n\r\t\b\x07"q');
  });

  it("single quotes: \\' is an escape, double quotes inside are plain", async () => {
    const out = (await parse("file 'it\\'s \"x\" 1.aof' seq 1 type i\n")) as Array<{ file: string }>;
    expect(out[0]!.file).toBe('it\'s "x" 1.aof');
  });

  it('quoted keys and values are tokens like any other', async () => {
    expect(await entries('"file" "a.aof" \'seq\' "7" type "incr"\n')).toEqual([{ file: 'a.aof', seq: 7, type: 'i' }]);
  });

  it('a closing quote must be followed by whitespace or the end of the line', async () => {
    await rejects('file "a.aof"x seq 1 type i\n', 'double quote followed by a character');
    await rejects("file 'a.aof'x seq 1 type i\n", 'single quote followed by a character');
    expect(await entries('file "a.aof"\tseq 1 type "i"\n')).toEqual([{ file: 'a.aof', seq: 1, type: 'i' }]);
  });

  it('an unterminated quote is an error', async () => {
    await rejects('file "a.aof seq 1 type i\n', 'unterminated double quote');
    await rejects("file 'a.aof seq 1 type i\n", 'unterminated single quote');
  });
});

describe('parseManifest: keys and values', () => {
  it('keys are case-insensitive', async () => {
    expect(await entries('FILE a.aof Seq 4 TYPE i\n')).toEqual([{ file: 'a.aof', seq: 4, type: 'i' }]);
  });

  it('keys in any order', async () => {
    expect(await entries('type b seq 2 file base.rdb\n')).toEqual([{ file: 'base.rdb', seq: 2, type: 'b' }]);
  });

  it('the type is its first character', async () => {
    expect(await entries('file a seq 1 type base\nfile b seq 1 type history\nfile c seq 2 type incr\n')).toEqual([
      { file: 'a', seq: 1, type: 'b' },
      { file: 'b', seq: 1, type: 'h' },
      { file: 'c', seq: 2, type: 'i' },
    ]);
  });

  it('unknown keys are ignored (forward compatibility)', async () => {
    expect(await entries('file a.aof seq 1 type i future-key some-value another 42\n')).toEqual([{ file: 'a.aof', seq: 1, type: 'i' }]);
  });

  it('an odd number of tokens is an error', async () => {
    await rejects('file a.aof seq 1 type i extra\n', 'seven tokens');
    await rejects('file a.aof seq 1 type\n', 'five tokens');
  });

  it('fewer than 6 tokens is an error even when even', async () => {
    await rejects('file a.aof seq 1\n', 'four tokens');
    await rejects('file a.aof\n', 'two tokens');
  });

  it('file, seq and type are required', async () => {
    await rejects('seq 1 type i other x\n', 'no file');
    await rejects('file a.aof type i other x\n', 'no seq');
    await rejects('file a.aof seq 1 other x\n', 'no type');
  });

  it('seq must be an integer ≥ 1', async () => {
    await rejects('file a.aof seq 0 type i\n', 'seq 0');
  });

  it('an unknown type character is an error', async () => {
    await rejects('file a.aof seq 1 type x\n', 'type x');
    await rejects('file a.aof seq 1 type B2\n', 'type B (upper case is not b)');
  });

  it('at most one base', async () => {
    await rejects('file a.rdb seq 1 type b\nfile b.rdb seq 2 type b\n', 'two bases');
  });

  it('INCR seq must strictly increase; history seq may be anything', async () => {
    await rejects('file a seq 2 type i\nfile b seq 2 type i\n', 'equal incr seq');
    await rejects('file a seq 3 type i\nfile b seq 2 type i\n', 'decreasing incr seq');
    expect(await entries('file h1 seq 9 type h\nfile a seq 2 type i\nfile h2 seq 1 type h\nfile b seq 3 type i\n')).toEqual([
      { file: 'h1', seq: 9, type: 'h' },
      { file: 'a', seq: 2, type: 'i' },
      { file: 'h2', seq: 1, type: 'h' },
      { file: 'b', seq: 3, type: 'i' },
    ]);
  });

  it('file names must be plain base names', async () => {
    await rejects('file dir/a.aof seq 1 type i\n', 'a path with /');
    await rejects('file ../a.aof seq 1 type i\n', 'a relative path');
    await rejects('file /tmp/a.aof seq 1 type i\n', 'an absolute path');
  });

  it('bytes that are not UTF-8 in a comment do not matter', async () => {
    const m = Uint8Array.from([...latin1('# \xff\xfe\n'), ...enc('file a seq 1 type i\n')]);
    expect(await entries(m)).toEqual([{ file: 'a', seq: 1, type: 'i' }]);
  });
});
