import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'node/index': 'src/node/index.ts',
    'cli/main': 'src/cli/main.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' }, compilerOptions: { types: ['node'] } },
  tsconfig: 'tsconfig.node.json',
  target: 'node20',
  sourcemap: false,
  clean: true,
  splitting: false,
  treeshake: true,
});
