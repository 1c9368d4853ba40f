// The VMM's firmware for disk images: opens a raw or qcow2 image, finds the boot partition
// (MBR entry 0, type 0xda) and reads the kernel, command line and bootfs from it.
import { parseMbr, MBR_BYTES } from '@osv-ts/drivers-virtio';
import { FormatError } from '@osv-ts/kernel-api';
import { NodeImageFile } from '../blk/image-file.js';
import { Qcow2Image } from '../blk/qcow2/qcow2-image.js';
import { BOOT_PARTITION_TYPE, readBootRecord, type BootRecord } from './boot-record.js';

export interface LoadedImage extends BootRecord {
  readonly format: 'raw' | 'qcow2';
  readonly diskBytes: number;
  readonly partitions: { index: number; type: number; startBytes: number; sizeBytes: number }[];
  /** The first 512 bytes of the file-system partition (MBR entry 1, vblk0.1), to tell its type; empty without one. */
  readonly fsPartitionHead: Uint8Array;
}

export function loadBootImage(path: string): LoadedImage {
  const file = NodeImageFile.open(path, true);
  try {
    const qcow2 = Qcow2Image.detect(file) ? Qcow2Image.open(file, true) : undefined;
    const diskBytes = qcow2 ? qcow2.sizeBytes : file.sizeBytes();
    const read = (offset: number, into: Uint8Array): void =>
      qcow2 ? qcow2.read(offset, into) : file.read(offset, into);
    const sector0 = new Uint8Array(MBR_BYTES);
    if (diskBytes < MBR_BYTES) throw new FormatError('disk image', 'size', 0, `${diskBytes} bytes: no partition table`);
    read(0, sector0);
    const partitions = parseMbr(sector0, Math.floor(diskBytes / 512)).map((p) => ({
      index: p.index,
      type: p.type,
      startBytes: p.startSector * 512,
      sizeBytes: p.sectors * 512,
    }));
    const boot = partitions.find((p) => p.index === 0 && p.type === BOOT_PARTITION_TYPE);
    if (!boot)
      throw new FormatError(
        'disk image',
        'MBR entry 0',
        0x1be,
        `no osv-ts boot partition (type 0x${BOOT_PARTITION_TYPE.toString(16)}); was it built by osv build?`,
      );
    const record = readBootRecord((o, into) => read(boot.startBytes + o, into), boot.sizeBytes);
    const fs = partitions.find((p) => p.index === 1);
    const fsPartitionHead = new Uint8Array(fs ? Math.min(512, fs.sizeBytes) : 0);
    if (fs) read(fs.startBytes, fsPartitionHead);
    return { ...record, format: qcow2 ? 'qcow2' : 'raw', diskBytes, partitions, fsPartitionHead };
  } finally {
    file.close();
  }
}
