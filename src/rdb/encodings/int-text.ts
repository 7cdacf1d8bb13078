/**
 * Integers as decimal ASCII bytes, both ways: integer-encoded strings,
 * intset members and ziplist/listpack integer entries are exposed as the
 * decimal text Redis would return for them.
 */

const SMALL_MIN = -128;
const SMALL_MAX = 1024;
/** Filled on first use (not at load: a loop of 1,153 calls there had V8 compile asciiOf before anything else). */
const small: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(SMALL_MAX - SMALL_MIN + 1);

function asciiOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * Decimal text of a safe integer (or a bigint). Small values share cached
 * arrays: callers must not modify what they get.
 */
export function intToAscii(v: number | bigint): Uint8Array {
  if (typeof v === 'number' && v >= SMALL_MIN && v <= SMALL_MAX) return (small[v - SMALL_MIN] ??= asciiOf(String(v)));
  return asciiOf(String(v));
}

/** Decimal text of a signed 64-bit value held as two 32-bit halves (hi signed, lo unsigned). */
export function int64ToAscii(hi: number, lo: number): Uint8Array {
  if (hi >= -0x200000 && hi < 0x200000) return intToAscii(hi * 0x100000000 + lo);
  return asciiOf(((BigInt(hi) << 32n) | BigInt(lo >>> 0)).toString());
}

const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

/**
 * Parses canonical decimal int64 text (Redis `string2ll`: no sign but `-`, no
 * leading zeros, not `-0`, at most 20 bytes, within int64). Returns null when
 * the bytes are not such a number.
 */
export function parseCanonicalInt(b: Uint8Array): number | bigint | null {
  const n = b.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  const neg = b[0] === 0x2d;
  if (neg) {
    if (n === 1) return null;
    i = 1;
  }
  if (b[i] === 0x30) return n === 1 ? 0 : null; // "0" only; no leading zeros, no "-0"
  let v = 0;
  for (let k = i; k < n; k++) {
    const d = b[k]! - 0x30;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  if (v <= Number.MAX_SAFE_INTEGER) return neg ? -v : v;
  let s = '';
  for (let k = 0; k < n; k++) s += String.fromCharCode(b[k]!);
  const big = BigInt(s);
  if (big > INT64_MAX || big < INT64_MIN) return null;
  return big;
}
