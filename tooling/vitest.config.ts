// Shared by every package (each package's vitest.config.ts re-exports it).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CI runs packages in parallel on two cores: allow slow property and fleet tests.
    testTimeout: 120_000,
    coverage: { provider: 'v8', include: ['src/**'] },
  },
});
