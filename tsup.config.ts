import { defineConfig } from 'tsup';

const common = { tsconfig: 'tsconfig.node.json', target: 'node20', sourcemap: false, splitting: false, treeshake: true } as const;

export default defineConfig([
  {
    ...common,
    entry: {
      index: 'src/index.ts',
      'node/index': 'src/node/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: { entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' }, compilerOptions: { types: ['node'] } },
    clean: false, // npm run build empties dist/ first: two configs must not clean each other's output
  },
  {
    // The command's code, loaded by bin/rdbkit.js: CommonJS, so that the
    // launcher can compile it through vm.Script with the V8 code cache that
    // scripts/code-cache.mjs makes after the build (Node 20 has no compile
    // cache for ES modules). Its argument parser (commander) is bundled in:
    // resolving and loading it as a package cost ~10 ms of every run's
    // start-up (measured on a tiny dump: 0.154 -> 0.144 s at the minimum of
    // 21 runs). Its license is in THIRD-PARTY-NOTICES.md.
    ...common,
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['cjs'],
    noExternal: ['commander'],
    // import.meta.url (the checksum worker's address) from __filename
    shims: true,
    clean: false,
  },
  {
    // The checksum worker is a file of its own beside the command: CommonJS,
    // so that its start-up skips the ES module loader (measured: rdbkit resp
    // of the bench dump 0.537 -> 0.527 s median of 11).
    ...common,
    entry: { 'cli/crc-worker': 'src/cli/crc-worker.ts' },
    format: ['cjs'],
    clean: false,
  },
]);
