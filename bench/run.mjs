// npm run bench [-- --quick] [-- --mb N] [-- --regen]
// Throughput (MB/s, keys/s) and peak RSS of rdbkit against a read-only floor
// and redis-check-rdb, all measured in this one run; then the memory check on
// huge values. Each measurement runs in its own process, best of 3.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeHuge, makeMixed } from './generate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dataDir = path.join(here, 'data');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const regen = argv.includes('--regen');
const mbArg = argv.indexOf('--mb');
const mb = mbArg >= 0 ? Number(argv[mbArg + 1]) : quick ? 20 : 150;
const RUNS = 3;

fs.mkdirSync(dataDir, { recursive: true });
if (!fs.existsSync(path.join(root, 'dist/index.js')) || !fs.existsSync(path.join(root, 'dist/cli/main.js'))) {
  console.log('building…');
  spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}

function measureProcess(cmd, args) {
  const stats = path.join(os.tmpdir(), `rdbkit-bench-${process.pid}.json`);
  let best = null;
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, {
      env: { ...process.env, RDBKIT_BENCH_STATS: stats, NODE_OPTIONS: `--require ${path.join(here, 'rss.cjs')}` },
      maxBuffer: 1 << 26,
    });
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    let rss = null;
    if (fs.existsSync(stats)) {
      rss = JSON.parse(fs.readFileSync(stats, 'utf8')).maxRSSKiB / 1024;
      fs.rmSync(stats);
    }
    const out = r.stdout.toString();
    if (!best || seconds < best.seconds) best = { seconds, rss, out };
    else if (rss !== null && best.rss !== null) best.rss = Math.max(best.rss, rss);
  }
  return best;
}

function worker(mode, file) {
  const m = measureProcess(process.execPath, [path.join(here, 'worker.mjs'), mode, file]);
  return { ...m, result: JSON.parse(m.out.trim().split('\n').at(-1)) };
}

function fmt(n, d = 1) {
  return n === null || n === undefined ? '—' : n.toFixed(d);
}

