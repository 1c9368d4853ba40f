// Mounting at boot (OSv loader.cc do_main_thread "root mount" + fstab): the root file system
// (--rootfs, else auto-discovery: rofs on /dev/vblk0.1 when a ROFS module and that device are
// linked, otherwise ramfs filled from the bootfs), then devfs on /dev, procfs on /proc, a ramfs
// on /tmp under a read-only root (OSv's fstab_rofs), and every --mount-fs entry. A mount that
// fails stops the boot (OSv aborts): an app must not run without the files it was promised.
// Only types are imported from @osv-ts/vfs: the file systems come from linked modules.
import { Errno, KernelError, type Console, type Entropy } from '@osv-ts/kernel-api';
import type { VfsService } from '@osv-ts/vfs';
import type { ProcInfo } from '@osv-ts/vfs';
import type { LoaderOptions } from '../cmdline/loader-options.js';

/** OSv's root: partition 1 of the first disk; a bare file-system image is the whole disk. */
const ROOT_DEVICES = ['/dev/vblk0.1', '/dev/vblk0'];
const AUTO_ORDER = ['rofs', 'zfs'] as const;

export interface MountContext {
  readonly service: VfsService;
  readonly options: LoaderOptions;
  readonly bootfsImage: Uint8Array;
  readonly entropy: Entropy;
  readonly console?: Console;
  readonly proc: ProcInfo;
  log(text: string): void;
}

/** Returns the stage name for the boot chart (`ROFS mounted`, …). */
export function mountFileSystems(c: MountContext): string {
  const { service, options } = c;
  const { vfs, fsTypes } = service;
  // Without --rootfs only a partitioned disk's vblk0.1 is taken for a root (a bare disk may be a
  // data pool); --rootfs=rofs also takes a whole vblk0 (osv run --rootfs-image).
  const rootDevice = ROOT_DEVICES.find((d) => service.blockDevice(d));
  let rootType = options.nomount ? 'ramfs' : options.rootfs;
  if (rootType === undefined) {
    rootType = (rootDevice === ROOT_DEVICES[0] && AUTO_ORDER.find((t) => fsTypes.has(t))) || 'ramfs';
  }
  const factory = fsTypes.get(rootType);
  if (!factory)
    throw new KernelError(Errno.ENODEV, `--rootfs=${rootType}: no ${rootType} module is linked into this kernel`);
  const source = rootType === 'ramfs' ? 'none' : rootType === 'zfs' ? 'osv/zfs' : (rootDevice ?? ROOT_DEVICES[0]!);
  const root = factory(source);
  const readOnly = rootType === 'rofs' || root.readOnly === true;
  vfs.mountRoot(root, { source, readOnly });
  if (rootType === 'ramfs' && c.bootfsImage.length > 0) service.unpackBootfs(c.bootfsImage);

  const ensureDir = (path: string): boolean => {
    try {
      return vfs.stat(path).type === 2; // VDIR
    } catch {
      if (readOnly) return false;
      vfs.mkdir(path, 0o755);
      return true;
    }
  };
  const exists = (path: string): boolean => {
    try {
      vfs.stat(path);
      return true;
    } catch (e) {
      if (e instanceof KernelError && e.errno === Errno.ENOENT) return false;
      throw e;
    }
  };
  if (ensureDir('/dev'))
    vfs.mount('/dev', service.devfs({ entropy: c.entropy, ...(c.console ? { console: c.console } : {}) }), {
      source: 'none',
    });
  if (ensureDir('/proc')) vfs.mount('/proc', service.procfs(c.proc), { source: 'none' });
  // /tmp: a ramfs under a read-only root (OSv's fstab_rofs); on a writable root, a directory.
  if (ensureDir('/tmp') && readOnly) vfs.mount('/tmp', fsTypes.get('ramfs')!('none'), { source: 'none' });
  for (const m of options.mountFs) {
    const f = fsTypes.get(m.fsType);
    if (!f) throw new MountError(m, new KernelError(Errno.ENODEV, `no ${m.fsType} module is linked into this kernel`));
    try {
      // Made when missing wherever it can be, a read-only root's /tmp (a ramfs) included; on the
      // read-only root itself it must be in the image (EROFS says so).
      if (!exists(m.path)) vfs.mkdir(m.path, 0o755);
      vfs.mount(m.path, f(m.source), { source: m.source });
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      throw new MountError(m, e);
    }
  }
  return rootType === 'ramfs' ? 'VFS initialized' : `${rootType.toUpperCase()} mounted`;
}

/** A --mount-fs entry that could not be mounted; the kernel prints `description` and powers off. */
export class MountError extends KernelError {
  readonly description: string;
  constructor(
    readonly request: { readonly fsType: string; readonly source: string; readonly path: string },
    readonly reason: KernelError,
  ) {
    const description = `failed to mount ${request.source} on ${request.path}: ${reason.message}`;
    super(reason.errno, description);
    this.description = description;
  }
}
