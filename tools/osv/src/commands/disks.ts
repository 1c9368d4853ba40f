// The disks of `osv run` (--disk IMAGE[,ro][,share-rw], --rootfs-image, -i IMAGE): opened and
// locked as QEMU does (@osv-ts/vmm's openDiskBackend), all or none. A disk another VM holds, or
// a qcow2 image that cannot be written, is a DiskOpenFailure: one line, exit status 1.
import { DiskLockedError, DiskLockError, Qcow2Error, openDiskBackend, type DiskFormat } from '@osv-ts/vmm';
import type { BlockBackend } from '@osv-ts/drivers-virtio';
import { UsageError, type DiskSpec } from './run-options.js';

/** A disk that cannot be used as asked, for a reason outside the command line. */
export class DiskOpenFailure extends Error {
  override readonly name = 'DiskOpenFailure';
}

/** The one line for an image another process holds (or that cannot be locked); undefined for other errors. */
export function lockRefusal(e: unknown): string | undefined {
  return e instanceof DiskLockedError || e instanceof DiskLockError ? e.message : undefined;
}

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
        const refused = lockRefusal(e);
        if (refused !== undefined) throw new DiskOpenFailure(refused);
        if (e instanceof Qcow2Error) throw new DiskOpenFailure(`${option} ${spec.path}: ${e.message}`);
        throw new UsageError(`${option} ${spec.path}: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    for (const d of open) d.backend.close?.();
    throw e;
  }
  return open;
}
