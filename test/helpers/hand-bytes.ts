/**
 * RDB and listpack bytes built by hand (format.md 2.1 and 7.2), for tests
 * that must not build their input with the encoders under test.
 */

/**
 * An RDB length: 6-bit below 64, 14-bit below 16384, else 32-bit — or, with
 * `wide`, at least the 14-bit ('14') or the 32-bit ('32') form.
 */
export function rdbLen(n: number, wide: 'short' | '14' | '32' = 'short'): Buffer {
  if (wide === '32' || n >= 16384) return Buffer.from([0x80, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  if (wide === '14' || n >= 64) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  return Buffer.from([n]);
}

/** A listpack element's backlen: the size of its encoding and data, in 7-bit groups. */
function lpBacklen(l: number): Buffer {
  const bl = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  const out = Buffer.alloc(bl);
  for (let k = bl - 1; k >= 0; k--) {
    out[k] = (l & 0x7f) | (k === 0 ? 0 : 0x80);
    l = Math.floor(l / 128);
  }
  return out;
}

/** A listpack element: a string or an integer. */
export type LpElement = { s: Buffer } | { i: bigint };

/**
 * One listpack element in the smallest encoding that holds it, or with `wide`
 * a larger one: a string under 64 bytes in the 32-bit-length form, an integer
 * in the 24-bit form or larger.
 */
export function lpElement(e: LpElement, wide = false): Buffer {
  let enc: Buffer;
  if ('s' in e) {
    const n = e.s.length;
    if (n < 64 && !wide) enc = Buffer.concat([Buffer.from([0x80 | n]), e.s]);
    else if (n < 4096 && !(wide && n < 64)) enc = Buffer.concat([Buffer.from([0xe0 | (n >> 8), n & 0xff]), e.s]);
    else {
      const h = Buffer.alloc(5);
      h[0] = 0xf0;
      h.writeUInt32LE(n, 1);
      enc = Buffer.concat([h, e.s]);
    }
  } else {
    const v = e.i;
    if (v >= 0n && v <= 127n && !wide) enc = Buffer.from([Number(v)]);
    else if (v >= -4096n && v < 4096n && !wide) {
      const x = Number(v) & 0x1fff;
      enc = Buffer.from([0xc0 | (x >> 8), x & 0xff]);
    } else if (v >= -32768n && v < 32768n && !wide) {
      enc = Buffer.alloc(3);
      enc[0] = 0xf1;
      enc.writeInt16LE(Number(v), 1);
    } else if (v >= -(1n << 23n) && v < 1n << 23n) {
      enc = Buffer.alloc(4);
      enc[0] = 0xf2;
      enc.writeIntLE(Number(v), 1, 3);
    } else if (v >= -(1n << 31n) && v < 1n << 31n) {
      enc = Buffer.alloc(5);
      enc[0] = 0xf3;
      enc.writeInt32LE(Number(v), 1);
    } else {
      enc = Buffer.alloc(9);
      enc[0] = 0xf4;
      enc.writeBigInt64LE(v, 1);
    }
  }
  return Buffer.concat([enc, lpBacklen(enc.length)]);
}

/** A listpack of `els`, element i in its smallest encoding or (wide[i % wide.length]) a larger one. */
export function listpack(els: LpElement[], wide: boolean[] = [false]): Buffer {
  const body = Buffer.concat(els.map((e, i) => lpElement(e, wide[i % wide.length]!)));
  const head = Buffer.alloc(6);
  head.writeUInt32LE(6 + body.length + 1, 0);
  head.writeUInt16LE(Math.min(els.length, 0xffff), 4);
  return Buffer.concat([head, body, Buffer.from([0xff])]);
}
