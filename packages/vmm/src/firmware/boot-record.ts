// The osv-ts boot partition (MBR entry 0 of an image, type 0xda): what the VMM's "firmware"
// loads before the vCPU starts, as OSv's boot16.S loads lzloader.elf and the command line from
// fixed sectors. One header sector, then the kernel bundle (an ES module), the default command
// line, a bootfs image (OSv's bootfs.bin format) and the kernel's identity, each 4 KiB aligned.
//
//   0   magic "OSVTBOOT"          16  u64 kernel offset     24  u64 kernel bytes
//   8   u32 version (2)           32  u64 cmdline offset    40  u64 cmdline bytes
//   12  u32 header bytes (4096)   48  u64 bootfs offset     56  u64 bootfs bytes
//                                 64  u64 identity offset   72  u64 identity bytes
// Little-endian; offsets from the start of the partition. Version 1 had no identity.
//
// The identity (UTF-8 JSON, written and judged by the osv tool's linker) names the modules and
// package versions the kernel was composed from. A VMM must not run the stored bundle: it is
// bytes from the image, and the vCPU worker would run them with every Node API. It composes
// the named kernel from its own installed packages instead (docs/isolation.md).
import { FormatError } from '@osv-ts/kernel-api';

export const BOOT_RECORD_MAGIC = 'OSVTBOOT';
export const BOOT_RECORD_VERSION = 2;
/** Versions readBootRecord accepts (1: no kernel identity). */
const READABLE_VERSIONS = [1, 2];
export const BOOT_RECORD_HEADER_BYTES = 4096;
/** Bound on the identity section: a few hundred bytes of JSON in practice. */
export const MAX_IDENTITY_BYTES = 64 * 1024;
/** MBR partition type of the boot partition ("non-FS data"). */
export const BOOT_PARTITION_TYPE = 0xda;
/** MBR partition type of the file-system partition (Linux). */
export const FS_PARTITION_TYPE = 0x83;

export interface BootRecord {
  /** The kernel bundle as built: kept for inspection and comparison, never run. */
  readonly kernel: Uint8Array;
  readonly cmdline: string;
  readonly bootfs: Uint8Array;
  /** The kernel's identity (JSON text); undefined in a version 1 record. */
  readonly kernelIdentity?: string;
}

const ALIGN = 4096;
const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

export function bootRecordBytes(record: BootRecord): number {
  const cmd = new TextEncoder().encode(record.cmdline);
  const identity = new TextEncoder().encode(record.kernelIdentity ?? '');
  return (
    BOOT_RECORD_HEADER_BYTES +
    align(record.kernel.length) +
    align(cmd.length) +
    align(record.bootfs.length) +
    align(identity.length)
  );
}

export function writeBootRecord(record: BootRecord): Uint8Array {
  const cmd = new TextEncoder().encode(record.cmdline);
  const out = new Uint8Array(bootRecordBytes(record));
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(BOOT_RECORD_MAGIC), 0);
  v.setUint32(8, BOOT_RECORD_VERSION, true);
  v.setUint32(12, BOOT_RECORD_HEADER_BYTES, true);
  let at = BOOT_RECORD_HEADER_BYTES;
  const place = (field: number, data: Uint8Array): void => {
    v.setBigUint64(field, BigInt(at), true);
    v.setBigUint64(field + 8, BigInt(data.length), true);
    out.set(data, at);
    at += align(data.length);
  };
  place(16, record.kernel);
  place(32, cmd);
  place(48, record.bootfs);
  place(64, new TextEncoder().encode(record.kernelIdentity ?? ''));
  return out;
}

/**
 * Parses a boot record; `read(offset, into)` reads the partition. Every offset and length is
 * checked against the partition size before it is read.
 */
export function readBootRecord(
  read: (offsetBytes: number, into: Uint8Array) => void,
  partitionBytes: number,
): BootRecord {
  const fail = (field: string, at: number, detail: string): never => {
    throw new FormatError('osv-ts boot record', field, at, detail);
  };
  if (partitionBytes < BOOT_RECORD_HEADER_BYTES)
    fail('partition', 0, `${partitionBytes} bytes is smaller than the header`);
  const head = new Uint8Array(80);
  read(0, head);
  const v = new DataView(head.buffer);
  const magic = new TextDecoder().decode(head.subarray(0, 8));
  if (magic !== BOOT_RECORD_MAGIC)
    fail('magic', 0, `${JSON.stringify(magic)} is not ${BOOT_RECORD_MAGIC}: not an osv-ts boot partition`);
  const version = v.getUint32(8, true);
  if (!READABLE_VERSIONS.includes(version))
    fail('version', 8, `${version}, this VMM reads ${READABLE_VERSIONS.join(' and ')}`);
  const part = (field: string, at: number): Uint8Array => {
    const offset = v.getBigUint64(at, true);
    const length = v.getBigUint64(at + 8, true);
    if (offset + length > BigInt(partitionBytes) || offset < BigInt(BOOT_RECORD_HEADER_BYTES)) {
      fail(field, at, `${offset}+${length} outside the partition (${partitionBytes} bytes)`);
    }
    const data = new Uint8Array(Number(length));
    read(Number(offset), data);
    return data;
  };
  const kernel = part('kernel', 16);
  const cmdline = new TextDecoder().decode(part('cmdline', 32));
  const bootfs = part('bootfs', 48);
  if (kernel.length === 0) fail('kernel', 24, 'empty kernel');
  if (version === 1) return { kernel, cmdline, bootfs };
  if (v.getBigUint64(72, true) > BigInt(MAX_IDENTITY_BYTES))
    fail('identity', 72, `${v.getBigUint64(72, true)} bytes; an identity is at most ${MAX_IDENTITY_BYTES}`);
  const identity = part('identity', 64);
  if (identity.length === 0) return { kernel, cmdline, bootfs };
  let kernelIdentity: string;
  try {
    kernelIdentity = new TextDecoder('utf-8', { fatal: true }).decode(identity);
  } catch {
    return fail('identity', 64, 'not UTF-8 text');
  }
  return { kernel, cmdline, bootfs, kernelIdentity };
}
