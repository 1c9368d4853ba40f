import { build } from 'esbuild';
import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

// Each device thread is a Worker started from dist/device-thread-entry.js: one self-contained,
// minified file (its own copy of the device models it runs), because a Worker pays for every
// module it loads at start-up, and that start-up competes with the vCPU's on a small machine
// (about 50 ms through the package graph, 35 ms bundled; an empty Worker takes 23 ms).
export default defineConfig(
  packageConfig(
    {
      index: 'src/index.ts',
      'guest-ram-layout': 'src/guest-ram-layout.ts',
      'mmio-trap': 'src/mmio-trap.ts',
      'boot-record': 'src/firmware/boot-record.ts',
      'vcpu-worker': 'src/vcpu-worker.ts',
    },
    {
      platform: 'node',
      onSuccess: async () => {
        // The device thread starts its TAP's reader thread (vhost-net's rx worker) beside it.
        for (const entry of ['device-thread/device-thread-entry', 'net/tap-reader-entry'])
          await build({
            entryPoints: [`src/${entry}.ts`],
            outfile: `dist/${entry.split('/')[1]}.js`,
            bundle: true,
            minify: true,
            sourcemap: true,
            platform: 'node',
            format: 'esm',
            target: 'es2022',
            logLevel: 'warning',
          });
      },
    },
  ),
);
