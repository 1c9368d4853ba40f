// Writes a classic MBR (sector 0): four 16-byte entries at 0x1be and 55 AA at 0x1fe. CHS fields
// follow OSv's imgedit.py (63 sectors/track, 255 heads, capped at 1023/254/63 for LBA beyond
// CHS reach); every modern reader, sfdisk included, uses the LBA fields.
import { MBR_BYTES, MBR_ENTRY_BYTES, MBR_SIGNATURE_OFFSET, MBR_TABLE_OFFSET } from '@osv-ts/drivers-virtio';

export interface MbrEntry {
  /** Entry slot 0..3 (OSv names entry i `vblk0.i`). */
  readonly index: number;
  readonly type: number;
  readonly startSector: number;
  readonly sectors: number;
  readonly bootable?: boolean;
}

function chs(lba: number): [number, number, number] {
  const sectorsPerTrack = 63;
  const heads = 255;
  let c = Math.floor(lba / (sectorsPerTrack * heads));
  let h = Math.floor(lba / sectorsPerTrack) % heads;
  let s = (lba % sectorsPerTrack) + 1;
  if (c > 1023) [c, h, s] = [1023, 254, 63];
  return [h, ((c >> 2) & 0xc0) | s, c & 0xff];
}

export function writeMbr(entries: readonly MbrEntry[], diskSignature = 0): Uint8Array {
  const out = new Uint8Array(MBR_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0x1b8, diskSignature >>> 0, true);
  for (const e of entries) {
    if (e.index < 0 || e.index > 3) throw new RangeError(`MBR entry ${e.index} is not 0..3`);
    if (e.startSector + e.sectors > 0xffffffff) throw new RangeError('MBR partitions end below 2 TiB');
    const at = MBR_TABLE_OFFSET + e.index * MBR_ENTRY_BYTES;
    out[at] = e.bootable ? 0x80 : 0;
    out.set(chs(e.startSector), at + 1);
    out[at + 4] = e.type;
    out.set(chs(e.startSector + e.sectors - 1), at + 5);
    v.setUint32(at + 8, e.startSector, true);
    v.setUint32(at + 12, e.sectors, true);
  }
  out[MBR_SIGNATURE_OFFSET] = 0x55;
  out[MBR_SIGNATURE_OFFSET + 1] = 0xaa;
  return out;
}
