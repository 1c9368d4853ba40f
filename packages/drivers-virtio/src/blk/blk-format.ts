// virtio-blk wire format (virtio 1.2 §5.2): feature bits, the device configuration layout,
// request types and status codes, and the discard/write-zeroes segment. Layout only; the
// device model and the driver hold the behaviour.

/** §5.2.3 feature bits. */
export const BlkFeature = {
  SIZE_MAX: 1n,
  SEG_MAX: 2n,
  GEOMETRY: 4n,
  RO: 5n,
  BLK_SIZE: 6n,
  FLUSH: 9n,
  TOPOLOGY: 10n,
  CONFIG_WCE: 11n,
  MQ: 12n,
  DISCARD: 13n,
  WRITE_ZEROES: 14n,
} as const;

/** §5.2.4 struct virtio_blk_config: byte offsets of the fields. */
export const BlkConfig = {
  capacity: 0, // le64, in 512-byte sectors
  sizeMax: 8, // le32
  segMax: 12, // le32
  geometryCylinders: 16, // le16
  geometryHeads: 18, // u8
  geometrySectors: 19, // u8
  blkSize: 20, // le32
  physicalBlockExp: 24, // u8
  alignmentOffset: 25, // u8
  minIoSize: 26, // le16
  optIoSize: 28, // le32
  writeback: 32, // u8
  numQueues: 34, // le16
  maxDiscardSectors: 36, // le32
  maxDiscardSeg: 40, // le32
  discardSectorAlignment: 44, // le32
  maxWriteZeroesSectors: 48, // le32
  maxWriteZeroesSeg: 52, // le32
  writeZeroesMayUnmap: 56, // u8
  bytes: 60,
} as const;

/** §5.2.6 request types. */
export const BlkRequestType = {
  IN: 0,
  OUT: 1,
  FLUSH: 4,
  GET_ID: 8,
  GET_LIFETIME: 10,
  DISCARD: 11,
  WRITE_ZEROES: 13,
  SECURE_ERASE: 14,
} as const;

/** §5.2.6 status byte values. */
export const BlkStatus = {
  OK: 0,
  IOERR: 1,
  UNSUPP: 2,
} as const;

/** virtio-blk addresses in 512-byte sectors regardless of the logical block size (§5.2.6). */
export const SECTOR_BYTES = 512;
/** struct virtio_blk_req header: le32 type, le32 reserved, le64 sector. */
export const BLK_REQUEST_HEADER_BYTES = 16;
/** §5.2.6: GET_ID returns up to 20 bytes, NUL-padded. */
export const BLK_ID_BYTES = 20;
/** struct virtio_blk_discard_write_zeroes: le64 sector, le32 num_sectors, le32 flags. */
export const BLK_DISCARD_SEGMENT_BYTES = 16;
export const BLK_WRITE_ZEROES_FLAG_UNMAP = 1;
