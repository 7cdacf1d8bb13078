/**
 * The WebAssembly kernels of kernels.wat (CRC-64 and LZF decompression),
 * instantiated on first use. Measured on the bench's mixed dump (Node 20):
 * CRC-64 2.7 GB/s against 0.9 GB/s for the JavaScript slicing-by-16, LZF
 * 0.95 GB/s against 0.62 GB/s, copies in and out included. Where
 * WebAssembly is missing or refuses the module (a locked-down runtime),
 * `kernels()` is null and callers use their JavaScript versions.
 */
import { SLICES, THI, TLO } from './crc64-tables.js';
import { KERNELS_WASM } from './kernels.wasm.js';

/** Where callers copy their data in the kernels' memory (below: tables, results). */
export const KERNEL_DATA = 65536;
/** Where `crc` leaves its result (low, then high 32 bits). */
const CRC_RESULT = 32768;

export interface Kernels {
  /** CRC-64 of mem[p, end) from the CRC (lo, hi); the result is in `crcLo()`/`crcHi()`. */
  crc(lo: number, hi: number, p: number, end: number): void;
  crcLo(): number;
  crcHi(): number;
  /** LZF of mem[ip, end) to mem[out, outEnd), scratch bytes up to outEnd + 7 (the memory must reach outEnd + 8); see kernels.wat. */
  lzf(ip: number, end: number, out: number, outEnd: number): number;
  /** The reason code of the last failed `lzf`. */
  fault(): number;
  /** The memory, at least `bytes` long (views made before a call of this may be stale). */
  memory(bytes: number): Uint8Array;
}

let loaded: Kernels | null | undefined;

function base64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function instantiate(): Kernels | null {
  // The kernels' memory is little-endian, and so are the views used on it here.
  if (typeof WebAssembly !== 'object' || new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) return null;
  try {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(base64(KERNELS_WASM)), {});
    const ex = inst.exports as {
      mem: WebAssembly.Memory;
      crc: (lo: number, hi: number, p: number, end: number) => void;
      lzf: (ip: number, end: number, out: number, outEnd: number) => number;
      fault: WebAssembly.Global;
    };
    const mem = ex.mem;
    let u8 = new Uint8Array(mem.buffer);
    let u32 = new Uint32Array(mem.buffer);
    for (let i = 0; i < 256 * SLICES; i++) {
      u32[2 * i] = TLO[i]!;
      u32[2 * i + 1] = THI[i]!;
    }
    return {
      crc: ex.crc,
      crcLo: () => u32[CRC_RESULT >>> 2]!,
      crcHi: () => u32[(CRC_RESULT >>> 2) + 1]!,
      lzf: ex.lzf,
      fault: () => ex.fault.value as number,
      memory(bytes: number): Uint8Array {
        if (bytes > mem.buffer.byteLength) {
          mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
          u8 = new Uint8Array(mem.buffer);
          u32 = new Uint32Array(mem.buffer);
        }
        return u8;
      },
    };
  } catch {
    return null;
  }
}

/** The kernels, or null where WebAssembly is unavailable. */
export function kernels(): Kernels | null {
  if (loaded === undefined) loaded = instantiate();
  return loaded;
}

/** For tests: forget the kernels (`off` true: act as if WebAssembly were missing). */
export function resetKernels(off = false): void {
  loaded = off ? null : undefined;
}
