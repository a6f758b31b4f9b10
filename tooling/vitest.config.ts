// Shared by every package (each package's vitest.config.ts re-exports it).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CI runs packages in parallel on two cores: allow slow property and fleet tests, and fleet
    // set-ups in beforeAll hooks (the default 10 s hook limit failed under a parallel run).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    coverage: { provider: 'v8', include: ['src/**'] },
  },
});
