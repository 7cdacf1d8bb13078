// npm run bench [-- --quick] [-- --mb N] [-- --regen] [-- --runs N] [-- --side-rounds N] [-- --no-snapshot]
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
import { AOF_GEN, HUGE_GEN, MIXED_GEN, cli, makeAof, makeHuge, makeMixed, withServer } from './generate.mjs';
import { JsonlCounter, recordKey } from './jsonl-count.mjs';
import { RespCounter } from './resp-count.mjs';

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
  console.error(`bench: ${msg}\nusage: npm run bench -- [--quick] [--mb N] [--runs N] [--side-rounds N] [--regen] [--no-snapshot]`);
  process.exit(2);
}
for (const a of argv) if (a.startsWith('--') && !['--quick', '--regen', '--mb', '--runs', '--side-rounds', '--no-snapshot'].includes(a)) usage(`unknown option ${a}`);
const quick = flag('--quick');
const regen = flag('--regen');
const mb = value('--mb', quick ? 20 : 150);
const RUNS = value('--runs', 3);
/** Rounds of the side-by-side comparison of rdbkit resp and redis-check-rdb. */
const SIDE_ROUNDS = value('--side-rounds', 21);
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
// under bench/data/, inside the repository, beside the same node_modules.
const useSnapshot = !flag('--no-snapshot');
const snapRoot = path.join(dataDir, 'build');
const built = () => ['dist/index.js', 'dist/node/index.js', 'dist/cli/main.cjs'].every((f) => fs.existsSync(path.join(root, f)));

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
      // Keep the mtimes: the launcher uses the V8 code cache only when it is not
      // older than the bundle, and a plain copy can write them in either order.
      fs.cpSync(path.join(root, 'dist'), path.join(snapRoot, 'dist'), { recursive: true, preserveTimestamps: true });
      for (const f of ['rdbkit.js', 'package.json']) fs.copyFileSync(path.join(root, 'bin', f), path.join(snapRoot, 'bin', f));
      const bin = path.join(snapRoot, 'bin/rdbkit.js');
      const r = spawnSync(process.execPath, [bin, '--version']);
      if (r.status === 0) {
        // A build whose code cache is not used measures slower start-ups than users get.
        const c = spawnSync(process.execPath, [bin, '--version'], { env: { ...process.env, RDBKIT_CODE_CACHE: 'report' } });
        const state = /code cache (\w+( \w+)?)/.exec(c.stderr.toString())?.[1] ?? 'unknown';
        if (state !== 'used') console.log(`warning: the snapshot's V8 code cache is ${state}; start-up times include compiling the CLI`);
        return { dist: path.join(snapRoot, 'dist'), bin };
      }
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
 * under GNU time when there is one. `onData` may return a promise: the output
 * is paused until it settles. Resolves to { seconds, rssMB }.
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
        const wait = onData(d);
        if (wait) {
          // the consumer is behind (e.g. redis-cli --pipe): hold the output until it drains
          child.stdout.pause();
          wait.then(() => child.stdout.resume(), (e) => {
            failed = e;
            child.kill();
            child.stdout.resume();
          });
        }
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

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * Streams `rdbkit resp ARGS` through a RespCounter (complete RESP arrays of
 * bulk strings, nothing after the last CRLF) and into `redis-cli --pipe` on
 * `port`, which must report no errors and one reply per command. Resolves to
 * the counter's { commands, byName, bytes }.
 */
async function respInto(port, bin, args) {
  const counter = new RespCounter({ annotations: false });
  const rc = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  rc.stdout.on('data', (d) => (out += d));
  rc.stderr.on('data', (d) => (out += d));
  rc.stdin.on('error', () => {}); // shows in the exit status and output
  const rcDone = new Promise((resolve) => rc.on('close', (code) => resolve(code)));
  await streamProcess(process.execPath, [bin, 'resp', ...args], (buf) => {
    counter.push(buf);
    if (!rc.stdin.write(buf)) return Promise.race([new Promise((r) => rc.stdin.once('drain', r)), rcDone]);
  });
  rc.stdin.end();
  const code = await rcDone;
  const counts = counter.end();
  check(code === 0 && /errors: 0,/.test(out), `redis-cli --pipe of rdbkit resp ${args.join(' ')}: ${out.trim()}`);
  const replies = Number(/replies: (\d+)/.exec(out)?.[1]);
  check(replies === counts.commands, `redis-cli --pipe got ${replies} replies to the ${counts.commands} commands of rdbkit resp ${args.join(' ')}`);
  return counts;
}

