import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

export default defineConfig(
  packageConfig({
    index: 'src/index.ts',
    'httpserver-module': 'src/httpserver-module.ts',
    'monitoring-module': 'src/monitoring-module.ts',
  }),
);
