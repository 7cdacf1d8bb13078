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

type Entry = Record<string, unknown>;

/** One test per case: the manifest reads as exactly these entries. */
function itReads(cases: Array<[name: string, manifest: string | Uint8Array, want: Entry[]]>): void {
  for (const [name, manifest, want] of cases) {
    it(name, async () => {
      expect(await entries(manifest)).toEqual(want);
    });
  }
}

/** One test per case: each of its manifests (with what it shows) is rejected. */
function itRejects(cases: Array<[name: string, bad: Array<[manifest: string, what: string]>]>): void {
  for (const [name, bad] of cases) {
    it(name, async () => {
      for (const [manifest, what] of bad) await rejects(manifest, what);
    });
  }
}

describe('parseManifest: what Redis writes', () => {
  itReads([
    [
      'the format.md example: base, history, incr, startoffset/endoffset, in file order',
      [
        'file appendonly.aof.2.base.rdb seq 2 type b',
        'file appendonly.aof.1.incr.aof seq 1 type h',
        'file appendonly.aof.2.incr.aof seq 2 type h',
        'file appendonly.aof.3.incr.aof seq 3 type i',
        'file appendonly.aof.4.incr.aof seq 4 type i startoffset 1024 endoffset 4096',
        '',
      ].join('\n'),
      [
        { file: 'appendonly.aof.2.base.rdb', seq: 2, type: 'b' },
        { file: 'appendonly.aof.1.incr.aof', seq: 1, type: 'h' },
        { file: 'appendonly.aof.2.incr.aof', seq: 2, type: 'h' },
        { file: 'appendonly.aof.3.incr.aof', seq: 3, type: 'i' },
        { file: 'appendonly.aof.4.incr.aof', seq: 4, type: 'i', startOffset: 1024, endOffset: 4096 },
      ],
    ],
    ['startoffset alone (endoffset optional)', 'file a.aof seq 5 type i startoffset 77\n', [{ file: 'a.aof', seq: 5, type: 'i', startOffset: 77 }]],
  ]);

  it('a manifest of INCR parts only (no base) and one of a base only', async () => {
    expect(await entries('file x.1.incr.aof seq 1 type i\nfile x.2.incr.aof seq 2 type i\n')).toEqual([
      { file: 'x.1.incr.aof', seq: 1, type: 'i' },
      { file: 'x.2.incr.aof', seq: 2, type: 'i' },
    ]);
    expect(await entries('file x.1.base.aof seq 1 type b\n')).toEqual([{ file: 'x.1.base.aof', seq: 1, type: 'b' }]);
  });

  itReads([['large sequence numbers', 'file a seq 123456789012 type i\n', [{ file: 'a', seq: 123456789012, type: 'i' }]]]);
});

describe('parseManifest: lines and comments', () => {
  itReads([
    [
      '\\r\\n line ends: the \\r is trimmed',
      'file a.rdb seq 1 type b\r\nfile b.aof seq 1 type i\r\n',
      [
        { file: 'a.rdb', seq: 1, type: 'b' },
        { file: 'b.aof', seq: 1, type: 'i' },
      ],
    ],
    [
      'lines starting with # are comments, anywhere',
      '# written by a test\nfile a.rdb seq 1 type b\n#file ghost seq 9 type i\n# file b seq 2 type b\nfile b.aof seq 1 type i\n',
      [
        { file: 'a.rdb', seq: 1, type: 'b' },
        { file: 'b.aof', seq: 1, type: 'i' },
      ],
    ],
    ['tabs and runs of spaces separate tokens', 'file\ta.aof   seq \t 3\ttype   i\n', [{ file: 'a.aof', seq: 3, type: 'i' }]],
  ]);

  itRejects([
    [
      'a blank line is an error (between records, at the start, whitespace-only)',
      [
        ['file a.rdb seq 1 type b\n\nfile b.aof seq 1 type i\n', 'blank line between records'],
        ['\nfile a.rdb seq 1 type b\n', 'blank first line'],
        ['file a.rdb seq 1 type b\n   \nfile b.aof seq 1 type i\n', 'whitespace-only line'],
        ['file a.rdb seq 1 type b\n\r\nfile b.aof seq 1 type i\n', 'a line holding only \\r'],
      ],
    ],
    ['an empty manifest is an error', [['', 'empty manifest']]],
    ['a line longer than 1024 bytes is an error', [[`file ${'a'.repeat(1100)}.aof seq 1 type i\n`, 'long line']]],
  ]);
});

