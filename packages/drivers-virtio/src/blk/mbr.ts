// The MBR partition table (the classic PC layout): four 16-byte entries at 0x1be and the
// 0x55 0xAA signature at 0x1fe. Naming follows OSv (fs/devfs/device.cc): entry i (0-based) with
// a non-zero type and start becomes `<disk>.<i>`, so OSv's usr.img filesystem (entry 1) is
// `vblk0.1`. Extended partitions and GPT are not read.
import { FormatError } from '@osv-ts/kernel-api';

export const MBR_BYTES = 512;
export const MBR_TABLE_OFFSET = 0x1be;
export const MBR_ENTRY_BYTES = 16;
export const MBR_SIGNATURE_OFFSET = 0x1fe;

export interface MbrPartition {
  /** 0-based entry index (OSv's partition number). */
  readonly index: number;
  readonly bootable: boolean;
  readonly type: number;
  readonly startSector: number;
  readonly sectors: number;
}

/** True when the sector carries the 55 AA signature. */
export function hasMbrSignature(sector0: Uint8Array): boolean {
  return (
    sector0.length >= MBR_BYTES && sector0[MBR_SIGNATURE_OFFSET] === 0x55 && sector0[MBR_SIGNATURE_OFFSET + 1] === 0xaa
  );
}

/**
 * The used entries of an MBR; [] without a signature. An entry that reaches past the disk
 * (`diskSectors`) is a FormatError naming it.
 */
export function parseMbr(sector0: Uint8Array, diskSectors = Number.MAX_SAFE_INTEGER): MbrPartition[] {
  if (sector0.length < MBR_BYTES)
    throw new FormatError('mbr', 'sector 0', 0, `${sector0.length} bytes, need ${MBR_BYTES}`);
  if (!hasMbrSignature(sector0)) return [];
  const v = new DataView(sector0.buffer, sector0.byteOffset, MBR_BYTES);
  const out: MbrPartition[] = [];
  for (let i = 0; i < 4; i++) {
    const at = MBR_TABLE_OFFSET + i * MBR_ENTRY_BYTES;
    const status = v.getUint8(at);
    const type = v.getUint8(at + 4);
    const startSector = v.getUint32(at + 8, true);
    const sectors = v.getUint32(at + 12, true);
    if (type === 0 || startSector === 0) continue;
    if (status !== 0 && status !== 0x80)
      throw new FormatError('mbr', `entry ${i} status`, at, `0x${status.toString(16)} is neither 0 nor 0x80`);
    if (startSector + sectors > diskSectors) {
      throw new FormatError(
        'mbr',
        `entry ${i} extent`,
        at + 8,
        `sectors ${startSector}+${sectors} beyond the disk's ${diskSectors}`,
      );
    }
    out.push({ index: i, bootable: status === 0x80, type, startSector, sectors });
  }
  return out;
}
