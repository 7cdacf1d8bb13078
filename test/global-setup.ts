/**
 * Builds the package before the tests when dist/ is missing or older than
 * src/, so that CLI tests run the real `rdbkit` binary.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const root = path.resolve(__dirname, '..');
  const bin = path.join(root, 'dist/cli/main.cjs');
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest(path.join(root, 'src'))) return;
  execFileSync(process.execPath, [path.join(root, 'node_modules/tsup/dist/cli-default.js')], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [path.join(root, 'scripts/code-cache.mjs')], { cwd: root, stdio: 'inherit' });
}
