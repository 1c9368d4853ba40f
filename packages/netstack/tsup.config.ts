import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

export default defineConfig(
  packageConfig({ index: 'src/index.ts', 'netstack-module': 'src/netstack-module.ts', wire: 'src/wire/index.ts' }),
);
