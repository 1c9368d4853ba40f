// Finds the MBR partitions of a disk and wraps each as a BlockDevice named the OSv way.
import type { BlockDevice } from '@osv-ts/kernel-api';
import { MBR_BYTES, parseMbr } from './mbr.js';
import { PartitionBlockDevice } from './partition-device.js';

export function scanPartitions(disk: BlockDevice): PartitionBlockDevice[] {
  if (disk.sizeBytes < MBR_BYTES) return [];
  const sector0 = new Uint8Array(MBR_BYTES);
  disk.read(0, sector0);
  const sector = disk.sectorSizeBytes;
  return parseMbr(sector0, Math.floor(disk.sizeBytes / 512)).map(
    (p) =>
      new PartitionBlockDevice(
        `${disk.name}.${p.index}`,
        disk,
        p.startSector * 512,
        p.sectors * 512 - ((p.sectors * 512) % sector),
      ),
  );
}
