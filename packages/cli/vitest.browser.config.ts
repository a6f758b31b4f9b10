import { defineConfig } from 'vitest/config';

// The report in a real browser (headless Chromium at CHROMIUM_PATH or /usr/bin/chromium); CI
// installs Debian's chromium and runs this with `pnpm test:browser`.
export default defineConfig({
  test: { include: ['test-browser/**/*.test.ts'], testTimeout: 120_000 },
});