/** DEBUG DIGEST of the server after loading `rdbFile` (DEBUG RELOAD NOSAVE of a symlink to it). */
function digestOfRdb(port, dir, rdbFile) {
  const link = path.join(dir, 'dump.rdb');
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.resolve(rdbFile), link);
  const r = cli(port, 'DEBUG', 'RELOAD', 'NOSAVE').trim();
  check(r === 'OK', `DEBUG RELOAD of ${path.basename(rdbFile)}: ${r}`);
  return cli(port, 'DEBUG', 'DIGEST').trim();
}

const dbsize = (port) => Number(cli(port, 'DBSIZE').trim());

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

async function ensureAof() {
  const dir = path.join(dataDir, `aof-${mb}`);
  let want = regen ? null : sidecar(dir, AOF_GEN);
  if (!want) {
    console.log(`generating ${path.basename(dir)}/ (a multi-part AOF of about ${mb} MiB) with redis-server ${redisVersion}…`);
    const t = Date.now();
    want = await makeAof(dir, mb);
    console.log(`  done in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  }
  return { dir, want };
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

  // Conversions: RESP (plain commands, RESTORE) and a new RDB file.
  const resp = measureProcess(node, [bin, 'resp', file, '-o', '/dev/null']);
  rows.push({ id: 'resp', name: 'rdbkit resp FILE -o /dev/null', seconds: resp.seconds, cpu: resp.cpu, rssMB: resp.rssMB, keys });
  const restore = measureProcess(node, [bin, 'resp', '--restore', file, '-o', '/dev/null']);
  rows.push({ id: 'resp-restore', name: 'rdbkit resp --restore FILE -o /dev/null', seconds: restore.seconds, cpu: restore.cpu, rssMB: restore.rssMB, keys });
  const outRdb = path.join(dataDir, `out-${process.pid}.rdb`);
  const conversions = {};
  try {
    const rdb = measureProcess(node, [bin, 'rdb', file, '-o', outRdb]);
    rows.push({ id: 'rdb', name: 'rdbkit rdb FILE -o TMP.rdb', seconds: rdb.seconds, cpu: rdb.cpu, rssMB: rdb.rssMB, keys });
    conversions.rdbBytes = fs.statSync(outRdb).size;
    if (checker) {
      const c = spawnSync('redis-check-rdb', [outRdb], { maxBuffer: 1 << 26 }).stdout.toString();
      const n = Number(/(\d+) keys read/.exec(c)?.[1]);
      check(/RDB looks OK/.test(c) && n === keys, `redis-check-rdb on rdbkit rdb's output: ${n} keys (want ${keys}): ${c.split('\n').slice(-6).join(' | ')}`);
    }
    // The outputs' contents: a server loading each must hold what it holds
    // after loading the original dump (DEBUG DIGEST: every key, value and TTL).
    await withServer({ 'enable-debug-command': 'yes' }, async (port, dir) => {
      const t = Date.now();
      const digest = digestOfRdb(port, dir, file);
      check(dbsize(port) === keys, `redis-server loaded ${dbsize(port)} keys from ${path.basename(file)}, want ${keys}`);
      const rdbDigest = digestOfRdb(port, dir, outRdb);
      check(rdbDigest === digest, `rdbkit rdb's output loads with DEBUG DIGEST ${rdbDigest}, the original with ${digest}`);
      fs.rmSync(outRdb, { force: true });
      cli(port, 'FLUSHALL');
      conversions.resp = await respInto(port, bin, [file]);
      const respDigest = cli(port, 'DEBUG', 'DIGEST').trim();
      check(respDigest === digest, `rdbkit resp FILE | redis-cli --pipe: DEBUG DIGEST ${respDigest}, the original's ${digest} (${dbsize(port)} keys, want ${keys})`);
      cli(port, 'FLUSHALL');
      conversions.restore = await respInto(port, bin, ['--restore', file]);
      const restoreDigest = cli(port, 'DEBUG', 'DIGEST').trim();
      check(restoreDigest === digest, `rdbkit resp --restore FILE | redis-cli --pipe: DEBUG DIGEST ${restoreDigest}, the original's ${digest} (${dbsize(port)} keys, want ${keys})`);
      conversions.digest = digest;
      conversions.checkSeconds = (Date.now() - t) / 1000;
    });
  } finally {
    fs.rmSync(outRdb, { force: true });
  }
  const fmt = (c) => `${c.commands} commands (${Object.entries(c.byName).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} ${n}`).join(', ')}…), ${(c.bytes / 1e6).toFixed(1)} MB`;
  console.log(`  rdbkit resp: ${fmt(conversions.resp)}; --restore: ${fmt(conversions.restore)}; rdb: ${(conversions.rdbBytes / 1e6).toFixed(1)} MB`);
  console.log(`  loaded into redis-server (rdb by DEBUG RELOAD, resp by redis-cli --pipe): DEBUG DIGEST ${conversions.digest} as the original (checks took ${conversions.checkSeconds.toFixed(0)} s)\n`);

  for (const r of rows) {
    if (r.noRate) continue;
    r.mbPerSec = MB / r.seconds;
    if (r.keys) r.keysPerSec = r.keys / r.seconds;
    r.vsFloor = floor.seconds / r.seconds;
    if (checker) r.vsCheckRdb = checker.seconds / r.seconds;
  }
  printTable(rows);
  console.log('all results checked: key, expiry and type/encoding counts, CRC, JSON lines and bytes,');
  console.log('redis-check-rdb on the rdb output, and DEBUG DIGEST of the rdb and resp outputs loaded into redis-server\n');
  const sideBySide = checker ? headToHead(node, [bin, 'resp', file, '-o', '/dev/null'], 'redis-check-rdb', [file]) : null;
  return { file: path.basename(file), bytes: size, keys, expires: want.expires, encodings: serverTally, conversions, rows, sideBySide };
}

/**
 * rdbkit resp and redis-check-rdb on the same file, one run of each in turn
 * for SIDE_ROUNDS rounds: the machine's slow phases (seconds long here) then
 * fall on both alike, which best-of-3 lines measured one after the other
 * cannot promise. Prints and returns the minimum and median of each.
 */
function headToHead(cmdA, argsA, cmdB, argsB) {
  const a = [];
  const b = [];
  for (let i = 0; i < SIDE_ROUNDS; i++) {
    a.push(runOnce(cmdA, argsA).seconds);
    b.push(runOnce(cmdB, argsB).seconds);
  }
  const stat = (xs) => {
    const v = [...xs].sort((x, y) => x - y);
    const mid = v.length >> 1;
    return { min: v[0], median: v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2 };
  };
  const A = stat(a);
  const B = stat(b);
  console.log(`side by side, ${SIDE_ROUNDS} rounds taking turns (min / median):`);
  console.log(`  rdbkit resp FILE -o /dev/null   ${A.min.toFixed(3)} / ${A.median.toFixed(3)} s`);
  console.log(`  redis-check-rdb FILE            ${B.min.toFixed(3)} / ${B.median.toFixed(3)} s`);
  console.log(`  rdbkit resp at ${(B.min / A.min).toFixed(2)}× redis-check-rdb's speed at the minimum, ${(B.median / A.median).toFixed(2)}× at the median\n`);
  return { rounds: SIDE_ROUNDS, resp: { ...A, runs: a }, checkRdb: { ...B, runs: b } };
}

