// Opens a disk image file for a VM by its contents: qcow2 (by magic) or raw, locked as QEMU
// locks images (disk-lock.ts) unless asked not to: a writer has the image to itself.
import { closeSync, openSync } from 'node:fs';
import { NodeImageFile } from './image-file.js';
import { Qcow2Image } from './qcow2/qcow2-image.js';
import { Qcow2Backend } from './qcow2/qcow2-backend.js';
import { RawFileBackend } from './raw-file-backend.js';
import { lockDiskImage } from './disk-lock.js';
import type { BlockBackend } from '@osv-ts/drivers-virtio';

export type DiskFormat = 'raw' | 'qcow2';

export interface DiskOpenOptions {
  /** Open for reading only (the guest sees a read-only disk). */
  readonly readOnly?: boolean;
  /** Let other VMs write the image while this one has it (QEMU's share-rw=on). */
  readonly shareWrite?: boolean;
  /** Take QEMU's image locks (default true). */
  readonly lock?: boolean;
}

export function detectDiskFormat(path: string): DiskFormat {
  const f = NodeImageFile.open(path, true);
  try {
    return Qcow2Image.detect(f) ? 'qcow2' : 'raw';
  } finally {
    f.close();
  }
}

export function openDiskBackend(
  path: string,
  options: DiskOpenOptions = {},
): { backend: BlockBackend; format: DiskFormat } {
  const readOnly = options.readOnly ?? false;
  const format = detectDiskFormat(path);
  const fd = openSync(path, readOnly ? 'r' : 'r+');
  try {
    if (options.lock ?? true) lockDiskImage(fd, path, { readOnly, shareWrite: options.shareWrite ?? false });
    if (format === 'qcow2')
      return {
        backend: new Qcow2Backend(Qcow2Image.open(NodeImageFile.fromFd(path, fd, readOnly), readOnly)),
        format,
      };
    return { backend: RawFileBackend.fromFd(path, fd, readOnly), format };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
