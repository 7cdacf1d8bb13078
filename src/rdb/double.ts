/**
 * Score text: the decimal forms Redis writes for doubles (type 3 scores and
 * score elements of ziplist/listpack sorted sets), parsed like C `strtod`.
 */
import { corrupt } from '../errors.js';

function isScoreChar(c: number): boolean {
  // digits . + - e E
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2b || c === 0x2d || c === 0x65 || c === 0x45;
}

/**
 * Parses a score written as text: decimal or exponent forms, `inf`, `-inf`,
 * `+inf`, `infinity`, `nan` (any case). Throws `CORRUPT` at `offset` otherwise.
 */
export function parseScore(b: Uint8Array, offset: number): number {
  return parseScoreAt(b, 0, b.length, offset);
}

/** Exact powers of ten as doubles (10^0 … 10^22 are all exactly representable). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** `parseScore` of `b[start, end)`. */
export function parseScoreAt(b: Uint8Array, start: number, end: number, offset: number): number {
  // Fast path, without making a string: [-]digits[.digits] with at most 15
  // significant digits. Then m (the digits as an integer, below 2^53) and
  // 10^k are exact doubles, and one correctly rounded division gives the
  // same double as strtod (Clinger's fast path).
  let i = start;
  const neg = i < end && b[i] === 0x2d;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      if (m !== 0) digits++;
      if (frac >= 0) frac++;
    } else if (c === 0x2e && frac < 0) frac = 0;
    else break;
  }
  if (i === end && digits <= 15 && frac !== 0 && frac <= 22 && end > start + (neg ? 1 : 0)) {
    const v = frac > 0 ? m / POW10[frac]! : m;
    return neg ? -v : v;
  }
  let s = '';
  let plain = end > start;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (!isScoreChar(c)) plain = false;
    s += String.fromCharCode(c);
  }
  if (plain) {
    const v = Number(s);
    if (!Number.isNaN(v)) return v;
  }
  const t = s.toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  const body = t.startsWith('-') || t.startsWith('+') ? t.slice(1) : t;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  throw corrupt(`invalid score text "${s.slice(0, 40)}"`, offset);
}