async function mixedBench() {
  const file = path.join(dataDir, quick ? 'mixed-quick.rdb' : `mixed-${mb}.rdb`);
  if (regen || !fs.existsSync(file) || !fs.existsSync(file + '.json')) {
    console.log(`generating ${path.basename(file)} (${mb} MB) with redis-server…`);
    await makeMixed(file, mb);
  }
  const expectedKeys = JSON.parse(fs.readFileSync(file + '.json', 'utf8')).keys;
  const size = fs.statSync(file).size;
  const MB = size / 1e6;
  console.log(`\n${path.basename(file)}: ${MB.toFixed(1)} MB, ${expectedKeys} keys (written by redis-server, counted with DBSIZE)\n`);

  const rows = [];
  const floor = worker('floor', file);
  rows.push({ name: 'floor: read the file, nothing else', seconds: floor.seconds, rss: floor.rss });
  const crc = worker('crc', file);
  rows.push({ name: 'CRC-64 over the file', seconds: crc.seconds, rss: crc.rss });
  const dec = worker('decode', file);
  if (dec.result.keys !== expectedKeys) throw new Error(`decode counted ${dec.result.keys} keys, the server wrote ${expectedKeys}`);
  rows.push({ name: 'decode (parseRdbBatches, all events)', seconds: dec.seconds, rss: dec.rss, keys: expectedKeys });
  const inproc = worker('json-inproc', file);
  if (inproc.result.keys !== expectedKeys) throw new Error('json-inproc key count mismatch');
  rows.push({ name: 'decode + JSON Lines (in process)', seconds: inproc.seconds, rss: inproc.rss, keys: expectedKeys });

  const bin = path.join(root, 'bin/rdbkit.js');
  const jsonCli = measureProcess(process.execPath, [bin, 'json', file, '-o', '/dev/null']);
  rows.push({ name: 'rdbkit json FILE -o /dev/null', seconds: jsonCli.seconds, rss: jsonCli.rss, keys: expectedKeys });
  // The CLI's own output must have one line per key.
  const lines = spawnSync('sh', ['-c', `node ${bin} json '${file}' | wc -l`]).stdout.toString().trim();
  if (Number(lines) !== expectedKeys) throw new Error(`rdbkit json wrote ${lines} lines for ${expectedKeys} keys`);
  const verify = measureProcess(process.execPath, [bin, 'verify', file]);
  rows.push({ name: 'rdbkit verify FILE', seconds: verify.seconds, rss: verify.rss, keys: expectedKeys });
  const info = measureProcess(process.execPath, [bin, 'info', file]);
  rows.push({ name: 'rdbkit info FILE', seconds: info.seconds, rss: info.rss, keys: expectedKeys });

  let checker = null;
  if (spawnSync('sh', ['-c', 'command -v redis-check-rdb']).status === 0) {
    checker = measureProcess('redis-check-rdb', [file]);
    if (!/RDB looks OK/.test(checker.out)) throw new Error(`redis-check-rdb did not accept the file: ${checker.out}`);
    rows.push({ name: 'redis-check-rdb FILE (C, reference)', seconds: checker.seconds, rss: null, keys: expectedKeys });
  }

  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}; best of ${RUNS}; process times include start-up\n`);
  console.log('measurement'.padEnd(42) + 'MB/s'.padStart(9) + 'keys/s'.padStart(12) + '× floor'.padStart(9) + '× check-rdb'.padStart(13) + 'peak RSS MB'.padStart(13));
  for (const r of rows) {
    const mbs = MB / r.seconds;
    console.log(
      r.name.padEnd(42) +
        fmt(mbs).padStart(9) +
        (r.keys ? fmt(r.keys / r.seconds, 0) : '').padStart(12) +
        fmt(floor.seconds / r.seconds, 2).padStart(9) +
        (checker ? fmt(checker.seconds / r.seconds, 2) : '—').padStart(13) +
        fmt(r.rss, 0).padStart(13),
    );
  }
  return { file: path.basename(file), bytes: size, keys: expectedKeys, rows: rows.map((r) => ({ ...r, mbPerSec: MB / r.seconds })) };
}

async function hugeBench() {
  const file = path.join(dataDir, 'huge.rdb');
  if (regen || !fs.existsSync(file) || !fs.existsSync(file + '.json')) {
    console.log('\ngenerating huge.rdb (4M-element list, 1M set/hash/zset, 200 MB string) with redis-server…');
    await makeHuge(file);
  }
  const want = JSON.parse(fs.readFileSync(file + '.json', 'utf8'));
  const out = path.join(dataDir, 'huge.jsonl');
  const bin = path.join(root, 'bin/rdbkit.js');
  const m = measureProcess(process.execPath, [bin, 'json', file, '-o', out]);
  // Check the output without loading it: stream it and count records and elements.
  const counts = { lines: 0, list: 0, set: 0, hash: 0, zset: 0, stringBase64: 0 };
  const fd = fs.openSync(out, 'r');
  const buf = Buffer.alloc(1 << 22);
  let current = null;
  let head = '';
  let w3 = 0;
  for (;;) {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    for (let i = 0; i < n; i++) {
      const c = buf[i];
      if (current === null) {
        // Read the record head up to "value": to learn which key this is.
        head += String.fromCharCode(c);
        if (head.endsWith('"value":')) {
          const m2 = /"key":"([^"]*)"/.exec(head);
          const key = head.includes('"bytes":"base64"') ? Buffer.from(m2[1], 'base64').toString() : m2[1];
          current = key.replace('big', '');
          head = '';
        } else if (head.length > 4096) throw new Error('record head not found');
        continue;
      }
      if (c === 0x0a) {
        counts.lines++;
        current = null;
      } else if (current === 'string') {
        counts.stringBase64++;
      } else {
        // Element boundaries: "," between list/set members and hash pairs, "],[" between zset entries.
        w3 = ((w3 << 8) | c) & 0xffffff;
        if (current === 'zset' ? w3 === 0x5d2c5b : w3 === 0x222c22) counts[current]++;
      }
    }
  }
  fs.closeSync(fd);
  fs.rmSync(out);
  // n elements have n - 1 separators.
  const got = { list: counts.list + 1, set: counts.set + 1, hash: counts.hash + 1, zset: counts.zset + 1 };
  console.log(`\nhuge.rdb: ${(fs.statSync(file).size / 1e6).toFixed(0)} MB → rdbkit json: ${fmt(m.seconds)} s, peak RSS ${fmt(m.rss, 0)} MB (limit 200 MB)`);
  console.log(`  records ${counts.lines}; list ${got.list}/${want.list}, set ${got.set}/${want.set}, hash ${got.hash}/${want.hash}, zset ${got.zset}/${want.zset} elements`);
  const ok = counts.lines === want.keys && got.list === want.list && got.set === want.set && got.hash === want.hash && got.zset === want.zset && m.rss !== null && m.rss < 200;
  console.log(ok ? '  PASS' : '  FAIL');
  return { seconds: m.seconds, rssMB: m.rss, counts: got, ok };
}

const results = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length };
results.mixed = await mixedBench();
if (!quick) results.huge = await hugeBench();
fs.writeFileSync(path.join(dataDir, 'results.json'), JSON.stringify(results, null, 2));
if (results.huge && !results.huge.ok) process.exitCode = 1;
