// One measurement in its own process: node bench/worker.mjs MODE FILE
// Prints one JSON line: { mode, seconds, bytes, keys, check }.
import { open, stat } from 'node:fs/promises';
import { parseRdbBatches, Crc64, JsonlWriter } from '../dist/index.js';
import { openInput } from '../dist/node/index.js';

const [mode, file] = process.argv.slice(2);
const size = (await stat(file)).size;

async function* readAll() {
  const fh = await open(file, 'r');
  try {
    for (;;) {
      const buf = new Uint8Array(1 << 20);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

const t0 = process.hrtime.bigint();
let keys = 0;
let check = 0;
if (mode === 'floor') {
  // Read every byte and touch one per chunk: the cost of getting the bytes.
  for await (const c of readAll()) check ^= c[c.length - 1];
} else if (mode === 'crc') {
  const crc = new Crc64();
  for await (const c of readAll()) crc.update(c);
  check = Number(crc.lo);
} else if (mode === 'decode') {
  for await (const batch of parseRdbBatches((await openInput(file)).chunks)) {
    for (const ev of batch) if (ev.type === 'key' || ev.type === 'keyStart') keys++;
  }
} else if (mode === 'json-inproc') {
  const { createWriteStream } = await import('node:fs');
  const input = await openInput(file);
  const w = new JsonlWriter();
  const out = createWriteStream('/dev/null');
  for await (const batch of parseRdbBatches(input.chunks)) {
    for (const ev of batch) {
      if (ev.type === 'key' || ev.type === 'keyStart') keys++;
      w.write(ev);
    }
    for (const c of w.take()) {
      check += c.length;
      if (!out.write(c)) await new Promise((r) => out.once('drain', r));
    }
  }
  w.end();
  for (const c of w.take()) check += c.length;
  await new Promise((r) => out.end(r));
} else {
  throw new Error(`unknown mode ${mode}`);
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ mode, seconds, bytes: size, keys, check }));