function printTable(rows, { rate = 'keys/s', ref = ['× check-rdb', 'vsCheckRdb'], ranges = 'floor … decode + JsonlWriter are timed inside their process', reference = 'redis-check-rdb' } = {}) {
  const f = (n, d = 1) => (n === null || n === undefined ? '—' : n.toFixed(d));
  const cols = [
    ['measurement', 42, (r) => r.name, 'left'],
    ['time s', 8, (r) => f(r.seconds, 3)],
    ['cpu s', 7, (r) => f(r.cpu, 2)],
    ['MB/s', 8, (r) => f(r.mbPerSec)],
    [rate, 11, (r) => (r.keysPerSec ? f(r.keysPerSec, 0) : '')],
    ['× floor', 8, (r) => f(r.vsFloor, 2)],
    [ref[0], 12, (r) => f(r[ref[1]], 2)],
    ['peak RSS MB', 12, (r) => f(r.rssMB, 0)],
  ];
  const line = (cells) => cells.map((c, i) => (cols[i][3] === 'left' ? c.padEnd(cols[i][1]) : c.padStart(cols[i][1]))).join(' ');
  console.log(line(cols.map((c) => c[0])));
  console.log(line(cols.map((c) => '-'.repeat(c[1]))));
  for (const r of rows) console.log(line(cols.map((c) => c[2](r))));
  console.log(`× = speed relative to that line (time ratio). ${ranges}`);
  console.log(`(start-up excluded); the rdbkit and ${reference} lines time the whole process (start-up included).`);
}

