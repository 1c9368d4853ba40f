import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

export default defineConfig(
  packageConfig(
    { index: 'src/index.ts', cli: 'src/cli.ts', 'browser-page': 'src/browser/browser-page.ts' },
    { platform: 'node' },
  ),
);
