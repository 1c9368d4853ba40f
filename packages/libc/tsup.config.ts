import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

export default defineConfig(
  packageConfig({
    index: 'src/index.ts',
    'wasi-fs-module': 'src/wasi-fs-module.ts',
    'wasi-sockets-module': 'src/wasi-sockets-module.ts',
    'posix-sockets-module': 'src/posix-sockets-module.ts',
  }),
);