// ---- the AOF directory -----------------------------------------------------

/** The INCR parts read with the independent RespCounter: what rdbkit must count. */
function splitParts(dir, parts) {
  const counter = new RespCounter();
  const buf = Buffer.alloc(1 << 20);
  for (const p of parts) {
    const fd = fs.openSync(path.join(dir, p.file), 'r');
    try {
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) counter.push(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
  }
  return counter.end();
}

const sameCounts = (a, b) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

async function aofBench(build) {
  const { dir, want } = await ensureAof();
  const manifest = path.join(dir, 'appendonly.aof.manifest');
  for (const p of want.parts) check(fs.statSync(path.join(dir, p.file)).size === p.bytes, `${p.file} changed size since it was made`);
  const size = want.parts.reduce((n, p) => n + p.bytes, 0);
  const MB = size / 1e6;
  const incr = want.parts.filter((p) => p.type === 'i');

  // What the INCR parts hold, by a splitter that is not rdbkit's, against
  // what the generator sent after the rewrite: every command is propagated
  // (each one changes something), EXPIRE as PEXPIREAT (SET … EX/PX keeps its
  // name, with PXAT), plus the SELECTs the server writes.
  const t = Date.now();
  const split = splitParts(dir, incr);
  const splitSeconds = (Date.now() - t) / 1000;
  const { SELECT: selects = 0, ...nonSelect } = split.byName;
  const sentAsStored = Object.fromEntries(Object.entries(want.sentAfterBase.byName).map(([k, n]) => [k === 'EXPIRE' ? 'PEXPIREAT' : k, n]));
  check(sameCounts(nonSelect, sentAsStored), `the INCR parts hold ${JSON.stringify(nonSelect)} besides SELECT; the generator sent ${JSON.stringify(sentAsStored)} after the rewrite`);
  const commands = split.commands;
  const records = want.baseKeys + commands; // JSON lines: one per base key, one per command
  console.log(`${path.basename(dir)}/: ${MB.toFixed(1)} MB in ${want.parts.length} parts (written by redis-server ${want.server.version}):`);
  for (const p of want.parts) console.log(`  ${p.file.padEnd(28)} ${(p.bytes / 1e6).toFixed(1).padStart(6)} MB`);
  console.log(`  base: ${want.baseKeys} keys; INCR parts: ${commands} commands (${selects} SELECT, ${split.byName.MULTI ?? 0} MULTI/EXEC blocks), ${split.annotations} #TS annotations`);
  console.log(`  (counted by bench/resp-count.mjs in ${splitSeconds.toFixed(1)} s; equal to what the generator sent after the rewrite)\n`);

  const rows = [];
  const bin = build.bin;
  const node = process.execPath;

  const floor = measureWorker(build, 'floor', dir);
  check(floor.result.bytes === size, `floor read ${floor.result.bytes} bytes, the parts hold ${size}`);
  rows.push({ id: 'floor', name: 'floor: read all parts, touch nothing', seconds: floor.seconds, cpu: floor.cpu, rssMB: floor.rssMB });

  const verify = measureProcess(node, [bin, 'verify', dir]);
  check(
    verify.stdout.startsWith('OK ') && verify.stdout.includes(`with ${want.baseKeys} keys, ${commands} commands, ${split.annotations} annotations`),
    `rdbkit verify says: ${verify.stdout.trim()}; want ${want.baseKeys} keys, ${commands} commands, ${split.annotations} annotations`,
  );
  rows.push({ id: 'verify', name: 'rdbkit verify DIR', seconds: verify.seconds, cpu: verify.cpu, rssMB: verify.rssMB, keys: records });

  let checker = null;
  if (have('redis-check-aof')) {
    checker = measureProcess('redis-check-aof', [manifest]);
    check(/All AOF files and manifest are valid/.test(checker.stdout), `redis-check-aof did not accept the AOF: ${checker.stdout.slice(-500)}`);
    rows.push({ id: 'redis-check-aof', name: 'redis-check-aof MANIFEST (C, reference)', seconds: checker.seconds, cpu: checker.cpu, rssMB: checker.rssMB, keys: records });
  } else console.log('  redis-check-aof not found: no reference line');

  const info = measureProcess(node, [bin, 'info', '--json', dir]);
  const report = JSON.parse(info.stdout);
  check(report.aof?.commands === commands, `rdbkit info counts ${report.aof?.commands} commands, the splitter ${commands}`);
  check(sameCounts(report.aof.byName, split.byName), `rdbkit info's commands by name ${JSON.stringify(report.aof.byName)} differ from the splitter's ${JSON.stringify(split.byName)}`);
  check(report.aof.annotations === split.annotations, `rdbkit info counts ${report.aof.annotations} annotations, the splitter ${split.annotations}`);
  check(report.aof.transactions === (split.byName.MULTI ?? 0), `rdbkit info counts ${report.aof.transactions} transactions, the splitter ${split.byName.MULTI ?? 0} MULTI`);
  check(report.keys === want.baseKeys, `rdbkit info reports ${report.keys} base keys, the server held ${want.baseKeys} at the rewrite`);
  const partsSeen = report.aof.parts.map((p) => `${p.file} ${p.role}`).join(', ');
  const partsWant = want.parts.map((p) => `${p.file} ${p.type === 'b' ? 'base' : 'incr'}`).join(', ');
  check(partsSeen === partsWant, `rdbkit info lists the parts ${partsSeen}; the manifest ${partsWant}`);
  check(report.aof.parts.reduce((n, p) => n + p.commands, 0) === commands, `rdbkit info's commands per part do not add up to ${commands}`);
  rows.push({ id: 'info', name: 'rdbkit info --json DIR', seconds: info.seconds, cpu: info.cpu, rssMB: info.rssMB, keys: records });

  const json = measureProcess(node, [bin, 'json', dir, '-o', '/dev/null']);
  rows.push({ id: 'json', name: 'rdbkit json DIR -o /dev/null', seconds: json.seconds, cpu: json.cpu, rssMB: json.rssMB, keys: records });
  let lines = 0;
  let jsonBytes = 0;
  await streamProcess(node, [bin, 'json', dir], (buf) => {
    jsonBytes += buf.length;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) lines++;
  });
  check(lines === records, `rdbkit json wrote ${lines} lines, want ${records} (${want.baseKeys} base keys + ${commands} commands)`);

  const resp = measureProcess(node, [bin, 'resp', dir, '-o', '/dev/null']);
  rows.push({ id: 'resp', name: 'rdbkit resp DIR -o /dev/null', seconds: resp.seconds, cpu: resp.cpu, rssMB: resp.rssMB, keys: records });

  // rdbkit resp DIR replayed into a fresh server must give the digest of the
  // server that wrote the AOF.
  let replay = null;
  await withServer({ 'enable-debug-command': 'yes' }, async (port) => {
    const t0 = Date.now();
    const counts = await respInto(port, bin, [dir]);
    const digest = cli(port, 'DEBUG', 'DIGEST').trim();
    check(digest === want.server.digest, `rdbkit resp DIR | redis-cli --pipe: DEBUG DIGEST ${digest}, the writing server's ${want.server.digest}`);
    replay = { ...counts, digest, seconds: (Date.now() - t0) / 1000 };
  });
  console.log(`  rdbkit json: ${lines} lines, ${(jsonBytes / 1e6).toFixed(1)} MB; rdbkit resp: ${replay.commands} commands, ${(replay.bytes / 1e6).toFixed(1)} MB`);
  console.log(`  rdbkit resp DIR | redis-cli --pipe into a fresh server: DEBUG DIGEST ${replay.digest}, the writing server's (${replay.seconds.toFixed(0)} s)\n`);

  for (const r of rows) {
    r.mbPerSec = MB / r.seconds;
    if (r.keys) r.keysPerSec = r.keys / r.seconds;
    r.vsFloor = floor.seconds / r.seconds;
    if (checker) r.vsCheckAof = checker.seconds / r.seconds;
  }
  printTable(rows, { rate: 'recs/s', ref: ['× check-aof', 'vsCheckAof'], ranges: 'floor is timed inside its process', reference: 'redis-check-aof' });
  console.log(`recs = records: base keys + AOF commands (${records}), the lines rdbkit json writes`);
  console.log('all results checked: commands by name and annotations against an independent splitter and the generator, base keys,');
  console.log("parts, JSON lines, and DEBUG DIGEST of rdbkit resp's output replayed into redis-server\n");
  return {
    dir: path.basename(dir),
    bytes: size,
    parts: want.parts,
    baseKeys: want.baseKeys,
    commands,
    byName: split.byName,
    annotations: split.annotations,
    records,
    jsonLines: lines,
    jsonBytes,
    replay,
    rows,
  };
}

