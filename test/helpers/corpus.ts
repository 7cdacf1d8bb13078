/**
 * The shared conformance corpus (real dumps from peer projects, described in
 * its MANIFEST.md) lives outside the repository, at `../shared/corpus`
 * relative to the repo root. Tests that use it skip when it is absent.
 * `RDBKIT_CORPUS` may point somewhere else.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (two levels above this file). */
export const repoRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function findCorpus(): string | null {
  const dir = path.resolve(repoRoot, process.env.RDBKIT_CORPUS ?? path.join('..', 'shared', 'corpus'));
  try {
    if (statSync(dir).isDirectory()) return dir;
  } catch {
    /* absent */
  }
  console.warn(`corpus not found at ${dir}: corpus tests are skipped`);
  return null;
}

/** Absolute path of the corpus directory, or null when it does not exist (warned once). */
export const corpusDir: string | null = findCorpus();

export interface CorpusFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the corpus directory, with `/` separators (e.g. `redis/encodings.rdb`). */
  rel: string;
  /** `<file>.expected.json` next to it, when the corpus has one. */
  expectedPath: string | null;
}

/** Every `.rdb` and `.aof` file in the corpus, sorted by `rel`; empty when there is no corpus. */
export function listCorpusFiles(): CorpusFile[] {
  if (corpusDir === null) return [];
  const root = corpusDir;
  const out: CorpusFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.(rdb|aof)$/i.test(entry.name)) {
        const expected = `${full}.expected.json`;
        out.push({
          path: full,
          rel: path.relative(root, full).split(path.sep).join('/'),
          expectedPath: existsSync(expected) ? expected : null,
        });
      }
    }
  };
  walk(root);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}
