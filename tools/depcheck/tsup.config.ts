import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

export default defineConfig(
  packageConfig({ index: 'src/index.ts', cli: 'src/cli.ts' }, { platform: 'node', external: ['typescript'] }),
);
