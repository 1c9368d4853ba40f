import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

export default defineConfig(
  packageConfig({
    index: 'src/index.ts',
    'console/console-module': 'src/console/console-module.ts',
    'blk/blk-module': 'src/blk/blk-module.ts',
    'rng/rng-module': 'src/rng/rng-module.ts',
    'net/net-module': 'src/net/net-module.ts',
  }),
);
