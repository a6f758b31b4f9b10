import { defineConfig } from 'tsup';
import { libraryOptions } from '../../tooling/tsup.config.js';

export default defineConfig([
  // shims: the report locates uPlot with import.meta.url, which the CommonJS build must emulate.
  { ...libraryOptions, shims: true },
  // The executable is ESM only: it uses top-level await and is never required.
  { entry: ['src/bin.ts'], format: ['esm'], target: 'node20', sourcemap: true, dts: false, clean: false },
]);
