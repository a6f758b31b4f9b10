import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../tooling/vitest.config.js';

// The shared configuration, plus a PostgreSQL for the tests of the PostgreSQL store (test/global-setup.ts).
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ['test/global-setup.ts'] } }));
