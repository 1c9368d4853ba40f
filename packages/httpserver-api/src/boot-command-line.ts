// Rewriting the command line of the osv-ts image on vblk0 (OSv's osv::set_cmdline writes it at
// offset 512 of /dev/vblk0; `POST /os/cmdline`). An osv-ts image keeps its command line in the
// boot partition (MBR entry 0, type 0xda) that `osv build` writes and the VMM's firmware reads
// (packages/vmm/src/firmware/boot-record.ts, where the layout is documented): a 4096-byte header
// "OSVTBOOT", version, header bytes, then (offset, bytes) u64 pairs for the kernel (16), the
// command line (32), the bootfs (48) and, from version 2, the identity (64). The guest cannot
// import the VMM (it sits above it), so the few fields it needs are read here, with the same
// checks readBootRecord makes, and the command line is rewritten in place: new bytes into the
// area the record already reserves for it (up to the next section), then the new length.
import { Errno, KernelError, type BlockDevice } from '@osv-ts/kernel-api';
import { parseMbr } from '@osv-ts/drivers-virtio';

const BOOT_PARTITION_TYPE = 0xda;
const MAGIC = 'OSVTBOOT';
const HEADER_BYTES = 4096;
const VERSIONS = [1, 2];
const SECTION_FIELDS = [16, 32, 48, 64] as const;
const CMDLINE_FIELD = 32;

export class NoBootRecordError extends KernelError {
  constructor(detail: string) {
    super(Errno.ENODEV, detail);
  }
}

function readAligned(disk: BlockDevice, offset: number, bytes: number): Uint8Array {
  const s = disk.sectorSizeBytes;
  const start = Math.floor(offset / s) * s;
  const end = Math.ceil((offset + bytes) / s) * s;
  const buf = new Uint8Array(end - start);
  disk.read(start, buf);
  return buf.subarray(offset - start, offset - start + bytes);
}

/**
 * Writes `cmdline` as the command line of the boot record on `disk`, so that the next
 * `osv run -i` of that image boots with it. Throws NoBootRecordError when the disk carries no
 * osv-ts boot record, KernelError(ENOSPC) when the command line does not fit the area the
 * record reserves, and the device's KernelError (EROFS for a read-only image, EIO) when writing fails.
 */
export function writeBootCommandLine(disk: BlockDevice, cmdline: string): void {
  const sector0 = readAligned(disk, 0, 512);
  const boot = parseMbr(sector0, Math.floor(disk.sizeBytes / 512)).find(
    (p) => p.index === 0 && p.type === BOOT_PARTITION_TYPE,
  );
  if (!boot) throw new NoBootRecordError(`${disk.name} has no osv-ts boot partition (MBR entry 0, type 0xda)`);
  const base = boot.startSector * 512;
  const size = boot.sectors * 512;
  if (size < HEADER_BYTES) throw new NoBootRecordError(`${disk.name}: boot partition smaller than its header`);
  const header = readAligned(disk, base, HEADER_BYTES).slice();
  const v = new DataView(header.buffer);
  const magic = new TextDecoder().decode(header.subarray(0, 8));
  if (magic !== MAGIC) throw new NoBootRecordError(`${disk.name}: the boot partition is not an osv-ts boot record`);
  const version = v.getUint32(8, true);
  if (!VERSIONS.includes(version) || v.getUint32(12, true) !== HEADER_BYTES)
    throw new NoBootRecordError(`${disk.name}: boot record version ${version}, this kernel writes 1 and 2`);
  const sections = SECTION_FIELDS.slice(0, version === 1 ? 3 : 4).map((field) => {
    const offset = Number(v.getBigUint64(field, true));
    const bytes = Number(v.getBigUint64(field + 8, true));
    if (!Number.isSafeInteger(offset + bytes) || offset < HEADER_BYTES || offset + bytes > size)
      throw new NoBootRecordError(`${disk.name}: boot record field ${field}: ${offset}+${bytes} outside the partition`);
    return { field, offset };
  });
  const area = sections.find((x) => x.field === CMDLINE_FIELD)!.offset;
  if (area % disk.sectorSizeBytes !== 0)
    throw new NoBootRecordError(`${disk.name}: the command line at ${area} is not sector aligned`);
  // The area ends where the next section starts (writeBootRecord pads each to 4 KiB).
  const next = Math.min(size, ...sections.filter((x) => x.offset > area).map((x) => x.offset));
  const bytes = new TextEncoder().encode(cmdline);
  if (bytes.length > next - area)
    throw new KernelError(
      Errno.ENOSPC,
      `the image's command-line area holds ${next - area} bytes; this command line is ${bytes.length}`,
    );
  const s = disk.sectorSizeBytes;
  const padded = new Uint8Array(Math.min(next - area, Math.ceil(Math.max(bytes.length, 1) / s) * s));
  padded.set(bytes);
  // The bytes first, then the length that makes them the command line: a failure between the
  // two leaves a length that still lies inside the area, which the firmware's checks accept.
  disk.write(base + area, padded);
  disk.flush();
  v.setBigUint64(CMDLINE_FIELD + 8, BigInt(bytes.length), true);
  disk.write(base, header.subarray(0, Math.max(s, 512)));
  disk.flush();
}
