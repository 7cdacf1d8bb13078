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
    // The command (bin/rdbkit.js) is ESM; its checksum worker is a file of its own beside it.
    ...common,
    entry: {
      'cli/main': 'src/cli/main.ts',
      'cli/crc-worker': 'src/cli/crc-worker.ts',
    },
    format: ['esm'],
    clean: false,
  },
]);
