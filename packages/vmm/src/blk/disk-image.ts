// Opens a disk image file by its contents: qcow2 (by magic) or raw.
import { NodeImageFile } from './image-file.js';
import { Qcow2Image } from './qcow2/qcow2-image.js';
import { Qcow2Backend } from './qcow2/qcow2-backend.js';
import { RawFileBackend } from './raw-file-backend.js';
import type { BlockBackend } from '@osv-ts/drivers-virtio';

export type DiskFormat = 'raw' | 'qcow2';

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
  options: { readOnly?: boolean } = {},
): { backend: BlockBackend; format: DiskFormat } {
  const format = detectDiskFormat(path);
  if (format === 'qcow2')
    return {
      backend: new Qcow2Backend(Qcow2Image.open(NodeImageFile.open(path, options.readOnly), options.readOnly)),
      format,
    };
  return { backend: RawFileBackend.open(path, options.readOnly), format };
}
