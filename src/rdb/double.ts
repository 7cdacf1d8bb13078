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
  // Fast paths, without making a string: [-]digits[.digits] with at most 19
  // significant digits and at most 22 decimals. Up to 15 digits, m (the
  // digits as an integer, below 2^53) and 10^k are exact doubles, and one
  // correctly rounded division gives the same double as strtod (Clinger's
  // fast path). Up to 19 digits (Redis 7.0 writes scores with %.17g), the
  // first 15 digits are `m` and the rest `lo` (`k` of them), and `nearest`
  // settles the rounding exactly.
  let i = start;
  const neg = i < end && b[i] === 0x2d;
  if (neg) i++;
  let m = 0;
  let digits = 0;
  let frac = -1;
  let lo = 0;
  let k = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (digits < 15) {
        m = m * 10 + (c - 0x30);
        if (m !== 0) digits++;
      } else {
        lo = lo * 10 + (c - 0x30);
        k++;
        digits++;
      }
      if (frac >= 0) frac++;
    } else if (c === 0x2e && frac < 0) frac = 0;
    else break;
  }
  if (i === end && frac !== 0 && frac <= 22 && end > start + (neg ? 1 : 0)) {
    let v = NaN;
    if (digits <= 15) v = frac > 0 ? m / POW10[frac]! : m;
    else if (digits <= 19) v = nearest(m, lo, k, frac > 0 ? frac : 0);
    if (v === v) return neg ? -v : v;
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

// ---- the exact rounding of `nearest`: integers mod 2^48, as two 24-bit halves

const LIMB = 16777216; // 2^24
const MOD = 281474976710656; // 2^48
/** 5^f, f = 0 … 22: exact doubles (5^22 < 2^53). */
const POW5 = Array.from({ length: 23 }, (_, f) => 5 ** f);
const BITS = new DataView(new ArrayBuffer(8));

/** x × y mod 2^48, for integers 0 <= x, y < 2^48 (every partial product exact). */
function mulMod(x: number, y: number): number {
  const xh = Math.floor(x / LIMB);
  const xl = x - xh * LIMB;
  const yh = Math.floor(y / LIMB);
  const yl = y - yh * LIMB;
  let mid = xl * yh + xh * yl;
  mid -= Math.floor(mid / LIMB) * LIMB;
  const r = xl * yl + mid * LIMB;
  return r >= MOD ? r - MOD : r;
}

/** 2^s, s = 0 … 47 (exact doubles; `2 ** s` is a call of Math.pow, and ran once per score). */
const POW2 = Array.from({ length: 48 }, (_, s) => 2 ** s);
/** 2^-s, s = 0 … 72: the ulps of doubles in [2^-20, 2^53). */
const POW2_NEG = Array.from({ length: 73 }, (_, s) => 2 ** -s);

/** 2^s mod 2^48, s >= 0. */
function pow2Mod(s: number): number {
  return s < 48 ? POW2[s]! : 0;
}

/**
 * The double nearest to (m × 10^k + lo) / 10^f, ties to even, as strtod
 * rounds it: m < 10^15, lo < 10^k, k <= 4, f <= 22. NaN when the value is
 * outside [2^-20, 2^53), just below a power of two, or when 5^f·2^max(−t,0)
 * below is 2^42 or more (the caller then parses the text the general way).
 *
 * A first guess c = M × 2^E (one division; within a few units in the last
 * place) is moved by whole ulps until it is the nearest. With V the decimal
 * value and t = 1 − E − f, Δ = m·2^max(t,0) − 2M·h, h = 5^f·2^max(−t,0), is
 * 2h × (V − c) / ulp: comparing Δ with ±h compares V with the midpoints
 * c ± ulp/2. |Δ| stays below 16h < 2^46, so Δ is computed mod 2^48.
 */
function nearest(m: number, lo: number, k: number, f: number): number {
  const p = POW10[k]!;
  let c = (m * p + lo) / POW10[f]!;
  if (!(c >= 9.5367431640625e-7 && c < 9007199254740992)) return NaN; // [2^-20, 2^53)
  // the digits mod 2^48: m × 10^k + lo, m = mh·2^24 + ml (mh·10^k < 2^40)
  const mh = Math.floor(m / LIMB);
  let digits = ((mh * p) % LIMB) * LIMB + (m - mh * LIMB) * p + lo;
  digits -= Math.floor(digits / MOD) * MOD;
  for (let step = 0; step < 8; step++) {
    BITS.setFloat64(0, c);
    const hi = BITS.getUint32(0);
    const M = ((hi & 0xfffff) | 0x100000) * 4294967296 + BITS.getUint32(4);
    const E = (hi >>> 20) - 1075;
    if (E > 0 || E < -72) return NaN; // a step left [2^-20, 2^53)
    const t = 1 - E - f;
    const h = t < 0 ? POW5[f]! * POW2[-t]! : POW5[f]!; // -t = E + f - 1 <= 21
    if (h >= 4398046511104) return NaN; // 2^42
    const twoM = 2 * M;
    let d = (t > 0 ? mulMod(digits, pow2Mod(t)) : digits) - mulMod(twoM - Math.floor(twoM / MOD) * MOD, h);
    if (d < 0) d += MOD;
    if (d >= MOD / 2) d -= MOD;
    const ulp = POW2_NEG[-E]!; // E in [-72, 0] here
    if (d > h) {
      c += ulp;
      continue;
    }
    // At M = 2^52 (a power of two) the lower neighbour is only ulp/2 away: below c, leave it to the general path.
    if (M === 4503599627370496 && d < 0) return NaN;
    if (d < -h) {
      c -= ulp;
      continue;
    }
    const even = M % 2 === 0;
    if (d === h) return even ? c : c + ulp;
    if (d === -h) return even ? c : c - ulp;
    return c;
  }
  return NaN;
}
