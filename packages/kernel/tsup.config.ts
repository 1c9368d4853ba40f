import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

export default defineConfig(
  packageConfig({
    index: 'src/index.ts',
    vm: 'src/vm.ts',
    'js-app-module': 'src/js-app-module.ts',
    cmdline: 'src/cmdline.ts',
  }),
);
