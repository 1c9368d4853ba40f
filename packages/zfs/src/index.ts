// @osv-ts/zfs: public contract.
// Pool and datasets
export { openPool, readDeviceLabels, Pool, SUPPORTED_READ_FEATURES } from './pool/pool.js';
export type { OpenPoolOptions, DeviceLabels } from './pool/pool.js';
export { UnsupportedError } from './pool/vdev.js';
export type { Vdev } from './pool/vdev.js';
export { Arc } from './pool/arc.js';
export { BlockReader } from './pool/block-reader.js';
export { Dsl } from './dsl/dsl.js';
export type { DatasetInfo } from './dsl/dsl.js';
export { ObjectSet } from './dmu/objset.js';
export { ZapReader, zapValueString } from './zap/zap-reader.js';
export type { ZapEntry } from './zap/zap-reader.js';
export { ZplFilesystem, fileTypeOfMode } from './zpl/zpl.js';
export type { DirEntry, FileType, Znode } from './zpl/zpl.js';
// On-disk format codecs
export { decodeNvList, encodeNvList, NvList, NvType } from './format/nvlist.js';
export type { NvValue } from './format/nvlist.js';
export { decodeBlkptr, encodeBlkptr, isHole, copies, BLKPTR_SIZE } from './format/blkptr.js';
export type { Blkptr, BlkptrFields, Dva } from './format/blkptr.js';
export { decodeUberblock, encodeUberblock, compareUberblocks, UBERBLOCK_MAGIC } from './format/uberblock.js';
export type { Uberblock, UberblockFields } from './format/uberblock.js';
export {
  decodeLabelConfig,
  decodeUberblockRing,
  encodeLabelConfig,
  encodeUberblockSlot,
  labelOffset,
  labelPsize,
  LABEL_SIZE,
  VDEV_LABEL_START_SIZE,
} from './format/label.js';
export type { LabelUberblock } from './format/label.js';
export { decodeDnode, DNODE_SIZE } from './format/dnode.js';
export type { Dnode } from './format/dnode.js';
export { fletcher2, fletcher4, checksumEqual } from './format/fletcher.js';
export type { Checksum } from './format/fletcher.js';
export { sha256 } from './format/sha256.js';
export { computeChecksum, ZIO_CHECKSUM } from './format/checksum.js';
export { verifyEmbedded, sealEmbedded } from './format/embedded-checksum.js';
export { compressBlock, decompress, ZIO_COMPRESS } from './format/compress.js';
export { lzjbCompress, lzjbDecompress } from './format/lzjb.js';
export { zleCompress, zleDecompress } from './format/zle.js';
export { lz4Decompress } from './format/lz4.js';
export { zapHash } from './format/zap-hash.js';
export type { ZnodeAttrs, Timespec } from './format/znode.js';
export { ZfsVfs } from './vfs/zfs-vfs.js';
export { traversePool } from './pool/traverse.js';
export type { TraverseStats, TraverseOptions } from './pool/traverse.js';
export { zilHasRecords } from './dmu/zil.js';
// Writing
export { createPool, SPA_VERSION, ZPL_VERSION } from './write/create-pool.js';
export type { CreatePoolOptions, CreatedPool } from './write/create-pool.js';
// Writing to an opened pool (copy-on-write txgs)
export { WritablePool, SPA_VERSION_WRITABLE_MIN, SPA_VERSION_WRITABLE_MAX } from './spa/writable-pool.js';
export type { WritablePoolOptions, WritableDataset } from './spa/writable-pool.js';
export { MetaslabAllocator, TXG_DEFER_SIZE } from './spa/metaslab-allocator.js';
export { ObjsetWriter } from './dmu/objset-writer.js';
export { ZplWriter, ZPL_RECORDSIZE } from './zpl/zpl-writer.js';
export type { SetAttrs } from './zpl/zpl-writer.js';
export type { ZplReader } from './vfs/zfs-vfs.js';
export { takeSnapshot } from './dsl/snapshot.js';
