/**
 * Redis `KEYS` glob matching on bytes: a port of `stringmatchlen_impl`
 * (Redis src/util.c, 7.x), quirks included:
 *
 * - `*` any run of bytes, `?` one byte, `\x` the byte `x`;
 * - `[abc]`, `[^abc]`, ranges `[a-z]` (a reversed range `[z-a]` is swapped),
 *   `\]` inside a class; range bounds and the subject byte compare as
 *   *signed* C chars, so `[a-\xff]` is the empty-ish range `[\xff-a]`;
 * - an unterminated `[` class runs to the end of the pattern (`[^` alone
 *   matches any one byte, `[` alone matches nothing);
 * - an empty subject matches only the empty pattern (`stringmatchlen("*", "")`
 *   is false; `KEYS *` lists the empty key only through its own `*` shortcut,
 *   which {@link compileGlob} reproduces);
 * - the guards against abusive patterns: `skipLongerMatches` (once the rest
 *   of a pattern matched nowhere after a `*`, earlier `*`s stop trying longer
 *   runs, so matching stays polynomial) and the nesting limit (more than 1000
 *   nested `*` recursions count as no match).
 *
 * `nocase` folds ASCII `A`–`Z` only, as `tolower` does in the C locale.
 */

/** Byte at `i`, or 0 past the end (Redis patterns are NUL-terminated sds strings). */
function at(p: Uint8Array, i: number): number {
  return i < p.length ? p[i]! : 0;
}

/** `tolower` in the C locale. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** A byte as a signed C `char`. */
function signed(c: number): number {
  return (c << 24) >> 24;
}

/** Shared across one match: set when the rest of the pattern matched nowhere. */
interface MatchState {
  skipLonger: boolean;
}

/** Redis caps `*` recursion at this depth (returns no match beyond it). */
const MAX_NESTING = 1000;

function matchImpl(
  pat: Uint8Array, pi: number, patLen: number,
  str: Uint8Array, si: number, strLen: number,
  nocase: boolean, state: MatchState, nesting: number,
): boolean {
  // Invariant: pi + patLen === pat.length, so at(pat, pi) is 0 once patLen is 0.
  if (nesting > MAX_NESTING) return false;
  while (patLen > 0 && strLen > 0) {
    const pc = pat[pi]!;
    switch (pc) {
      case 0x2a: { // '*'
        while (patLen > 0 && at(pat, pi + 1) === 0x2a) {
          pi++;
          patLen--;
        }
        if (patLen === 1) return true;
        while (strLen > 0) {
          if (matchImpl(pat, pi + 1, patLen - 1, str, si, strLen, nocase, state, nesting + 1)) return true;
          if (state.skipLonger) return false;
          si++;
          strLen--;
        }
        state.skipLonger = true;
        return false;
      }
      case 0x3f: // '?'
        si++;
        strLen--;
        break;
      case 0x5b: { // '['
        pi++;
        patLen--;
        const not = at(pat, pi) === 0x5e;
        if (not) {
          pi++;
          patLen--;
        }
        let match = false;
        const sc = str[si]!;
        for (;;) {
          const c0 = at(pat, pi);
          if (c0 === 0x5c && patLen >= 2) {
            pi++;
            patLen--;
            if (at(pat, pi) === sc) match = true;
          } else if (c0 === 0x5d) {
            break;
          } else if (patLen === 0) {
            // Unterminated class: step back so the `pi++` below ends at the pattern's end.
            pi--;
            patLen++;
            break;
          } else if (patLen >= 3 && at(pat, pi + 1) === 0x2d) {
            let start = signed(c0);
            let end = signed(at(pat, pi + 2));
            let c = signed(sc);
            if (start > end) {
              const t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = lower(start);
              end = lower(end);
              c = lower(c);
            }
            pi += 2;
            patLen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (nocase ? lower(c0) === lower(sc) : c0 === sc) {
            match = true;
          }
          pi++;
          patLen--;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        strLen--;
        break;
      }
      default: {
        if (pc === 0x5c && patLen >= 2) { // '\\' escapes the next byte
          pi++;
          patLen--;
        }
        const c = pat[pi]!;
        const sc = str[si]!;
        if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
        si++;
        strLen--;
      }
    }
    pi++;
    patLen--;
    if (strLen === 0) {
      while (at(pat, pi) === 0x2a) {
        pi++;
        patLen--;
      }
      break;
    }
  }
  return patLen === 0 && strLen === 0;
}

/**
 * True when `subject` matches the Redis glob `pattern`, byte for byte as
 * Redis's `stringmatchlen(pattern, subject, nocase)` decides.
 */
export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  return matchImpl(pattern, 0, pattern.length, subject, 0, subject.length, nocase, { skipLonger: false }, 0);
}

function isSpecial(c: number): boolean {
  return c === 0x2a || c === 0x3f || c === 0x5b || c === 0x5c;
}

function plain(p: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (isSpecial(p[i]!)) return false;
  return true;
}

function equalAt(key: Uint8Array, at0: number, lit: Uint8Array): boolean {
  for (let i = 0; i < lit.length; i++) if (key[at0 + i] !== lit[i]) return false;
  return true;
}

/**
 * A matcher with `KEYS pattern` semantics: `globMatch`, plus the server's
 * shortcut that `*` alone lists every key (the empty key too). Patterns
 * without special bytes compare exactly; `prefix*` (any number of trailing
 * `*`), `*suffix` and `*infix*` patterns compare without backtracking.
 */
export function compileGlob(pattern: Uint8Array): (key: Uint8Array) => boolean {
  const n = pattern.length;
  if (n === 1 && pattern[0] === 0x2a) return () => true;
  if (plain(pattern, 0, n)) {
    const lit = pattern.slice();
    return (key) => key.length === n && equalAt(key, 0, lit);
  }
  // Leading and trailing runs of '*' around a plain middle.
  let lead = 0;
  while (lead < n && pattern[lead] === 0x2a) lead++;
  let tail = n;
  while (tail > lead && pattern[tail - 1] === 0x2a) tail--;
  if (lead < tail && plain(pattern, lead, tail)) {
    const lit = pattern.slice(lead, tail);
    const m = lit.length;
    if (lead === 0) {
      // prefix*: the key starts with `lit` (its stars then match the rest, even nothing).
      return (key) => key.length >= m && equalAt(key, 0, lit);
    }
    if (tail === n) {
      // *suffix
      return (key) => key.length >= m && equalAt(key, key.length - m, lit);
    }
    // *infix*
    return (key) => {
      for (let i = 0; i + m <= key.length; i++) if (equalAt(key, i, lit)) return true;
      return false;
    };
  }
  const pat = pattern.slice();
  return (key) => globMatch(pat, key);
}
