/**
 * The built package as users get it: ESM and CommonJS entry points, the
 * `rdbkit/node` subpath, and type declarations next to each.
 */
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const sample = new Uint8Array(readFileSync(path.join(root, 'fixtures/sample.rdb')));

describe('published package', () => {
  it('every export path exists, types first', () => {
    for (const [sub, conds] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (typeof conds === 'string') continue;
      for (const kind of ['import', 'require'] as const) {
        const c = (conds as Record<string, Record<string, string>>)[kind]!;
        expect(Object.keys(c)[0], `${sub} ${kind}`).toBe('types');
        for (const f of Object.values(c)) expect(existsSync(path.join(root, f)), f).toBe(true);
      }
    }
    expect(existsSync(path.join(root, pkg.bin.rdbkit))).toBe(true);
    // None at all: the command's argument parser is bundled into it.
    expect(pkg.dependencies ? Object.keys(pkg.dependencies) : []).toEqual([]);
    expect(pkg.files).toContain('THIRD-PARTY-NOTICES.md');
  });

  it('ESM and CommonJS builds decode the sample the same way', async () => {
    const esm = await import(path.join(root, 'dist/index.js'));
    const cjs = createRequire(import.meta.url)(path.join(root, 'dist/index.cjs'));
    const keysOf = (m: typeof esm): number => [...m.parseRdbSync(sample)].filter((e: { type: string }) => e.type === 'key').length;
    expect(keysOf(esm)).toBe(14);
    expect(keysOf(cjs)).toBe(14);
    const node = await import(path.join(root, 'dist/node/index.js'));
    let n = 0;
    for await (const ev of node.parseRdbFile(path.join(root, 'fixtures/sample.rdb'))) if (ev.type === 'key') n++;
    expect(n).toBe(14);
  });

  it('the command compiles from its code caches, one for each way the launcher runs it', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/rdbkit.js'), ...args], { encoding: 'utf8', env: { ...process.env, RDBKIT_CODE_CACHE: 'report' } });
    // resp runs in the launcher's process, json in a second one with a heap limit.
    for (const cmd of ['resp', 'json']) {
      const r = run([cmd, path.join(root, 'fixtures/sample.rdb')]);
      expect(r.status).toBe(0);
      expect(r.stderr, cmd).toBe('rdbkit: code cache used\n');
    }
  });

  it('the command bundle imports no package: only Node and its own files', () => {
    const code = readFileSync(path.join(root, 'dist/cli/main.cjs'), 'utf8');
    const specs = [...code.matchAll(/^import [^'"\n]*['"]([^'"]+)['"]|require(?:\$1)?\(["']([^"']+)["']\)/gm)].map((m) => m[1] ?? m[2]!);
    expect(specs.length).toBeGreaterThan(0);
    for (const s of specs) expect(s, s).toMatch(/^(node:)?(fs|fs\/promises|path|module|worker_threads|os|events|child_process|process|url|util|stream)$|^\.\//);
    // The launcher reads the bundle as latin1: outside comments it must be ASCII (esbuild escapes strings).
    const nonAscii = code.split('\n').filter((l) => /[^\x00-\x7f]/.test(l) && !/^\s*(\/\*\*|\*|\/\/)/.test(l));
    expect(nonAscii).toEqual([]);
    // And it runs with no node_modules at all.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rdbkit-bare-'));
    try {
      cpSync(path.join(root, 'bin'), path.join(dir, 'bin'), { recursive: true });
      cpSync(path.join(root, 'dist'), path.join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      const run = (env: Record<string, string> = {}) =>
        spawnSync(process.execPath, [path.join(dir, 'bin/rdbkit.js'), 'json', path.join(root, 'fixtures/sample.rdb')], { encoding: 'utf8', env: { ...process.env, RDBKIT_CODE_CACHE: 'report', ...env } });
      const r = run();
      expect(r.stderr).toBe('rdbkit: code cache used\n');
      expect(r.status).toBe(0);
      const want = r.stdout;
      expect(want.split('\n').filter((l) => l.startsWith('{')).length).toBe(14);
      // Without the cache, the same output.
      expect(run({ RDBKIT_CODE_CACHE: '0' }).stdout).toBe(want);
      // A cache of other bytes: V8 refuses it, and the command still works.
      const cli = path.join(dir, 'dist/cli');
      const cache = path.join(cli, 'main.cjs.heap.cache');
      const stamp = statSync(cache).mtime;
      writeFileSync(cache, Buffer.alloc(readFileSync(cache).length, 7));
      utimesSync(cache, stamp, stamp);
      const bad = run();
      expect(bad.stderr).toBe('rdbkit: code cache rejected\n');
      expect(bad.stdout).toBe(want);
      // An edit of the code, even of the same length, makes the cache older than it: not used.
      const code = path.join(cli, 'main.cjs');
      const text = readFileSync(code, 'utf8');
      expect(text).toContain('Read Redis and Valkey');
      writeFileSync(code, text.replace('Read Redis and Valkey', 'Read Redis and VALKEY'));
      const edited = run({ RDBKIT_CODE_CACHE: 'report' });
      expect(edited.stderr).toBe('rdbkit: code cache not found\n');
      expect(edited.stdout).toBe(want);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the core bundle imports nothing from Node', () => {
    const code = readFileSync(path.join(root, 'dist/index.js'), 'utf8');
    expect(code).not.toMatch(/from ["']node:|require\(["']node:|from ["'](fs|path|buffer|stream)["']/);
    expect(code).not.toMatch(/\bBuffer\./);
  });
});