describe('parseManifest: tokens and quoting', () => {
  itReads([
    ['a double-quoted name with spaces', 'file "my append only.aof" seq 1 type i\n', [{ file: 'my append only.aof', seq: 1, type: 'i' }]],
    ['quoted keys and values are tokens like any other', '"file" "a.aof" \'seq\' "7" type "incr"\n', [{ file: 'a.aof', seq: 7, type: 'i' }]],
  ]);

  it('double-quote escapes: \\xHH, \\n \\r \\t \\b \\a, \\" and \\<any>', async () => {
    // (No backslash in the result: a name holding one is not a plain base name.)
    const out = (await parse('file "a\\x41\\x7a\\n\\r\\t\\b\\a\\"\\q" seq 1 type i\n')) as Array<{ file: string }>;
    expect(out[0]!.file).toBe('aAz\n\r\t\b\x07"q');
  });

  it("single quotes: \\' is an escape, double quotes inside are plain", async () => {
    const out = (await parse("file 'it\\'s \"x\" 1.aof' seq 1 type i\n")) as Array<{ file: string }>;
    expect(out[0]!.file).toBe('it\'s "x" 1.aof');
  });

  it('a closing quote must be followed by whitespace or the end of the line', async () => {
    await rejects('file "a.aof"x seq 1 type i\n', 'double quote followed by a character');
    await rejects("file 'a.aof'x seq 1 type i\n", 'single quote followed by a character');
    expect(await entries('file "a.aof"\tseq 1 type "i"\n')).toEqual([{ file: 'a.aof', seq: 1, type: 'i' }]);
  });

  itRejects([
    [
      'an unterminated quote is an error',
      [
        ['file "a.aof seq 1 type i\n', 'unterminated double quote'],
        ["file 'a.aof seq 1 type i\n", 'unterminated single quote'],
      ],
    ],
  ]);
});

describe('parseManifest: keys and values', () => {
  itReads([
    ['keys are case-insensitive', 'FILE a.aof Seq 4 TYPE i\n', [{ file: 'a.aof', seq: 4, type: 'i' }]],
    ['keys in any order', 'type b seq 2 file base.rdb\n', [{ file: 'base.rdb', seq: 2, type: 'b' }]],
    [
      'the type is its first character',
      'file a seq 1 type base\nfile b seq 1 type history\nfile c seq 2 type incr\n',
      [
        { file: 'a', seq: 1, type: 'b' },
        { file: 'b', seq: 1, type: 'h' },
        { file: 'c', seq: 2, type: 'i' },
      ],
    ],
    ['unknown keys are ignored (forward compatibility)', 'file a.aof seq 1 type i future-key some-value another 42\n', [{ file: 'a.aof', seq: 1, type: 'i' }]],
  ]);

  itRejects([
    [
      'an odd number of tokens is an error',
      [
        ['file a.aof seq 1 type i extra\n', 'seven tokens'],
        ['file a.aof seq 1 type\n', 'five tokens'],
      ],
    ],
    [
      'fewer than 6 tokens is an error even when even',
      [
        ['file a.aof seq 1\n', 'four tokens'],
        ['file a.aof\n', 'two tokens'],
      ],
    ],
    [
      'file, seq and type are required',
      [
        ['seq 1 type i other x\n', 'no file'],
        ['file a.aof type i other x\n', 'no seq'],
        ['file a.aof seq 1 other x\n', 'no type'],
      ],
    ],
    ['seq must be an integer ≥ 1', [['file a.aof seq 0 type i\n', 'seq 0']]],
    [
      'an unknown type character is an error',
      [
        ['file a.aof seq 1 type x\n', 'type x'],
        ['file a.aof seq 1 type B2\n', 'type B (upper case is not b)'],
      ],
    ],
    ['at most one base', [['file a.rdb seq 1 type b\nfile b.rdb seq 2 type b\n', 'two bases']]],
  ]);

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

  itRejects([
    [
      'file names must be plain base names',
      [
        ['file dir/a.aof seq 1 type i\n', 'a path with /'],
        ['file ../a.aof seq 1 type i\n', 'a relative path'],
        ['file /tmp/a.aof seq 1 type i\n', 'an absolute path'],
      ],
    ],
  ]);

  itReads([
    [
      'bytes that are not UTF-8 in a comment do not matter',
      Uint8Array.from([...latin1('# \xff\xfe\n'), ...enc('file a seq 1 type i\n')]),
      [{ file: 'a', seq: 1, type: 'i' }],
    ],
  ]);
});
