// The measured case for a WebAssembly element->RESP kernel (README, "not yet
// as fast"): wasm-bulk.wat turns a run of RDB strings (6/14-bit lengths) into
// RESP bulk strings; this times it, copies in and out of its memory included,
// against the same loop in plain JavaScript, on 1 million strings of 1-40
// bytes. A prototype, not used by rdbkit:  node bench/wasm-bulk.mjs
import wabt from 'wabt';
import { readFileSync } from 'node:fs';
const w = await wabt();
const mod = w.parseWat('bulk.wat', readFileSync(new URL('./wasm-bulk.wat', import.meta.url), 'utf8'), {});
mod.validate();
const bin = mod.toBinary({}).buffer;
const inst = new WebAssembly.Instance(new WebAssembly.Module(bin), {});
const { mem, run, ipOut, opOut } = inst.exports;
// input: N RDB strings of 1-40 bytes, as runs of 512 (a batch) like hash hashtable fields/values
const N = 1_000_000;
let rnd = 12345; const r = () => (rnd = (rnd * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const parts = []; let size = 0;
for (let i = 0; i < N; i++) { const len = 1 + Math.floor(r() * 40); const b = new Uint8Array(1 + len); b[0] = len; for (let k = 1; k <= len; k++) b[k] = 97 + (k % 26); parts.push(b); size += b.length; }
const input = new Uint8Array(size); { let p = 0; for (const b of parts) { input.set(b, p); p += b.length; } }
const out = new Uint8Array(size * 2 + 1024);
const CH = 1 << 20;
// JS reference: the same conversion, in a plain loop (what sinkRun + bulkRange do without the calls)
function js() {
  let op = 0; let p = 0; const end = input.length; let n = 0;
  while (p < end) {
    const len = input[p]; const s = p + 1;
    out[op++] = 0x24;
    if (len < 10) out[op++] = 0x30 + len; else { const t = (len / 10) | 0; out[op++] = 0x30 + t; out[op++] = 0x30 + len - t * 10; }
    out[op++] = 13; out[op++] = 10;
    for (let k = 0; k < len; k++) out[op++] = input[s + k];
    out[op++] = 13; out[op++] = 10;
    p = s + len; n++;
    if (op > out.length - 4096) op = 0;
  }
  return n;
}
function wasm() {
  const m = new Uint8Array(mem.buffer);
  let p = 0, n = 0;
  const IN = 0, OUT = 8 << 20;
  while (p < input.length) {
    const e = Math.min(input.length, p + CH);
    m.set(input.subarray(p, e), IN);
    const got = run(IN, IN + (e - p), OUT, 1 << 30);
    n += got;
    const used = ipOut.value - IN;
    const produced = opOut.value - OUT;
    out.set(m.subarray(OUT, OUT + produced), 0);
    p += used;
    if (used === 0) throw new Error('stuck');
  }
  return n;
}
// Both must write the same bytes (one chunk's worth, compared once).
{
  const small = input.subarray(0, 4096);
  let q = 0; while (q < small.length && q + 1 + small[q] <= small.length) q += 1 + small[q];
  const m = new Uint8Array(mem.buffer);
  m.set(small.subarray(0, q), 0);
  run(0, q, 8 << 20, 1 << 30);
  const viaWasm = m.slice(8 << 20, opOut.value);
  let expect = '';
  for (let p = 0; p < q; p += 1 + small[p]) expect += `$${small[p]}\r\n${String.fromCharCode(...small.subarray(p + 1, p + 1 + small[p]))}\r\n`;
  if (Buffer.from(viaWasm).toString('latin1') !== expect) throw new Error('the kernel writes other bytes than RESP bulk strings');
}
for (const [name, f] of [['js', js], ['wasm', wasm], ['js', js], ['wasm', wasm], ['js', js], ['wasm', wasm]]) {
  const t = performance.now(); const n = f(); console.log(name, n, (performance.now() - t).toFixed(1), 'ms');
}
