import { mergeConfig } from 'vitest/config';
import { baseTestConfig } from '../../vitest.base.js';

// Packing and installing every package happens once per run (test/global-setup.ts), shared by
// the test files through inject('project').
export default mergeConfig(baseTestConfig, { test: { globalSetup: ['test/global-setup.ts'] } });
