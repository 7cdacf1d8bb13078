// npm run bench [-- --quick] [-- --mb N] [-- --regen] [-- --runs N] [-- --no-snapshot]
//
// Throughput (MB/s, keys/s) and peak RSS of rdbkit against a floor (reading
// the file and doing nothing) and against redis-check-rdb, all measured in
// this one run so the ratios are comparable; then the memory check on huge
// values. Every measurement runs in its own process, best of 3. The benchmark
// checks its own results against what the generator wrote and the server
// held, and exits 1 when anything disagrees.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HUGE_GEN, MIXED_GEN, makeHuge, makeMixed } from './generate.mjs';
import { JsonlCounter, recordKey } from './jsonl-count.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dataDir = path.join(here, 'data');

// ---- options ---------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const value = (name, fallback) => {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) usage(`${name} needs a positive number`);
  return v;
};
function usage(msg) {
  console.error(`bench: ${msg}\nusage: npm run bench -- [--quick] [--mb N] [--runs N] [--regen] [--no-snapshot]`);
  process.exit(2);
}
for (const a of argv) if (a.startsWith('--') && !['--quick', '--regen', '--mb', '--runs', '--no-snapshot'].includes(a)) usage(`unknown option ${a}`);
const quick = flag('--quick');
const regen = flag('--regen');
const mb = value('--mb', quick ? 20 : 150);
const RUNS = value('--runs', 3);
const RSS_LIMIT_MB = 200;
const JSON_MBPS_EXPECTED = 100;

/** Any failed self-check ends the run with exit status 1. */
class BenchFailure extends Error {}
function check(ok, msg) {
  if (!ok) throw new BenchFailure(msg);
}

// ---- the machine -----------------------------------------------------------

const cpus = os.cpus();
const gitRev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).stdout?.toString().trim() || '?';
const gitDirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: root }).stdout?.toString().trim() ? ' + uncommitted src changes' : '';
const redisVersion = /v=(\S+)/.exec(spawnSync('redis-server', ['--version']).stdout?.toString() ?? '')?.[1] ?? 'not found';
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const machine = {
  cpus: cpus.length,
  cpuModel: cpus[0]?.model.trim() ?? '?',
  memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  redis: redisVersion,
  rdbkit: `${pkg.version} (${gitRev}${gitDirty})`,
};
console.log(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGB} GiB, ${machine.platform}`);
console.log(`node ${machine.node}, redis-server ${machine.redis}, rdbkit ${machine.rdbkit}`);
console.log(`best of ${RUNS}, each run in its own process${quick ? '; --quick: small dump, no memory check' : ''}`);
const load = () => +os.loadavg()[0].toFixed(2);
machine.loadAtStart = load();
if (machine.loadAtStart > 0.5 * cpus.length) console.log(`warning: load average ${machine.loadAtStart} on ${cpus.length} cpus; other work is running and the numbers will be noisy`);
console.log();

// ---- the build under test --------------------------------------------------

// Run a snapshot of dist/, so a rebuild in the working tree during the run
// (tsup empties dist/ first) cannot break or mix the measurements. It lives
// under bench/data/ so that dist's own imports (commander) still resolve.
const useSnapshot = !flag('--no-snapshot');
const snapRoot = path.join(dataDir, 'build');
const built = () => ['dist/index.js', 'dist/node/index.js', 'dist/cli/main.js'].every((f) => fs.existsSync(path.join(root, f)));

async function prepareBuild() {
  if (!built()) {
    console.log('dist/ is missing: npm run build');
    spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
  if (!useSnapshot) return { dist: path.join(root, 'dist'), bin: path.join(root, 'bin/rdbkit.js') };
  for (let attempt = 1; ; attempt++) {
    try {
      fs.rmSync(snapRoot, { recursive: true, force: true });
      fs.mkdirSync(path.join(snapRoot, 'bin'), { recursive: true });
      fs.cpSync(path.join(root, 'dist'), path.join(snapRoot, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(root, 'bin/rdbkit.js'), path.join(snapRoot, 'bin/rdbkit.js'));
      const bin = path.join(snapRoot, 'bin/rdbkit.js');
      const r = spawnSync(process.execPath, [bin, '--version']);
      if (r.status === 0) return { dist: path.join(snapRoot, 'dist'), bin };
      throw new Error(r.stderr.toString().split('\n')[0]);
    } catch (e) {
      // Most likely a build was running while we copied: wait for it.
      if (attempt >= 12) throw new Error(`no usable build in dist/: ${e.message}`);
      console.log(`dist/ not usable yet (${e.message}); retrying in 10 s`);
      await new Promise((r) => setTimeout(r, 10_000));
    }
  }
}

// ---- running things --------------------------------------------------------

const TIME = fs.existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M %U %S', 'true']).status === 0 ? '/usr/bin/time' : null;
const TIME_FORMAT = '%M %U %S'; // peak RSS KiB, user s, system s
const statsFile = path.join(os.tmpdir(), `rdbkit-bench-${process.pid}.txt`);

/**
 * The command line that runs `cmd` under GNU time (or, for node without it,
 * with rss.cjs preloaded), writing its stats to statsFile.
 */
function measuredCommand(cmd, args) {
  fs.rmSync(statsFile, { force: true });
  const env = { ...process.env, RDBKIT_BENCH_STATS: statsFile };
  if (TIME) return { file: TIME, list: ['-f', TIME_FORMAT, '-o', statsFile, cmd, ...args], env };
  if (cmd === process.execPath) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --require ${path.join(here, 'rss.cjs')}`;
  return { file: cmd, list: args, env };
}

