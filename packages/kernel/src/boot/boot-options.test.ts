// Loader options either act or stop the boot with one line and status 1 (OSv aborts): none is
// silently ignored by a kernel that cannot honour it.
import { describe, expect, it } from 'vitest';
import vfsModule from '@osv-ts/vfs/vfs-module';
import type { KernelModule } from '@osv-ts/kernel-api';
import { writeAndExit } from '../../test/wat.js';
import { runWasm } from '../run-wasm.js';

function boot(loaderOptions: string, modules: KernelModule[] = []): { status: number; out: string; err: string } {
  let out = '';
  let err = '';
  const dec = new TextDecoder();
  const status = runWasm(writeAndExit('ran\n'), {
    loaderOptions,
    modules,
    stdout: (b) => (out += dec.decode(b)),
    stderr: (b) => (err += dec.decode(b)),
  });
  return { status, out, err };
}

describe('loader options the kernel cannot honour stop the boot', () => {
  it.each(['--redirect=/tmp/log', '--cwd=/tmp', '--rootfs=ramfs', '--mount-fs=ramfs,none,/scratch'])(
    '%s without a VFS module',
    (option) => {
      expect(boot(option)).toEqual({
        status: 1,
        out: '',
        err: `${option}: this kernel has no vfs module to honour it. Powering off.\n`,
      });
    },
  );

  it('--tcplisten without a network stack', () => {
    expect(boot('--tcplisten=0.0.0.0:80', [vfsModule])).toEqual({
      status: 1,
      out: '',
      err: '--tcplisten=0.0.0.0:80: this kernel has no netstack module to honour it. Powering off.\n',
    });
  });
});

describe('loader options act', () => {
  it('--cwd must name a directory', () => {
    expect(boot('--cwd=/nonexistent', [vfsModule])).toEqual({
      status: 1,
      out: '',
      err: '--cwd=/nonexistent: ENOENT: /nonexistent. Powering off.\n',
    });
    expect(boot('--cwd=/tmp', [vfsModule])).toEqual({ status: 0, out: 'ran\n', err: '' });
  });

  it('a --mount-fs that fails stops the boot before the app runs (OSv aborts)', () => {
    const r = boot('--mount-fs=rofs,/dev/vblk9,/data', [vfsModule]);
    expect(r).toEqual({
      status: 1,
      out: '',
      err: 'failed to mount /dev/vblk9 on /data: ENODEV: no rofs module is linked into this kernel. Powering off.\n',
    });
    expect(boot('--mount-fs=ramfs,none,/scratch', [vfsModule])).toEqual({ status: 0, out: 'ran\n', err: '' });
  });

  it('--delay waits before the boot goes on', () => {
    const start = performance.now();
    expect(boot('--delay=0.2')).toEqual({ status: 0, out: 'ran\n', err: '' });
    // A lower bound only: a sleep never ends early, however loaded the machine.
    expect(performance.now() - start).toBeGreaterThanOrEqual(200);
  });
});
