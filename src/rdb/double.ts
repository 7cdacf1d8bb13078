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

// ---- the exact rounding of `nearest`: integers as four 24-bit limbs, mod 2^96

const LIMB = 16777216; // 2^24
/** 5^f as limbs, f = 0 … 22 (5^22 < 2^52). */
const POW5 = Array.from({ length: 23 }, (_, f) => limbs(new Float64Array(4), 5 ** f));
const T_A = new Float64Array(4);
const T_B = new Float64Array(4);
const T_HALF = new Float64Array(4);
const T_M = new Float64Array(4);
const T_L = new Float64Array(4);
const T_R = new Float64Array(4);
const BITS = new DataView(new ArrayBuffer(8));

/** r = x, a non-negative integer below 2^72 (exact as a double), as limbs. */
function limbs(r: Float64Array, x: number): Float64Array {
  for (let j = 0; j < 4; j++) {
    const q = Math.floor(x / LIMB);
    r[j] = x - q * LIMB;
    x = q;
  }
  return r;
}

/** r = 2^s mod 2^96 (0 <= s < 96). */
function pow2(r: Float64Array, s: number): void {
  r.fill(0);
  r[(s / 24) | 0] = 2 ** (s % 24);
}

/** r = a × b mod 2^96 (r may not be a or b). Column sums stay below 2^51: exact. */
function mul(r: Float64Array, a: Float64Array, b: Float64Array): void {
  const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, a3 = a[3]!;
  const b0 = b[0]!, b1 = b[1]!, b2 = b[2]!, b3 = b[3]!;
  let x = a0 * b0;
  let c = Math.floor(x / LIMB);
  r[0] = x - c * LIMB;
  x = a0 * b1 + a1 * b0 + c;
  c = Math.floor(x / LIMB);
  r[1] = x - c * LIMB;
  x = a0 * b2 + a1 * b1 + a2 * b0 + c;
  c = Math.floor(x / LIMB);
  r[2] = x - c * LIMB;
  x = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + c;
  r[3] = x - Math.floor(x / LIMB) * LIMB;
}

/**
 * The sign of a - b + e × h (e = -1, 0 or 1), all mod 2^96 and read as a
 * signed number: exact while its magnitude is below 2^95.
 */
function sign(a: Float64Array, b: Float64Array, e: number, h: Float64Array): number {
  let borrow = 0;
  let any = 0;
  let top = 0;
  for (let j = 0; j < 4; j++) {
    let x = a[j]! - b[j]! + e * h[j]! + borrow;
    borrow = Math.floor(x / LIMB);
    x -= borrow * LIMB;
    any += x;
    top = x;
  }
  return top >= LIMB / 2 ? -1 : any === 0 ? 0 : 1;
}

/**
 * The double nearest to (m × 10^k + lo) / 10^f, ties to even, as strtod
 * rounds it: m < 10^15, lo < 10^k, k <= 4, f <= 22. NaN when the value is
 * outside [2^-20, 2^53) or just below a power of two (the caller then parses
 * the text the general way).
 *
 * A first guess c = M × 2^E (one division; within a few units in the last
 * place) is moved by whole ulps until it is the nearest. With V the decimal
 * value and t = 1 - E - f, Δ = m·2^max(t,0) − 2M·5^f·2^max(−t,0) is
 * 2·5^f·2^max(−t,0) × (V − c) / ulp, so comparing Δ with ±h, h = 5^f·2^max(−t,0),
 * compares V with the midpoints c ± ulp/2. |Δ| stays below 2^80, so the
 * integers are needed only mod 2^96, four limbs each.
 */
function nearest(m: number, lo: number, k: number, f: number): number {
  const p = POW10[k]!;
  let c = (m * p + lo) / POW10[f]!;
  if (!(c >= 2 ** -20 && c < 2 ** 53)) return NaN;
  // the digits as limbs: m × 10^k + lo (m < 2^50, 10^k < 2^14)
  let x = m;
  let carry = lo;
  for (let j = 0; j < 4; j++) {
    const q = Math.floor(x / LIMB);
    const l = (x - q * LIMB) * p + carry;
    carry = Math.floor(l / LIMB);
    T_M[j] = l - carry * LIMB;
    x = q;
  }
  for (let step = 0; step < 8; step++) {
    BITS.setFloat64(0, c);
    const hi = BITS.getUint32(0);
    const M = ((hi & 0xfffff) | 0x100000) * 4294967296 + BITS.getUint32(4);
    const E = (hi >>> 20) - 1075;
    const t = 1 - E - f;
    pow2(T_A, t > 0 ? t : 0);
    pow2(T_B, t < 0 ? -t : 0);
    mul(T_HALF, POW5[f]!, T_B);
    mul(T_L, T_M, T_A);
    limbs(T_A, 2 * M);
    mul(T_R, T_A, T_HALF);
    const ulp = 2 ** E;
    const above = sign(T_L, T_R, -1, T_HALF); // V vs the upper midpoint
    if (above > 0) {
      c += ulp;
      continue;
    }
    const below = sign(T_L, T_R, 1, T_HALF); // V vs the lower midpoint
    // At M = 2^52 (a power of two) the lower neighbour is only ulp/2 away: below c, leave it to the general path.
    if (M === 4503599627370496 && sign(T_L, T_R, 0, T_HALF) < 0) return NaN;
    if (below < 0) {
      c -= ulp;
      continue;
    }
    const even = M % 2 === 0;
    if (above === 0) return even ? c : c + ulp;
    if (below === 0) return even ? c : c - ulp;
    return c;
  }
  return NaN;
}
