// An osv-ts disk image: MBR in sector 0, the boot partition (entry 0: kernel bundle, command
// line, bootfs) from 1 MiB, and the file-system partition (entry 1, so the kernel names it
// vblk0.1 as OSv does) after it, every partition 1 MiB aligned. Written raw (sparse: all-zero
// MiBs are skipped) or as qcow2 (only non-zero clusters are stored), with progress per MiB.
import { NodeImageFile, Qcow2Image, BOOT_PARTITION_TYPE, FS_PARTITION_TYPE } from '@osv-ts/vmm';
import { writeMbr } from './mbr-writer.js';
import { yieldToEventLoop } from './host-files.js';

const MIB = 1024 * 1024;
/** An MBR's LBA fields are 32 bits: partitions end below 2 TiB. */
export const MAX_DISK_BYTES = 2 ** 32 * 512;
const alignMiB = (n: number): number => Math.ceil(n / MIB) * MIB;

export interface DiskLayout {
  readonly totalBytes: number;
  readonly boot: { readonly startBytes: number; readonly sizeBytes: number };
  readonly fs: { readonly startBytes: number; readonly sizeBytes: number } | undefined;
}

export function planDisk(bootBytes: number, fsBytes: number, minFsBytes = 0): DiskLayout {
  const boot = { startBytes: MIB, sizeBytes: alignMiB(bootBytes) };
  const fsSize = alignMiB(Math.max(fsBytes, minFsBytes));
  const fs = fsSize > 0 ? { startBytes: boot.startBytes + boot.sizeBytes, sizeBytes: fsSize } : undefined;
  return { totalBytes: fs ? fs.startBytes + fs.sizeBytes : boot.startBytes + boot.sizeBytes, boot, fs };
}

export type ImageFormat = 'raw' | 'qcow2';

export interface WriteDiskOptions {
  readonly format: ImageFormat;
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/**
 * Writes the image to `path` (a new, empty file); returns the layout used. Yields to the event
 * loop between MiBs, so a Ctrl-C handler can remove a half-written file.
 */
export async function writeDiskImage(
  path: string,
  bootRecord: Uint8Array,
  fsImage: Uint8Array,
  options: WriteDiskOptions,
  minFsBytes = 0,
): Promise<DiskLayout> {
  const layout = planDisk(bootRecord.length, fsImage.length, minFsBytes);
  const entries = [
    {
      index: 0,
      type: BOOT_PARTITION_TYPE,
      startSector: layout.boot.startBytes / 512,
      sectors: layout.boot.sizeBytes / 512,
      bootable: true,
    },
  ];
  if (layout.fs)
    entries.push({
      index: 1,
      type: FS_PARTITION_TYPE,
      startSector: layout.fs.startBytes / 512,
      sectors: layout.fs.sizeBytes / 512,
      bootable: false,
    });
  const mbr = writeMbr(entries, 0x4f535654); // "TVSO": a fixed disk signature keeps builds reproducible
  const pieces: [number, Uint8Array][] = [
    [0, mbr],
    [layout.boot.startBytes, bootRecord],
  ];
  if (layout.fs) pieces.push([layout.fs.startBytes, fsImage]);
  const file = NodeImageFile.open(path);
  try {
    const total = pieces.reduce((n, [, d]) => n + d.length, 0);
    let done = 0;
    const qcow2 = options.format === 'qcow2' ? Qcow2Image.create(file, layout.totalBytes) : undefined;
    for (const [offset, data] of pieces) {
      for (let at = 0; at < data.length; at += MIB) {
        const chunk = data.subarray(at, Math.min(data.length, at + MIB));
        if (qcow2) writeNonZero(qcow2, offset + at, chunk);
        else if (chunk.some((b) => b !== 0)) file.write(offset + at, chunk); // a new file reads zero: stay sparse
        done += chunk.length;
        options.onProgress?.(done, total);
        await yieldToEventLoop();
      }
    }
    if (!qcow2 && file.sizeBytes() < layout.totalBytes) file.write(layout.totalBytes - 1, new Uint8Array(1)); // full size, sparse
    file.sync();
  } finally {
    file.close();
  }
  return layout;
}

/** Stores only the 64 KiB pieces that hold a non-zero byte: the rest reads as zeroes anyway. */
function writeNonZero(img: Qcow2Image, offset: number, data: Uint8Array): void {
  const step = img.clusterBytes;
  for (let at = 0; at < data.length;) {
    const inCluster = (offset + at) % step;
    const n = Math.min(step - inCluster, data.length - at);
    const piece = data.subarray(at, at + n);
    if (piece.some((b) => b !== 0)) img.write(offset + at, piece);
    at += n;
  }
}
