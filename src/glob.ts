/**
 * Redis `KEYS` glob matching on bytes: a port of `stringmatchlen` (Redis
 * src/util.c), including its quirks — bytes compare as signed C chars in
 * ranges, an unterminated `[` class ends at the end of the pattern, and the
 * guard against exponential backtracking.
 */

/** Byte at `i`, or 0 past the end (C strings are NUL-terminated). */
function at(p: Uint8Array, i: number): number {
  return i < p.length ? p[i]! : 0;
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

function signed(c: number): number {
  return (c << 24) >> 24;
}

function matchImpl(
  pat: Uint8Array, pi: number, patLen: number,
  str: Uint8Array, si: number, strLen: number,
  nocase: boolean, skip: { longer: boolean }, nesting: number,
): boolean {
  if (nesting > 1000) return false;
  while (patLen > 0 && strLen > 0) {
    const pc = at(pat, pi);
    switch (pc) {
      case 0x2a: { // '*'
        while (patLen > 0 && at(pat, pi + 1) === 0x2a) {
          pi++;
          patLen--;
        }
        if (patLen === 1) return true;
        while (strLen > 0) {
          if (matchImpl(pat, pi + 1, patLen - 1, str, si, strLen, nocase, skip, nesting + 1)) return true;
          if (skip.longer) return false;
          si++;
          strLen--;
        }
        skip.longer = true;
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
          } else if (!nocase) {
            if (c0 === sc) match = true;
          } else if (lower(c0) === lower(sc)) {
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
        if (pc === 0x5c && patLen >= 2) {
          pi++;
          patLen--;
        }
        const c = at(pat, pi);
        const sc = str[si]!;
        if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
        si++;
        strLen--;
      }
    }
    pi++;
    patLen--;
    if (strLen === 0) {
      while (at(pat, pi) === 0x2a && patLen > 0) {
        pi++;
        patLen--;
      }
      break;
    }
  }
  return patLen === 0 && strLen === 0;
}

/** True when `subject` matches the Redis glob `pattern` (both bytes). */
export function globMatch(pattern: Uint8Array, subject: Uint8Array, nocase = false): boolean {
  return matchImpl(pattern, 0, pattern.length, subject, 0, subject.length, nocase, { longer: false }, 0);
}

function hasSpecial(p: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = p[i]!;
    if (c === 0x2a || c === 0x3f || c === 0x5b || c === 0x5c) return true;
  }
  return false;
}

/** A matcher for one pattern, with fast paths for exact keys and `prefix*` patterns. */
export function compileGlob(pattern: Uint8Array): (key: Uint8Array) => boolean {
  const n = pattern.length;
  if (!hasSpecial(pattern, 0, n)) {
    return (key) => key.length === n && key.every((b, i) => b === pattern[i]);
  }
  if (n > 0 && pattern[n - 1] === 0x2a && !hasSpecial(pattern, 0, n - 1)) {
    const prefix = pattern.subarray(0, n - 1);
    const m = prefix.length;
    return (key) => {
      if (key.length < m) return false;
      for (let i = 0; i < m; i++) if (key[i] !== prefix[i]) return false;
      return true;
    };
  }
  return (key) => globMatch(pattern, key);
}
