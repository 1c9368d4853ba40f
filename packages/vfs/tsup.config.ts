import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

export default defineConfig(
  packageConfig({
    index: 'src/index.ts',
    'rofs-writer': 'src/rofs-writer.ts',
    bootfs: 'src/bootfs.ts',
    manifest: 'src/manifest.ts',
    'vfs-module': 'src/vfs-module.ts',
    'rofs-module': 'src/rofs-module.ts',
    'virtiofs-module': 'src/virtiofs-module.ts',
  }),
);