// ---- the memory check ------------------------------------------------------

async function hugeBench(build) {
  const { file, want } = await ensureHuge();
  const size = fs.statSync(file).size;
  console.log(`huge.rdb: ${(size / 1e6).toFixed(0)} MB — ${want.list} list elements, ${want.set} set members, ${want.hash} hash fields, ${want.zset} zset members, ${want.string} B string`);
  // 1. peak RSS with output discarded
  const devnull = runOnce(process.execPath, [build.bin, 'json', file, '-o', '/dev/null']);
  // 1b. rdbkit resp (values element by element through the decoder's sink), beside redis-check-rdb reading the same file
  const respNull = runOnce(process.execPath, [build.bin, 'resp', file, '-o', '/dev/null']);
  const checkRdb = spawnSync('sh', ['-c', 'command -v redis-check-rdb']).status === 0 ? runOnce('redis-check-rdb', [file]) : null;
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
  console.log(`  rdbkit resp huge.rdb -o /dev/null   ${respNull.seconds.toFixed(2)} s, ${(size / 1e6 / respNull.seconds).toFixed(1)} MB/s, peak RSS ${f(respNull.rssMB)} MB  ${rssOk(respNull) ? 'PASS' : 'FAIL'}`);
  if (checkRdb) console.log(`  redis-check-rdb huge.rdb            ${checkRdb.seconds.toFixed(2)} s, ${(size / 1e6 / checkRdb.seconds).toFixed(1)} MB/s (resp: ${(checkRdb.seconds / respNull.seconds).toFixed(2)}× its speed)`);
  console.log(`  output: ${got.records} records; list ${got.list}, set ${got.set}, hash ${got.hash}, zset ${got.zset} elements; string ${got.string} bytes, base64 ${got.stringBase64 ? 'yes' : 'no'}, SHA-256 ${got.stringSha256Ok ? 'matches' : 'differs'}  ${problems.length ? 'FAIL' : 'PASS'}`);
  for (const p of problems) console.log(`    ${p}`);
  return {
    bytes: size,
    devNull: { seconds: devnull.seconds, cpu: devnull.cpu, rssMB: devnull.rssMB, ok: rssOk(devnull) },
    piped: { seconds: piped.seconds, cpu: piped.cpu, rssMB: piped.rssMB, ok: rssOk(piped) },
    resp: { seconds: respNull.seconds, cpu: respNull.cpu, rssMB: respNull.rssMB, ok: rssOk(respNull) },
    redisCheckRdb: checkRdb ? { seconds: checkRdb.seconds } : null,
    output: got,
    problems,
    ok: rssOk(devnull) && rssOk(piped) && rssOk(respNull) && problems.length === 0,
  };
}

// ---- main ------------------------------------------------------------------

fs.mkdirSync(dataDir, { recursive: true });
const results = { date: new Date().toISOString(), machine, runs: RUNS, quick };
try {
  const build = await prepareBuild();
  results.mixed = await mixedBench(build);
  results.aof = await aofBench(build);
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