/**
 * One process run, timed from spawn to exit. Peak RSS and CPU time come from
 * GNU time (%M is the largest RSS of the process and of the children it
 * waited for, which covers the CLI re-running itself with a heap limit; %U+%S
 * include those children too); without it, node processes preload rss.cjs
 * and other commands get neither.
 */
function runOnce(cmd, args) {
  const { file, list, env } = measuredCommand(cmd, args);
  const t = process.hrtime.bigint();
  const r = spawnSync(file, list, { env, maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new BenchFailure(`${path.basename(cmd)} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return { seconds, ...readStats(), stdout: r.stdout.toString() };
}

/** { rssMB, cpu } of the last run, null where unknown. */
function readStats() {
  if (!fs.existsSync(statsFile)) return { rssMB: null, cpu: null };
  const text = fs.readFileSync(statsFile, 'utf8').trim();
  fs.rmSync(statsFile, { force: true });
  if (TIME) {
    const [kib, user, sys] = text.split('\n').at(-1).split(' ').map(Number);
    return { rssMB: Number.isFinite(kib) ? kib / 1024 : null, cpu: Number.isFinite(user + sys) ? user + sys : null };
  }
  const s = JSON.parse(text);
  return { rssMB: s.maxRSSKiB / 1024, cpu: s.cpuSeconds };
}

/** Best time of RUNS runs; CPU time is the least, peak RSS the largest of all runs. */
function measureProcess(cmd, args) {
  let best = null;
  let rss = null;
  let cpu = null;
  for (let i = 0; i < RUNS; i++) {
    const m = runOnce(cmd, args);
    if (m.rssMB !== null) rss = Math.max(rss ?? 0, m.rssMB);
    if (m.cpu !== null) cpu = Math.min(cpu ?? Infinity, m.cpu);
    if (!best || m.seconds < best.seconds) best = m;
  }
  return { ...best, rssMB: rss, cpu };
}

/** An in-process measurement (bench/worker.mjs): time and RSS as the worker reports them. */
function measureWorker(build, mode, file) {
  let best = null;
  let rss = 0;
  let cpu = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, [path.join(here, 'worker.mjs'), mode, file], {
      env: { ...process.env, RDBKIT_BENCH_DIST: build.dist },
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) throw new BenchFailure(`worker ${mode} failed: ${r.stderr}`);
    const result = JSON.parse(r.stdout.toString().trim().split('\n').at(-1));
    rss = Math.max(rss, result.maxRSSKiB / 1024);
    cpu = Math.min(cpu, result.cpuSeconds);
    if (!best || result.seconds < best.seconds) best = result;
  }
  return { seconds: best.seconds, rssMB: rss, cpu, result: best };
}

/**
 * Runs a command with its stdout streamed into `onData` (never collected),
 * under GNU time when there is one. Resolves to { seconds, rssMB }.
 */
function streamProcess(cmd, args, onData) {
  const { file, list, env } = measuredCommand(cmd, args);
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(file, list, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let failed = null;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      if (failed) return;
      try {
        onData(d);
      } catch (e) {
        failed = e;
        child.kill();
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      if (failed) return reject(failed);
      if (code !== 0) return reject(new BenchFailure(`${path.basename(cmd)} ${args.join(' ')} exited with ${code ?? signal}: ${stderr}`));
      resolve({ seconds, ...readStats() });
    });
  });
}

// ---- data ------------------------------------------------------------------

function sidecar(file, gen) {
  try {
    const s = JSON.parse(fs.readFileSync(file + '.json', 'utf8'));
    return fs.existsSync(file) && s.gen === gen ? s : null;
  } catch {
    return null;
  }
}

async function ensureMixed() {
  const file = path.join(dataDir, `mixed-${mb}.rdb`);
  let want = regen ? null : sidecar(file, MIXED_GEN);
  if (!want) {
    console.log(`generating ${path.basename(file)} (${mb} MiB of data) with redis-server ${redisVersion}…`);
    const t = Date.now();
    want = await makeMixed(file, mb);
    console.log(`  done in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  }
  return { file, want };
}

async function ensureHuge() {
  const file = path.join(dataDir, 'huge.rdb');
  let want = regen ? null : sidecar(file, HUGE_GEN);
  if (!want) {
    console.log('generating huge.rdb (4M-element list, 1M-member set, hash and zset, 200 MiB string) with redis-server…');
    const t = Date.now();
    want = await makeHuge(file);
    console.log(`  done in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  }
  return { file, want };
}

// rdbkit's encoding names → Redis's OBJECT ENCODING names, to compare tallies.
// Strings are compared by type only (embstr/raw/int are in-memory choices).
function serverEncoding(typeEnc) {
  const [type, enc] = typeEnc.split('/');
  if (type === 'string') return 'string/*';
  if (enc === 'quicklist2') return `${type}/quicklist`;
  return `${type}/${enc}`;
}
function tally(encodings, map) {
  const t = {};
  for (const [k, n] of Object.entries(encodings)) {
    const m = map(k);
    t[m] = (t[m] ?? 0) + n;
  }
  return Object.fromEntries(Object.entries(t).sort());
}

// ---- the mixed dump --------------------------------------------------------

async function mixedBench(build) {
  const { file, want } = await ensureMixed();
  const size = fs.statSync(file).size;
  const MB = size / 1e6;
  const keys = want.keys;
  const serverTally = tally(want.server.encodings, (k) => (k.startsWith('string/') ? 'string/*' : k));
  console.log(`${path.basename(file)}: ${MB.toFixed(1)} MB, ${keys} keys, ${want.expires} with TTL (written by redis-server ${want.server.version})`);
  console.log(`  ${Object.entries(serverTally).map(([k, n]) => `${k} ${n}`).join(', ')}\n`);

  const rows = [];
  const bin = build.bin;
  const node = process.execPath;

  const startup = measureProcess(node, [bin, '--version']);
  rows.push({ id: 'startup', name: 'node start-up (rdbkit --version)', seconds: startup.seconds, cpu: startup.cpu, rssMB: startup.rssMB, noRate: true });

  const floor = measureWorker(build, 'floor', file);
  rows.push({ id: 'floor', name: 'floor: read 1 MiB chunks, touch nothing', seconds: floor.seconds, cpu: floor.cpu, rssMB: floor.rssMB });

  const input = measureWorker(build, 'input', file);
  rows.push({ id: 'input', name: 'read via openInput (the CLI reader)', seconds: input.seconds, cpu: input.cpu, rssMB: input.rssMB });

  const crc = measureWorker(build, 'crc', file);
  if (crc.result.skipped) console.log(`  crc skipped: ${crc.result.skipped}`);
  else {
    check(crc.result.crcOk, `CRC-64 ${crc.result.crc} does not match the file's trailer`);
    rows.push({ id: 'crc', name: 'floor + CRC-64 (checked vs trailer)', seconds: crc.seconds, cpu: crc.cpu, rssMB: crc.rssMB });
  }

  const dec = measureWorker(build, 'decode', file);
  const d = dec.result;
  check(d.keys === keys, `decode counted ${d.keys} keys, the generator wrote ${keys}`);
  check(d.expires === want.expires, `decode found ${d.expires} keys with expiry, the generator set ${want.expires}`);
  check(d.verified === true, 'decode did not verify the checksum');
  const decTally = tally(d.encodings, serverEncoding);
  check(JSON.stringify(decTally) === JSON.stringify(serverTally), `decode's type/encoding tally ${JSON.stringify(decTally)} differs from the server's ${JSON.stringify(serverTally)}`);
  rows.push({ id: 'decode', name: 'decode: parseRdbBatches, all events', seconds: dec.seconds, cpu: dec.cpu, rssMB: dec.rssMB, keys });

  const jin = measureWorker(build, 'json', file);
  check(jin.result.keys === keys, `decode + JsonlWriter counted ${jin.result.keys} keys, the generator wrote ${keys}`);
  rows.push({ id: 'json-inproc', name: 'decode + JsonlWriter (in process)', seconds: jin.seconds, cpu: jin.cpu, rssMB: jin.rssMB, keys });

  const json = measureProcess(node, [bin, 'json', file, '-o', '/dev/null']);
  rows.push({ id: 'json', name: 'rdbkit json FILE -o /dev/null', seconds: json.seconds, cpu: json.cpu, rssMB: json.rssMB, keys });
  // The CLI's output, streamed and counted (never held): one line per key, and
  // the same bytes as the in-process writer produced.
  let lines = 0;
  let outBytes = 0;
  await streamProcess(node, [bin, 'json', file], (buf) => {
    outBytes += buf.length;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) lines++;
  });
  check(lines === keys, `rdbkit json wrote ${lines} lines for ${keys} keys`);
  check(outBytes === jin.result.outBytes, `rdbkit json wrote ${outBytes} bytes, JsonlWriter in process ${jin.result.outBytes}`);

  const verify = measureProcess(node, [bin, 'verify', file]);
  check(verify.stdout.includes(`, ${keys} keys`), `rdbkit verify says: ${verify.stdout.trim()}`);
  rows.push({ id: 'verify', name: 'rdbkit verify FILE', seconds: verify.seconds, cpu: verify.cpu, rssMB: verify.rssMB, keys });

  const info = measureProcess(node, [bin, 'info', '--json', file]);
  const report = JSON.parse(info.stdout);
  check(report.keys === keys && report.expires === want.expires, `rdbkit info reports ${report.keys} keys, ${report.expires} expires; expected ${keys}, ${want.expires}`);
  rows.push({ id: 'info', name: 'rdbkit info --json FILE', seconds: info.seconds, cpu: info.cpu, rssMB: info.rssMB, keys });

  let checker = null;
  if (spawnSync('sh', ['-c', 'command -v redis-check-rdb']).status === 0) {
    checker = measureProcess('redis-check-rdb', [file]);
    check(/RDB looks OK/.test(checker.stdout), `redis-check-rdb did not accept the file: ${checker.stdout}`);
    const n = Number(/(\d+) keys read/.exec(checker.stdout)?.[1]);
    check(n === keys, `redis-check-rdb read ${n} keys, the generator wrote ${keys}`);
    rows.push({ id: 'redis-check-rdb', name: 'redis-check-rdb FILE (C, reference)', seconds: checker.seconds, cpu: checker.cpu, rssMB: checker.rssMB, keys });
  } else console.log('  redis-check-rdb not found: no reference line');

  for (const r of rows) {
    if (r.noRate) continue;
    r.mbPerSec = MB / r.seconds;
    if (r.keys) r.keysPerSec = r.keys / r.seconds;
    r.vsFloor = floor.seconds / r.seconds;
    if (checker) r.vsCheckRdb = checker.seconds / r.seconds;
  }
  printTable(rows);
  console.log('all results checked: key, expiry and type/encoding counts, CRC, JSON lines and bytes\n');
  return { file: path.basename(file), bytes: size, keys, expires: want.expires, encodings: serverTally, rows };
}

function printTable(rows) {
  const f = (n, d = 1) => (n === null || n === undefined ? '—' : n.toFixed(d));
  const cols = [
    ['measurement', 40, (r) => r.name, 'left'],
    ['time s', 8, (r) => f(r.seconds, 3)],
    ['cpu s', 7, (r) => f(r.cpu, 2)],
    ['MB/s', 8, (r) => f(r.mbPerSec)],
    ['keys/s', 10, (r) => (r.keysPerSec ? f(r.keysPerSec, 0) : '')],
    ['× floor', 8, (r) => f(r.vsFloor, 2)],
    ['× check-rdb', 12, (r) => f(r.vsCheckRdb, 2)],
    ['peak RSS MB', 12, (r) => f(r.rssMB, 0)],
  ];
  const line = (cells) => cells.map((c, i) => (cols[i][3] === 'left' ? c.padEnd(cols[i][1]) : c.padStart(cols[i][1]))).join(' ');
  console.log(line(cols.map((c) => c[0])));
  console.log(line(cols.map((c) => '-'.repeat(c[1]))));
  for (const r of rows) console.log(line(cols.map((c) => c[2](r))));
  console.log('× = speed relative to that line (time ratio). floor … decode + JsonlWriter are timed inside their process');
  console.log('(start-up excluded); the rdbkit and redis-check-rdb lines time the whole process (start-up included).');
}

// ---- the memory check ------------------------------------------------------

async function hugeBench(build) {
  const { file, want } = await ensureHuge();
  const size = fs.statSync(file).size;
  console.log(`huge.rdb: ${(size / 1e6).toFixed(0)} MB — ${want.list} list elements, ${want.set} set members, ${want.hash} hash fields, ${want.zset} zset members, ${want.string} B string`);
  // 1. peak RSS with output discarded
  const devnull = runOnce(process.execPath, [build.bin, 'json', file, '-o', '/dev/null']);
  // 2. output streamed through the counting parser (nothing is kept)
  const counter = new JsonlCounter();
  const piped = await streamProcess(process.execPath, [build.bin, 'json', file], (buf) => counter.push(buf));
  const recs = counter.end();
  const byKey = Object.fromEntries(recs.map((r) => [recordKey(r), r]));
  const got = {
    records: recs.length,
    list: byKey.biglist?.elements ?? null,
    set: byKey.bigset?.elements ?? null,
    hash: byKey.bighash?.elements ?? null,
    zset: byKey.bigzset?.elements ?? null,
    string: byKey.bigstring?.valueDecodedLength ?? null,
    stringBase64: byKey.bigstring?.fields.bytes === 'base64',
    stringSha256Ok: byKey.bigstring?.valueSha256 === want.stringSha256,
  };
  const problems = [];
  if (got.records !== want.keys) problems.push(`${got.records} records, want ${want.keys}`);
  for (const k of ['list', 'set', 'hash', 'zset', 'string']) if (got[k] !== want[k]) problems.push(`${k}: ${got[k]} elements/bytes, want ${want[k]}`);
  if (!got.stringBase64) problems.push('the random string is not written as base64');
  else if (!got.stringSha256Ok) problems.push("the string's bytes differ from what was written (SHA-256)");
  const f = (n) => (n === null ? '—' : n.toFixed(0));
  const rssOk = (m) => m.rssMB !== null && m.rssMB < RSS_LIMIT_MB;
  console.log(`  rdbkit json huge.rdb -o /dev/null   ${devnull.seconds.toFixed(2)} s, ${(size / 1e6 / devnull.seconds).toFixed(1)} MB/s, peak RSS ${f(devnull.rssMB)} MB  ${rssOk(devnull) ? 'PASS' : 'FAIL'} (limit ${RSS_LIMIT_MB} MB)`);
  console.log(`  rdbkit json huge.rdb | counter       ${piped.seconds.toFixed(2)} s, peak RSS ${f(piped.rssMB)} MB  ${rssOk(piped) ? 'PASS' : 'FAIL'}`);
  console.log(`  output: ${got.records} records; list ${got.list}, set ${got.set}, hash ${got.hash}, zset ${got.zset} elements; string ${got.string} bytes, base64 ${got.stringBase64 ? 'yes' : 'no'}, SHA-256 ${got.stringSha256Ok ? 'matches' : 'differs'}  ${problems.length ? 'FAIL' : 'PASS'}`);
  for (const p of problems) console.log(`    ${p}`);
  return {
    bytes: size,
    devNull: { seconds: devnull.seconds, cpu: devnull.cpu, rssMB: devnull.rssMB, ok: rssOk(devnull) },
    piped: { seconds: piped.seconds, cpu: piped.cpu, rssMB: piped.rssMB, ok: rssOk(piped) },
    output: got,
    problems,
    ok: rssOk(devnull) && rssOk(piped) && problems.length === 0,
  };
}

// ---- main ------------------------------------------------------------------

fs.mkdirSync(dataDir, { recursive: true });
const results = { date: new Date().toISOString(), machine, runs: RUNS, quick };
try {
  const build = await prepareBuild();
  results.mixed = await mixedBench(build);
  const json = results.mixed.rows.find((r) => r.id === 'json');
  if (json && json.mbPerSec < JSON_MBPS_EXPECTED) {
    console.log(`note: rdbkit json runs at ${json.mbPerSec.toFixed(0)} MB/s, below ${JSON_MBPS_EXPECTED} MB/s; see where the time goes with`);
    console.log(`  node bench/profile.mjs ${path.relative(root, path.join(dataDir, results.mixed.file))} json\n`);
  }
  if (!quick) {
    results.huge = await hugeBench(build);
    if (!results.huge.ok) process.exitCode = 1;
  }
} catch (e) {
  results.failure = e.message;
  console.error(`\nBENCH FAILED: ${e.message}`);
  if (!(e instanceof BenchFailure)) console.error(e.stack);
  process.exitCode = 1;
} finally {
  machine.loadAtEnd = load();
  const out = path.join(dataDir, quick ? 'results-quick.json' : 'results.json');
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`results: ${path.relative(root, out)}`);
}
