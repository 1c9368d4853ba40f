// The qcow2 header (QEMU docs/interop/qcow2.txt), versions 2 and 3, big-endian. Parsing checks
// every field a reader relies on against the file size and the format's limits and throws a
// FormatError naming the field and its offset. Not supported (rejected): encryption, backing
// files, external data files, compression types other than zlib, extended L2 entries.
import { FormatError } from '@osv-ts/kernel-api';

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
export const QCOW2_V3_HEADER_BYTES = 104;
export const QCOW2_V2_HEADER_BYTES = 72;

export interface Qcow2Header {
  version: number;
  backingFileOffset: bigint;
  backingFileSize: number;
  clusterBits: number;
  sizeBytes: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: bigint;
  incompatibleFeatures: bigint;
  compatibleFeatures: bigint;
  autoclearFeatures: bigint;
  refcountOrder: number;
  headerLength: number;
}

/** Bits 9..55 of an L1/L2 entry hold the host offset. */
export const OFFSET_MASK = 0x00fffffffffffe00n;
export const QCOW_OFLAG_COPIED = 1n << 63n;
export const QCOW_OFLAG_COMPRESSED = 1n << 62n;
export const QCOW_OFLAG_ZERO = 1n;

const fail = (field: string, offset: number, detail: string): never => {
  throw new FormatError('qcow2', field, offset, detail);
};

export function parseQcow2Header(bytes: Uint8Array, fileSizeBytes: number): Qcow2Header {
  if (bytes.length < QCOW2_V2_HEADER_BYTES) fail('header', 0, `${bytes.length} bytes, need ${QCOW2_V2_HEADER_BYTES}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0) !== QCOW2_MAGIC) fail('magic', 0, `0x${v.getUint32(0).toString(16)} is not QFI\\xfb`);
  const version = v.getUint32(4);
  if (version !== 2 && version !== 3) fail('version', 4, `${version}, only 2 and 3 exist`);
  const v3 = version === 3;
  if (v3 && bytes.length < QCOW2_V3_HEADER_BYTES)
    fail('header', 0, `${bytes.length} bytes, version 3 needs ${QCOW2_V3_HEADER_BYTES}`);
  const h: Qcow2Header = {
    version,
    backingFileOffset: v.getBigUint64(8),
    backingFileSize: v.getUint32(16),
    clusterBits: v.getUint32(20),
    sizeBytes: 0,
    cryptMethod: v.getUint32(32),
    l1Size: v.getUint32(36),
    l1TableOffset: 0,
    refcountTableOffset: 0,
    refcountTableClusters: v.getUint32(56),
    nbSnapshots: v.getUint32(60),
    snapshotsOffset: v.getBigUint64(64),
    incompatibleFeatures: v3 ? v.getBigUint64(72) : 0n,
    compatibleFeatures: v3 ? v.getBigUint64(80) : 0n,
    autoclearFeatures: v3 ? v.getBigUint64(88) : 0n,
    refcountOrder: v3 ? v.getUint32(96) : 4,
    headerLength: v3 ? v.getUint32(100) : QCOW2_V2_HEADER_BYTES,
  };
  // qcow2.txt: cluster_bits must be 9..21 (QEMU's limits: 512 B to 2 MiB clusters).
  if (h.clusterBits < 9 || h.clusterBits > 21) fail('cluster_bits', 20, `${h.clusterBits} outside 9..21`);
  const clusterBytes = 2 ** h.clusterBits;
  const size = v.getBigUint64(24);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) fail('size', 24, `${size} too large`);
  h.sizeBytes = Number(size);
  if (h.backingFileOffset !== 0n) fail('backing_file_offset', 8, 'backing files are not supported');
  if (h.cryptMethod !== 0) fail('crypt_method', 32, `${h.cryptMethod}: encrypted images are not supported`);
  if (h.incompatibleFeatures !== 0n)
    fail(
      'incompatible_features',
      72,
      `0x${h.incompatibleFeatures.toString(16)}: unknown or unsupported (dirty, corrupt, external data, compression type, extended L2)`,
    );
  if (h.refcountOrder > 6) fail('refcount_order', 96, `${h.refcountOrder} > 6`);
  if (v3 && (h.headerLength < QCOW2_V3_HEADER_BYTES || h.headerLength > clusterBytes || h.headerLength % 8 !== 0)) {
    fail('header_length', 100, `${h.headerLength}`);
  }
  const l2Entries = clusterBytes / 8;
  const needL1 = Math.ceil(h.sizeBytes / (clusterBytes * l2Entries));
  if (h.l1Size < needL1) fail('l1_size', 36, `${h.l1Size} entries cannot map ${h.sizeBytes} bytes (need ${needL1})`);
  const l1Offset = v.getBigUint64(40);
  const rtOffset = v.getBigUint64(48);
  h.l1TableOffset = checkTable('l1_table_offset', 40, l1Offset, h.l1Size * 8, clusterBytes, fileSizeBytes);
  if (h.refcountTableClusters === 0) fail('refcount_table_clusters', 56, '0');
  h.refcountTableOffset = checkTable(
    'refcount_table_offset',
    48,
    rtOffset,
    h.refcountTableClusters * clusterBytes,
    clusterBytes,
    fileSizeBytes,
  );
  return h;
}

function checkTable(
  field: string,
  at: number,
  offset: bigint,
  bytes: number,
  clusterBytes: number,
  fileSize: number,
): number {
  if (offset % BigInt(clusterBytes) !== 0n) fail(field, at, `0x${offset.toString(16)} is not cluster-aligned`);
  if (offset === 0n && bytes > 0) fail(field, at, '0 (the header cluster)');
  if (offset + BigInt(bytes) > BigInt(fileSize))
    fail(field, at, `table 0x${offset.toString(16)}+${bytes} beyond the file (${fileSize} bytes)`);
  return Number(offset);
}

export function writeQcow2Header(h: Qcow2Header): Uint8Array {
  const out = new Uint8Array(QCOW2_V3_HEADER_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, QCOW2_MAGIC);
  v.setUint32(4, 3);
  v.setBigUint64(8, 0n);
  v.setUint32(16, 0);
  v.setUint32(20, h.clusterBits);
  v.setBigUint64(24, BigInt(h.sizeBytes));
  v.setUint32(32, 0);
  v.setUint32(36, h.l1Size);
  v.setBigUint64(40, BigInt(h.l1TableOffset));
  v.setBigUint64(48, BigInt(h.refcountTableOffset));
  v.setUint32(56, h.refcountTableClusters);
  v.setUint32(60, 0);
  v.setBigUint64(64, 0n);
  v.setBigUint64(72, 0n);
  v.setBigUint64(80, 0n);
  v.setBigUint64(88, 0n);
  v.setUint32(96, h.refcountOrder);
  v.setUint32(100, QCOW2_V3_HEADER_BYTES);
  return out;
}
