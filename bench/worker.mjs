// One in-process measurement in its own process:
//   node bench/worker.mjs MODE FILE
//   node bench/worker.mjs floor DIR     (a multi-part AOF directory: every part it lists)
// Prints one JSON line: { mode, seconds, cpuSeconds, bytes, keys, ..., maxRSSKiB }.
// `seconds` and `cpuSeconds` (user + system) run from opening the file to the
// last byte handled (start-up and module loading excluded); maxRSSKiB is
// process.resourceUsage().maxRSS, for the whole process.
// The library is imported from the built dist/ (or the snapshot of it that
// bench/run.mjs passes in RDBKIT_BENCH_DIST).
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = process.env.RDBKIT_BENCH_DIST ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const lib = await import(pathToFileURL(path.join(dist, 'index.js')).href);
const node = await import(pathToFileURL(path.join(dist, 'node/index.js')).href);

const [mode, file] = process.argv.slice(2);
// A directory is a multi-part AOF: its parts are the files its manifest lists
// (history parts left out), read one after the other.
const files = (await stat(file)).isDirectory() ? await aofParts(file) : [file];
let size = 0;
for (const f of files) size += (await stat(f)).size;
const CHUNK = 1 << 20;

async function aofParts(dir) {
  const names = await readdir(dir);
  const manifest = names.find((n) => n.endsWith('.manifest'));
  if (!manifest) throw new Error(`${dir}: no manifest`);
  const parts = [];
  for (const line of (await readFile(path.join(dir, manifest), 'utf8')).split('\n')) {
    const m = /^file (\S+) seq \d+ type ([bih])/.exec(line.trim());
    if (m && m[2] !== 'h') parts.push(path.join(dir, m[1]));
  }
  return parts;
}

/** The input in 1 MiB chunks, a fresh buffer each (as a decoder keeping views needs). */
async function* readAll() {
  for (const f of files) yield* readFile1(f);
}
async function* readFile1(file) {
  const fh = await open(file, 'r');
  // One buffer for every read: each chunk is used up before the next is asked for.
  const buf = new Uint8Array(CHUNK);
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) return;
      yield bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

const result = { mode, bytes: size, keys: 0 };
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();

if (mode === 'floor') {
  // Get every byte into memory; look at one per chunk so nothing is optimised away.
  let x = 0;
  let n = 0;
  for await (const c of readAll()) {
    x ^= c[c.length - 1];
    n += c.length;
  }
  if (n !== size) throw new Error(`floor read ${n} of ${size} bytes`);
  result.check = x;
} else if (mode === 'input') {
  // The same through rdbkit's Node adapter (openInput, two chunks read ahead): what the CLI reads
  // with, each chunk given back once it is read (release), as the CLI's decoder does.
  let n = 0;
  const input = await node.openInput(file);
  for await (const c of input.chunks) {
    n += c.length;
    input.release?.(n);
  }
  if (n !== size) throw new Error(`openInput gave ${n} of ${size} bytes`);
} else if (mode === 'crc') {
  // CRC-64/Jones over everything before the 8-byte trailer must equal the trailer.
  if (typeof lib.Crc64 !== 'function') {
    result.skipped = 'Crc64 is not exported by dist/index.js';
  } else {
    const crc = new lib.Crc64();
    const body = size - 8;
    let pos = 0;
    let trailer = new Uint8Array(0);
    for await (const c of readAll()) {
      const take = Math.max(0, Math.min(c.length, body - pos));
      if (take > 0) crc.update(c, 0, take);
      if (take < c.length) trailer = concat(trailer, c.subarray(take));
      pos += c.length;
    }
    const stored = new DataView(trailer.buffer, trailer.byteOffset, 8).getBigUint64(0, true);
    result.crc = crc.value.toString(16);
    result.crcOk = stored === crc.value;
  }
} else if (mode === 'decode' || mode === 'json') {
  // decode: every event built. json: the same into JsonlWriter, chunks written to /dev/null (as the CLI does).
  const types = {};
  const encodings = {};
  let expires = 0;
  let verified = false;
  const writer = mode === 'json' ? new lib.JsonlWriter() : null;
  const out = mode === 'json' ? createWriteStream('/dev/null') : null;
  let outBytes = 0;
  const input = await node.openInput(file);
  for await (const batch of lib.parseRdbBatches(input.chunks, { verifyChecksum: true })) {
    for (const ev of batch) {
      if (ev.type === 'key' || ev.type === 'keyStart') {
        result.keys++;
        types[ev.dataType] = (types[ev.dataType] ?? 0) + 1;
        const enc = `${ev.dataType}/${ev.encoding}`;
        encodings[enc] = (encodings[enc] ?? 0) + 1;
        if (ev.expireAt !== null) expires++;
      } else if (ev.type === 'eof') verified = ev.verified;
      writer?.write(ev);
    }
    if (writer) {
      for (const c of writer.take()) {
        outBytes += c.length;
        if (!out.write(c)) await new Promise((r) => out.once('drain', r));
      }
    }
  }
  if (writer) {
    writer.end();
    for (const c of writer.take()) {
      outBytes += c.length;
      out.write(c);
    }
    await new Promise((r) => out.end(r));
    result.outBytes = outBytes;
  }
  Object.assign(result, { types, encodings, expires, verified });
} else {
  throw new Error(`unknown mode ${mode}`);
}

result.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
result.maxRSSKiB = process.resourceUsage().maxRSS;
console.log(JSON.stringify(result));

function concat(a, b) {
  const r = new Uint8Array(a.length + b.length);
  r.set(a);
  r.set(b, a.length);
  return r;
}
