/**
 * Redis glob matching: a table of cases (Redis's KEYS documentation,
 * keyspace.tcl regressions, util.c quirks), the fast paths of compileGlob
 * against globMatch, and — when redis-server is available — KEYS on a real
 * server against globMatch for thousands of random patterns over random
 * binary keys.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileGlob, globMatch } from '../src/glob.js';
import { prng } from '../scripts/shared.mjs';
import { describeRedis, startRedis } from './helpers/redis.js';

/** Test bytes: a JS string with one char per byte (latin1), so '\xff' is the byte 0xff. */
const b = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const show = (x: Uint8Array): string => JSON.stringify(String.fromCharCode(...x));

type Case = [pattern: string, subject: string, expected: boolean, nocase?: boolean];

const cases: Case[] = [
  // The KEYS documentation's examples.
  ['h?llo', 'hello', true], ['h?llo', 'hallo', true], ['h?llo', 'hxllo', true],
  ['h?llo', 'hllo', false], ['h?llo', 'heello', false],
  ['h*llo', 'hllo', true], ['h*llo', 'heeeello', true], ['h*llo', 'hello!', false], ['h*llo', 'ello', false],
  ['h[ae]llo', 'hello', true], ['h[ae]llo', 'hallo', true], ['h[ae]llo', 'hillo', false], ['h[ae]llo', 'hllo', false],
  ['h[^e]llo', 'hallo', true], ['h[^e]llo', 'hbllo', true], ['h[^e]llo', 'hello', false], ['h[^e]llo', 'hllo', false],
  ['h[a-b]llo', 'hallo', true], ['h[a-b]llo', 'hbllo', true], ['h[a-b]llo', 'hcllo', false],
  // Reversed ranges are swapped.
  ['h[b-a]llo', 'hallo', true], ['[z-a]', 'm', true], ['[z-a]', 'A', false],
  // Escapes.
  ['h\\*llo', 'h*llo', true], ['h\\*llo', 'hello', false], ['\\?', '?', true], ['\\?', 'a', false],
  ['\\[a]', '[a]', true], ['\\\\', '\\', true], ['\\a', 'a', true],
  ['a\\', 'a\\', true], // a trailing backslash is itself
  ['[\\]]', ']', true], ['[\\]]', '\\', false], ['[\\-]', '-', true], ['[a\\-z]', 'b', false],
  ['[\\^a]', '^', true],
  // Classes: ']' first closes an empty class (never matches); '-' at either end.
  ['[]a]', ']', false], ['[]a]', 'a', false], ['[]', ']', false],
  ['[-a]', '-', true], ['[-a]', 'a', true],
  ['[a-]', '-', false], ['[a-]', '_', true], ['[a-]', 'a', true], ['[a-]', ']', true], // "a-]" is the range ']'..'a', unterminated
  ['[^]', 'x', true], ['[^]]', 'a]', true], ['[^]]', 'a', false], // "[^]" is a negated empty class: any byte
  // Unterminated classes run to the end of the pattern.
  ['[abc', 'a', true], ['[abc', 'c', true], ['[abc', 'd', false], ['x[abc', 'xb', true], ['[abc', 'ab', false],
  ['[', '[', false], ['[', '', false], ['[^', 'x', true], ['[^', '^', true], ['[^', 'xy', false],
  ['[a-', 'a', true], ['[a-', '-', true], ['[a\\', '\\', true],
  // '*' runs; the empty subject matches only the empty pattern.
  ['*', 'anything', true], ['**', 'x', true], ['a*', 'a', true], ['a**', 'a', true], ['*a', 'a', true],
  ['*', '', false], ['**', '', false], ['?', '', false], ['', '', true], ['', 'a', false], ['a', '', false],
  ['*a*b*', 'xaybz', true], ['*a*b*', 'xbya', false], ['a*b', 'ab', true], ['a*b', 'abb', true], ['a*b', 'aba', false],
  ['user:*', 'user:', true], ['user:*', 'user:42', true], ['user:*', 'user', false], ['*:meta', 'x:meta', true],
  // Bytes: NUL, DEL, non-ASCII, UTF-8 sequences are just bytes.
  ['\x00', '\x00', true], ['a\x00b', 'a\x00b', true], ['?', '\xff', true], ['??', '\xc3\xa9', true], ['?', '\xc3\xa9', false],
  ['caf\xc3\xa9', 'caf\xc3\xa9', true], ['*\xff', 'a\xff', true], ['\x7f*', '\x7f', true],
  // Range bounds and the subject byte compare as signed chars: 0x80–0xff are -128…-1.
  ['[\x80-\xff]', '\x90', true], ['[\x80-\xff]', 'a', false],
  ['[a-\xff]', 'b', false], ['[a-\xff]', '\x00', true], ['[a-\xff]', 'a', true], ['[a-\xff]', '\xff', true], ['[a-\xff]', '\x80', false],
  ['[\xe9]', '\xe9', true], ['[^\xe9]', '\xe9', false],
  // nocase folds ASCII A–Z only.
  ['HELLO', 'hello', true, true], ['HELLO', 'hello', false], ['h?LLO', 'HeLlo', true, true],
  ['[A-C]', 'b', true, true], ['[a-c]', 'B', true, true], ['[a-c]', 'B', false], ['[AB]', 'b', true, true],
  ['\xc9', '\xe9', false, true], ['[\\A]', 'a', false, true], // an escaped class member compares exactly
  ['*X', 'abx', true, true],
];

