import { defineConfig } from 'tsup';

// A private app: ESM only, with the executable and the library entry (tests and benchmarks use it).
export default defineConfig({
  entry: ['src/index.ts', 'src/main.ts'],
  format: ['esm'],
  target: 'node20',
  sourcemap: true,
  dts: true,
  clean: true,
});
