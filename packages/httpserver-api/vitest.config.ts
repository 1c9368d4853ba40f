import { baseTestConfig } from '../../vitest.base.js';

export default baseTestConfig;
