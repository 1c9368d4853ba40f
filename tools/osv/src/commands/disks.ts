// The disks of `osv run` (--disk IMAGE[,ro][,share-rw], --rootfs-image, -i IMAGE): opened and
// locked as QEMU does (@osv-ts/vmm's openDiskBackend), all or none. A disk another VM holds, a
// qcow2 image that cannot be written, or one that cannot be opened is a CliError: one line
// naming the image, exit status 1.
import { DiskLockedError, DiskLockError, Qcow2Error, openDiskBackend, type DiskFormat } from '@osv-ts/vmm';
import type { BlockBackend } from '@osv-ts/drivers-virtio';
import { CliError, describeSystemError } from '../cli-error.js';
import type { DiskSpec } from './run-options.js';

export interface OpenDisk {
  readonly spec: DiskSpec;
  readonly backend: BlockBackend;
  readonly format: DiskFormat;
}

/** Opens every disk or none: on a failure, the ones already open are closed again. */
export function openDisks(specs: readonly (DiskSpec & { readonly option?: string })[]): OpenDisk[] {
  const open: OpenDisk[] = [];
  try {
    for (const spec of specs) {
      const option = spec.option ?? '--disk';
      try {
        open.push({ spec, ...openDiskBackend(spec.path, { readOnly: spec.readOnly, shareWrite: spec.shareWrite }) });
      } catch (e) {
        // The lock's message names the image and its holder already.
        if (e instanceof DiskLockedError || e instanceof DiskLockError) throw new CliError(e.message);
        if (e instanceof Qcow2Error) throw new CliError(`${option} ${spec.path}: ${e.message}`);
        throw new CliError(`${option} ${spec.path}: ${describeSystemError(e)}`);
      }
    }
  } catch (e) {
    for (const d of open) d.backend.close?.();
    throw e;
  }
  return open;
}
