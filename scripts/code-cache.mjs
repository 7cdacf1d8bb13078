// Makes dist/cli/main.cjs.cache and main.cjs.heap.cache, the V8 code caches
// bin/rdbkit.js compiles the CLI with (npm run build runs this after tsup):
// the first for commands that run in the launcher's process, the second for
// those it starts again with a heap limit (V8 takes a cache only under the
// flags it was made with). Each run below loads the cache the previous one
// of its kind wrote and adds the functions it compiled, so a cache holds what
// the common commands use. A failed run only means a smaller cache; the
// command works without one.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/rdbkit.js');
const dir = path.join(root, 'dist/cli');
const fixture = path.join(root, 'fixtures/encodings-7.0.rdb');
const aof = path.join(root, 'fixtures/aof/multipart-resp-ts');
for (const f of readdirSync(dir)) if (/^main\.cjs\..*cache$/.test(f)) rmSync(path.join(dir, f));
const runs = [
  ['json', fixture, '-o', '/dev/null'],
  ['rdb', fixture, '-o', '/dev/null', '--rdb-version', '9', '--lossy'],
  ['resp', '--restore', fixture, '-o', '/dev/null'],
  ['resp', fixture, '-o', '/dev/null'],
  ['resp', aof, '-o', '/dev/null'],
  ['verify', fixture],
  ['info', fixture],
];
for (const args of runs) {
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, RDBKIT_CODE_CACHE_WRITE: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) console.error(`code-cache: rdbkit ${args.join(' ')} failed (${r.stderr?.toString().trim()}); the cache has less in it`);
}