describe('globMatch', () => {
  for (const [p, s, expected, nocase] of cases) {
    it(`${JSON.stringify(p)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(s)}${nocase ? ' (nocase)' : ''}`, () => {
      expect(globMatch(b(p), b(s), nocase === true)).toBe(expected);
    });
  }

  it('stays fast on patterns that backtrack exponentially without skipLongerMatches', () => {
    const t0 = performance.now();
    // keyspace.tcl "Regression for pattern matching long nested loops".
    expect(globMatch(b('a*'.repeat(50) + 'b'), b('a'.repeat(60)))).toBe(false);
    expect(globMatch(b('*?'.repeat(200) + 'x'), b('y'.repeat(400)))).toBe(false);
    expect(globMatch(b('*a*b*c*d*e*f*g*h*i*j*k*z'), b('abcdefghijk'.repeat(30)))).toBe(false);
    expect(globMatch(b('a*'.repeat(50)), b('a'.repeat(60)))).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('gives up past 1000 nested * (the nesting guard), as redis-server does', () => {
    expect(globMatch(b('*a'.repeat(900)), b('a'.repeat(900)))).toBe(true);
    expect(globMatch(b('*a'.repeat(1100)), b('a'.repeat(1100)))).toBe(false);
  });

  it('reads nothing past the pattern or subject (subarray views)', () => {
    const buf = b('xh*llo*yy');
    expect(globMatch(buf.subarray(1, 6), b('hello'))).toBe(true);
    expect(globMatch(buf.subarray(1, 6), b('hello*'))).toBe(false);
    const key = b('[hello]');
    expect(globMatch(b('h?llo'), key.subarray(1, 6))).toBe(true);
    // A class cut by the view's end is unterminated, even if ']' follows in the buffer.
    expect(globMatch(b('[ab]').subarray(0, 3), b('a'))).toBe(true);
    expect(globMatch(b('[ab]').subarray(0, 3), b(']'))).toBe(false);
  });
});

describe('compileGlob', () => {
  it('lists every key for "*", the empty key included (the KEYS shortcut)', () => {
    const m = compileGlob(b('*'));
    expect(m(b(''))).toBe(true);
    expect(m(b('\x00\xff'))).toBe(true);
    expect(compileGlob(b('**'))(b(''))).toBe(false);
  });

  it('fast paths: exact, prefix*, *suffix, *infix*', () => {
    expect(compileGlob(b('user:1'))(b('user:1'))).toBe(true);
    expect(compileGlob(b('user:1'))(b('user:10'))).toBe(false);
    expect(compileGlob(b(''))(b(''))).toBe(true);
    expect(compileGlob(b(''))(b('a'))).toBe(false);
    expect(compileGlob(b('user:*'))(b('user:'))).toBe(true);
    expect(compileGlob(b('user:**'))(b('user:abc'))).toBe(true);
    expect(compileGlob(b('user:*'))(b('use'))).toBe(false);
    expect(compileGlob(b('*:meta'))(b(':meta'))).toBe(true);
    expect(compileGlob(b('*:meta'))(b('a:metax'))).toBe(false);
    expect(compileGlob(b('*ab*'))(b('xxaabxx'))).toBe(true);
    expect(compileGlob(b('*ab*'))(b('ba'))).toBe(false);
  });

  it('does not depend on the caller keeping the pattern unchanged', () => {
    const p = b('user:*');
    const m = compileGlob(p);
    p.fill(0x2a);
    expect(m(b('user:1'))).toBe(true);
    expect(m(b('other'))).toBe(false);
  });

  it('agrees with globMatch everywhere else (property)', () => {
    const alphabet = [...'ab*?[]^-\\:', '\x00', '\xff'].map((c) => c.charCodeAt(0));
    const bytes = (max: number) => fc.array(fc.constantFrom(...alphabet), { maxLength: max }).map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(bytes(8), fc.array(bytes(10), { minLength: 1, maxLength: 8 }), (p, keys) => {
        const m = compileGlob(p);
        const star = p.length === 1 && p[0] === 0x2a;
        for (const k of keys) expect(m(k), `${show(p)} vs ${show(k)}`).toBe(star || globMatch(p, k));
      }),
      { numRuns: 5000 },
    );
  });
});

describeRedis('globMatch against redis-server KEYS', () => {
  it('agrees on thousands of random patterns over random binary keys', async () => {
    const rnd = prng(0x6c0b);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
    // Bytes that matter to the matcher, and bytes on either side of the signed-char edge.
    const alphabet = [...'abcAB-]^[\\*?_z'].map((c) => c.charCodeAt(0)).concat([0x00, 0x7f, 0x80, 0xc3, 0xe9, 0xff]);
    const keyAlphabet = [...'abcAB-]^[\\*?z'].map((c) => c.charCodeAt(0)).concat([0x00, 0x7f, 0x80, 0xc3, 0xe9, 0xff]);

    const keys = new Map<string, Uint8Array>();
    keys.set('', new Uint8Array(0));
    while (keys.size < 400) {
      const len = 1 + Math.floor(rnd() * 6);
      const k = Uint8Array.from({ length: len }, () => (rnd() < 0.6 ? pick([...'abc'].map((c) => c.charCodeAt(0))) : pick(keyAlphabet)));
      keys.set(Buffer.from(k).toString('hex'), k);
    }

    const token = (): number[] => {
      const r = rnd();
      if (r < 0.35) return [pick(rnd() < 0.6 ? [0x61, 0x62, 0x63] : alphabet)];
      if (r < 0.55) return [0x2a];
      if (r < 0.65) return [0x3f];
      if (r < 0.75) return [0x5c, pick(alphabet)];
      const cls: number[] = [0x5b];
      if (rnd() < 0.3) cls.push(0x5e);
      const n = Math.floor(rnd() * 4);
      for (let i = 0; i < n; i++) {
        const q = rnd();
        if (q < 0.4) cls.push(pick(alphabet), 0x2d, pick(alphabet));
        else if (q < 0.5) cls.push(0x5c, pick(alphabet));
        else cls.push(pick(alphabet));
      }
      if (rnd() < 0.85) cls.push(0x5d);
      return cls;
    };
    const patterns: Uint8Array[] = [b('*'), b('**'), b(''), b('['), b('[^'), b('?'), b('\\')];
    while (patterns.length < 3000) {
      const n = 1 + Math.floor(rnd() * 5);
      const p: number[] = [];
      for (let i = 0; i < n; i++) p.push(...token());
      patterns.push(Uint8Array.from(p));
    }

    const server = await startRedis();
    const client = server.client;
    const load = client.pipeline();
    for (const k of keys.values()) load.set(Buffer.from(k), '1');
    await load.exec();
    expect(await client.dbsize()).toBe(keys.size);

    const query = client.pipeline();
    for (const p of patterns) query.callBuffer('KEYS', Buffer.from(p));
    const replies = (await query.exec())!;

    const mismatches: string[] = [];
    patterns.forEach((p, i) => {
      const [err, reply] = replies[i]!;
      if (err) throw err;
      const got = new Set((reply as Buffer[]).map((k) => k.toString('hex')));
      const m = compileGlob(p);
      for (const [hex, k] of keys) {
        const server = got.has(hex);
        if (m(k) !== server) mismatches.push(`compileGlob ${show(p)} vs ${show(k)}: server ${server}`);
        const star = p.length === 1 && p[0] === 0x2a && k.length === 0;
        if (!star && globMatch(p, k) !== server) mismatches.push(`globMatch ${show(p)} vs ${show(k)}: server ${server}`);
      }
    });
    expect(mismatches.slice(0, 20)).toEqual([]);

    // The guards, on the server too.
    const long = b('a'.repeat(60));
    await client.set(Buffer.from(long), '1');
    const nested = b('a*'.repeat(50) + 'b');
    expect(((await client.callBuffer('KEYS', Buffer.from(nested))) as Buffer[]).length).toBe(0);
    expect(globMatch(nested, long)).toBe(false);
    await server.stop();
  });
});
