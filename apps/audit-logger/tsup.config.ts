import { defineConfig } from 'tsup';

// A private app: ESM only. The detection worker is its own entry: the plugin starts it by file.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts', 'src/detection-worker.ts'],
  format: ['esm'],
  target: 'node20',
  sourcemap: true,
  dts: { entry: 'src/index.ts' },
  clean: true,
});
