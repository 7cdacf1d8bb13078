/**
 * The WebAssembly kernels of kernels.wat (CRC-64 and LZF decompression),
 * instantiated on first use. Measured on the bench's mixed dump (Node 20):
 * CRC-64 2.7 GB/s against 0.9 GB/s for the JavaScript slicing-by-16, LZF
 * 0.95 GB/s against 0.62 GB/s, copies in and out included. Where
 * WebAssembly is missing or refuses the module (a locked-down runtime),
 * `kernels()` is null and callers use their JavaScript versions. The RESP
 * kernel (`respKernel()`, RespWriter's `run`, `listpack`, `zsetListpack`, `intset` and `streamNode`)
 * runs in an instance and memory of its own.
 */
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
let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where WebAssembly is missing or refuses it. */
function compiledModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  // The kernels' memory is little-endian, and so are the views used on it here.
  if (typeof WebAssembly !== 'object' || new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) return null;
  try {
    compiled = new WebAssembly.Module(base64(KERNELS_WASM));
  } catch {
    compiled = null;
  }
  return compiled;
}

function base64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function instantiate(): Kernels | null {
  const module = compiledModule();
  if (module === null) return null;
  try {
    const inst = new WebAssembly.Instance(module, {});
    const ex = inst.exports as {
      mem: WebAssembly.Memory;
      crctables: () => void;
      crc: (lo: number, hi: number, p: number, end: number) => void;
      lzf: (ip: number, end: number, out: number, outEnd: number) => number;
      fault: WebAssembly.Global;
    };
    const mem = ex.mem;
    let u8 = new Uint8Array(mem.buffer);
    let u32 = new Uint32Array(mem.buffer);
    ex.crctables();
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

/** Where `run` writes its output in the RESP kernel's memory, and how much of it there is. */
export const RUN_OUT = 65536;
export const RUN_OUT_BYTES = 1 << 18;
/** Where the RESP kernel's input is mirrored, and how much of it at a time. */
export const RUN_IN = RUN_OUT + RUN_OUT_BYTES + 64;
export const RUN_IN_BYTES = 1 << 18;

/** Where `xadd` reads the stream node's master ID (16 bytes, big-endian). */
export const STREAM_ID = 32800;

/** The RESP kernel of kernels.wat (`run`), in an instance and memory of its own. */
export interface RespKernel {
  /** See kernels.wat: units of RDB strings or listpack elements in mem[p, lim) to RESP at out; returns why it stopped. */
  run(p: number, lim: number, max: number, shape: number, out: number, outEnd: number, countRoom: number, sizeRoom: number): number;
  /** See kernels.wat: checks the listpack of n bytes at p (zset 1: and its scores); its number of elements, or -1. */
  lpcheck(p: number, n: number, outMax: number, zset: number): number;
  /** See kernels.wat: checks the intset of n bytes at p; its number of members, or -1. */
  intcheck(p: number, n: number): number;
  /** See kernels.wat: a stream node's listpack (n bytes at p, master ID at STREAM_ID) to XADD commands at out; live entries written, or -1. */
  xadd(p: number, n: number, pre: number, preLen: number, out: number, outEnd: number): number;
  /** See kernels.wat: the score text of n bytes at p as lpcheck and run read it, or NaN where they leave it to JavaScript. */
  scoretext(p: number, n: number): number;
  /** The memory (RUN_IN + RUN_IN_BYTES + 64 bytes at least). */
  readonly mem: Uint8Array;
  /** `run`'s results: [0] input position after, [1] output position after, [2] units taken, [3] bytes counted. */
  readonly results: Uint32Array;
}

let respLoaded: RespKernel | null | undefined;

/** The RESP kernel (one per thread), or null where WebAssembly is unavailable. */
export function respKernel(): RespKernel | null {
  if (respLoaded !== undefined) return respLoaded;
  respLoaded = null;
  const module = compiledModule();
  if (module === null) return null;
  try {
    const ex = new WebAssembly.Instance(module, {}).exports as { mem: WebAssembly.Memory; run: RespKernel['run']; lpcheck: RespKernel['lpcheck']; scoretext: RespKernel['scoretext']; xadd: RespKernel['xadd']; intcheck: RespKernel['intcheck'] };
    const bytes = RUN_IN + RUN_IN_BYTES + 64;
    ex.mem.grow(Math.ceil((bytes - ex.mem.buffer.byteLength) / 65536));
    respLoaded = { run: ex.run, lpcheck: ex.lpcheck, scoretext: ex.scoretext, xadd: ex.xadd, intcheck: ex.intcheck, mem: new Uint8Array(ex.mem.buffer), results: new Uint32Array(ex.mem.buffer, 32776, 4) };
  } catch {
    respLoaded = null;
  }
  return respLoaded;
}

/** For tests: forget the kernels (`off` true: act as if WebAssembly were missing). */
export function resetKernels(off = false): void {
  loaded = off ? null : undefined;
  respLoaded = off ? null : undefined;
}
