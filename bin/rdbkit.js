#!/usr/bin/env node
// The rdbkit command. Streaming keeps the live heap small, but V8 lets
// garbage grow towards its heap limit (several GB on large machines) before
// collecting it; a 1 GiB old-space limit keeps peak RSS flat (measured:
// 215 MB → 150 MB on the huge-values benchmark). When nobody chose a limit,
// this launcher starts node once more with one — before loading the CLI
// bundle, so the extra start-up costs a bare node start (~0.1 s), not two
// bundle loads. verify, info and plain resp build no values: they run in this process.
//
// The CLI's code (dist/cli/main.cjs) is compiled with the V8 code cache made
// after the build (scripts/code-cache.mjs), when it is not older than the
// code: the functions a run uses are then not compiled again (measured on a
// tiny dump: ~15-20 ms of every start). Node 20 has no compile
// cache for ES modules, hence CommonJS through vm.Script. RDBKIT_CODE_CACHE=0
// compiles without it; with RDBKIT_CODE_CACHE_WRITE=1 the run writes the
// cache at its end: what was loaded from it and what the run compiled.
// CommonJS (bin/package.json), and Node's modules required only where used:
// an ES-module entry and the eager imports cost ~15 ms of every start (measured).
'use strict';
const { readFileSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

function loadCli() {
  const file = join(__dirname, '../dist/cli/main.cjs');
  // The bundle is ASCII (esbuild escapes the rest): read as latin1, a one-byte string without UTF-8 decoding.
  const source = readFileSync(file, 'latin1');
  // V8 takes a cache only under the flags it was made with: one for plain runs,
  // one for the heap limit below. It checks only the code's length, so a cache
  // older than the code (an edit, or a build without scripts/code-cache.mjs) is
  // not used: compiling without one is slower, never wrong.
  const flags = process.execArgv.join(' ');
  const kind = flags === '' ? '' : flags === `--max-old-space-size=${HEAP_MB}` ? '.heap' : null;
  const cacheFile = kind === null ? null : `${file}${kind}.cache`;
  let cachedData;
  if (cacheFile !== null && process.env.RDBKIT_CODE_CACHE !== '0') {
    try {
      if (statSync(cacheFile).mtimeMs >= statSync(file).mtimeMs) cachedData = readFileSync(cacheFile);
    } catch {
      // no cache: compile as usual
    }
  }
  const { Script } = require('node:vm');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (process.env.RDBKIT_CODE_CACHE === 'report') process.stderr.write(`rdbkit: code cache ${cachedData === undefined ? 'not found' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  if (cacheFile !== null && process.env.RDBKIT_CODE_CACHE_WRITE === '1') process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require('node:module').createRequire(file), module, file, dirname(file));
}

const HEAP_MB = 1024;

/**
 * The second start's environment. Without NODE_EXTRA_CA_CERTS: node reads
 * and parses those certificates at every start (~45 ms for a system bundle,
 * measured), and the command opens no network connection.
 */
function childEnv() {
  const env = { ...process.env, RDBKIT_NO_REEXEC: '1' };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}
const args = process.argv.slice(2);
const chosen =
  process.execArgv.some((a) => a.startsWith('--max-old-space-size')) || (process.env.NODE_OPTIONS ?? '').includes('--max-old-space-size');
// resp without --restore writes values element by element through the decoder's sink and makes little garbage (huge.rdb: peak RSS 126 MB without the limit).
const light =
  args[0] === 'verify' || args[0] === 'info' || (args[0] === 'resp' && !args.includes('--restore')) ||
  args.length === 0 || args.includes('--help') || args.includes('-h') || args.includes('--version') || args.includes('-V');
if (light || chosen || process.env.RDBKIT_NO_REEXEC || require('node:v8').getHeapStatistics().heap_size_limit <= (HEAP_MB + 512) * 1048576) {
  loadCli();
} else {
  const child = require('node:child_process').spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${HEAP_MB}`, process.argv[1], ...args], {
    stdio: 'inherit',
    env: childEnv(),
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, as a shell expects (status 128 + n): without our handler first.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    else process.exit(code ?? 1);
  });
}
