// CPU profile of one run, summarised by self time:
//   node bench/profile.mjs FILE [json|verify|info|resp] [--top N]
//   node bench/profile.mjs FILE worker:MODE [--top N]   (MODE: decode, json, crc, ... of bench/worker.mjs)
// Runs `node --cpu-prof bin/rdbkit.js CMD FILE -o /dev/null` (with the heap
// limit the CLI would choose, so it does not re-run itself and the profile is
// of the process doing the work), or the in-process worker, then prints the
// functions with the most self time, the same grouped by source file, and the
// GC share. Bundled dist/ files are mapped back to their src/ module.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const argv = process.argv.slice(2);
const topArg = argv.indexOf('--top');
const top = topArg >= 0 ? Number(argv.splice(topArg, 2)[1]) : 25;
const [file, cmd = 'json'] = argv;
if (!file) {
  console.error('usage: node bench/profile.mjs FILE [json|verify|info|resp] [--top N]');
  process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdbkit-prof-'));
const args = cmd.startsWith('worker:')
  ? ['--cpu-prof', '--cpu-prof-dir', dir, path.join(here, 'worker.mjs'), cmd.slice(7), file]
  : ['--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', dir, '--max-old-space-size=1024', path.join(root, 'bin/rdbkit.js'), cmd, file];
if (cmd === 'json' || cmd === 'resp' || cmd === 'rdb') args.push('-o', '/dev/null');
const t = process.hrtime.bigint();
const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const wall = Number(process.hrtime.bigint() - t) / 1e9;
if (r.status !== 0) throw new Error(`rdbkit ${cmd} exited with ${r.status}`);
const profFile = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(fs.readFileSync(path.join(dir, profFile), 'utf8'));
fs.rmSync(dir, { recursive: true, force: true });

console.log(summarise(profile, { top, title: `rdbkit ${cmd} ${path.basename(file)}: ${wall.toFixed(2)} s wall` }));

/** Self time per function (summed over all call sites) from a .cpuprofile. */
export function summarise(profile, { top = 25, title = '' } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const modules = new Map(); // bundled file → sorted [line, src module] from tsup's `// src/...` markers
  const moduleOf = (file, line) => {
    if (!file.startsWith('dist/')) return file;
    if (!modules.has(file)) {
      const marks = [];
      try {
        fs.readFileSync(path.join(root, file), 'utf8').split('\n').forEach((l, i) => {
          if (/^\/\/ src\//.test(l)) marks.push([i + 1, l.slice(3)]);
        });
      } catch {}
      modules.set(file, marks);
    }
    let m = file;
    for (const [at, name] of modules.get(file)) if (at <= line) m = name;
    return m;
  };
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  }
  const fns = new Map();
  const files = new Map();
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(root + '/', '') : '';
    const mod = file ? moduleOf(file, cf.lineNumber + 1) : '';
    const name = `${cf.functionName || '(anonymous)'}  ${file ? `${mod} (${file}:${cf.lineNumber + 1})` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    const group = mod || cf.functionName;
    files.set(group, (files.get(group) ?? 0) + us);
  }
  const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines = [title, `sampled ${(total / 1e6).toFixed(2)} s`, '', 'self time by function:'];
  for (const [name, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${ms(us)} ${pct(us)}  ${name}`);
  lines.push('', 'self time by source module:');
  for (const [name, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`${ms(us)} ${pct(us)}  ${name}`);
  return lines.join('\n');
}
