import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../tooling/vitest.config.js';

// The shared configuration, plus a PostgreSQL for the multi-node tests (test/cluster/global-setup.ts).
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ['test/cluster/global-setup.ts'] } }));
