// Shared by every package (each package's tsup.config.ts re-exports it): ESM and CommonJS with
// type declarations for both, for Node 20.
import { defineConfig, type Options } from 'tsup';

export const libraryOptions: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // Members marked @internal (for this repository's tests) are not part of the published types.
  dts: { compilerOptions: { stripInternal: true } },
  sourcemap: true,
  clean: true,
  target: 'node20',
};

export default defineConfig(libraryOptions);
